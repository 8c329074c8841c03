"""Quality target (issue 4): does a short CPU LoRA run make SmolLM2-135M summarize filings better?

1. Training data: Item 1 / MD&A sections of the real EDGAR filings in ../shared/filings (read in place):
   each section fitted to the source budget by aspect paragraphs (as `data build` does) plus a few
   contiguous windows, each with an aspect-guided extractive reference summary (~320 tokens of prose).
2. Test set: the three seed filings (data/samples) with the hand-written gold references (data/gold).
3. Zero-shot SmolLM2 vs the LoRA-tuned one: greedy, max_new_tokens = the run's summary cap (512 in the
   quality config; repetition_penalty configurable), scored with filingsum.quality.metrics: ROUGE-L vs gold,
   loops, number precision, within the summary cap, prose.

    python benchmarks/bench_quality.py --config configs/smollm2-quality-cpu.yaml [--repetition-penalty 1.1]

Writes <train.output_dir>/quality.json and quality.md, and prints the table.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from filingsum.core.config import load_config  # noqa: E402
from filingsum.core.io import atomic_write_json, atomic_write_jsonl, atomic_write_text, read_jsonl  # noqa: E402

log = logging.getLogger("bench_quality")
METRIC_KEYS = ("rougeL", "loop", "number_precision", "within_limit", "is_prose", "tokens", "aspect_coverage")


def build_training_data(config, count_tokens, chunks_per_filing: int, reference_tokens: int) -> dict[str, int]:
    """train/validation JSONL of filing chunks with extractive references (reused when already built)."""
    from filingsum.dataset.build import content_hash
    from filingsum.filings.prepare import extract_file
    from filingsum.filings.extractive import extractive_summary
    from filingsum.filings.fit import chunk_text, fit_aspects
    from filingsum.core.schema import FilingRecord

    out = Path(config.data.out_dir)
    if (out / "train.jsonl").is_file():
        return {s: sum(1 for _ in read_jsonl(out / f"{s}.jsonl")) for s in ("train", "validation")}
    filings = sorted(Path(REPO.parent / "shared" / "filings").glob("*.htm*"))
    if not filings:
        raise SystemExit("no filings in ../shared/filings")
    rng = random.Random(0)
    records = []
    for path in filings:
        try:
            sections = extract_file(path, config.data.sections, int(config.data.max_file_mb * 1e6))
        except Exception as exc:  # a filing without the wanted sections is skipped, not fatal
            log.warning("%s: skipped (%s)", path.name, exc)
            continue
        budget = config.model.max_source_tokens
        # Per section: the aspect-fitted text (what `data build` and the client feed the model) plus a few
        # contiguous windows, so the model sees more of each filing.
        texts = [fit_aspects(s.text, count_tokens, budget).text for s in sections]
        windows = [c for s in sections for c in chunk_text(s.text, count_tokens, budget)]
        texts += [windows[i] for i in sorted(rng.sample(range(len(windows)), min(chunks_per_filing, len(windows))))]
        section = sections[0]
        for i, text in enumerate(texts):
            reference = extractive_summary(text, count_tokens, reference_tokens)
            if len(reference) < 200:
                continue
            digest = content_hash(text)
            records.append(FilingRecord(
                id=f"{path.stem}-{i}-{digest[:8]}", company=section.company, form=section.form,
                fiscal_period=section.fiscal_period, source_path=str(path), content_hash=digest,
                section=section.section, instruction=config.data.instruction, text=text, char_count=len(text),
                token_count=count_tokens(text), reference=reference, reference_origin="extractive",
            ).model_dump(mode="json"))
    rng.shuffle(records)
    n_val = max(1, len(records) // 10)
    atomic_write_jsonl(out / "validation.jsonl", [dict(r, split="validation") for r in records[:n_val]])
    atomic_write_jsonl(out / "train.jsonl", [dict(r, split="train") for r in records[n_val:]])
    return {"train": len(records) - n_val, "validation": n_val}


def gold_test_set(count_tokens, max_source_tokens: int) -> list[dict]:
    """The seed filings' sections, fitted to the source budget, with their gold summaries."""
    from filingsum.filings.prepare import extract_file
    from filingsum.filings.fit import fit_aspects

    rows = []
    for gold in read_jsonl(REPO / "data" / "gold" / "seeds.jsonl"):
        path = REPO / "data" / "samples" / gold["source_file"]
        try:
            text = extract_file(path, [gold["section"]], 50_000_000)[0].text
        except Exception:
            text = path.read_text(encoding="utf-8")
        fitted = fit_aspects(text, count_tokens, max_source_tokens).text  # as the summarize client does
        rows.append({"id": gold["source_file"], "text": fitted, "reference": gold["summary"]})
    return rows


def summarize(model, tokenizer, rows, max_new_tokens: int, repetition_penalty: float) -> tuple[list[str], float]:
    """Greedy summaries through filingsum's own generation path (as `filingsum eval` generates)."""
    from filingsum.inference.local import GenerationSettings, LocalSummarizer

    model.eval()
    start = time.time()
    settings = GenerationSettings(max_new_tokens=max_new_tokens, repetition_penalty=repetition_penalty, batch_size=1)
    outputs = LocalSummarizer.from_model(model, tokenizer, settings).summarize([row["text"] for row in rows])
    for row, out in zip(rows, outputs):
        log.info("%s: %d tokens", row["id"], out.completion_tokens)
    new_tokens = sum(o.completion_tokens for o in outputs)
    return [o.text for o in outputs], new_tokens / max(time.time() - start, 1e-9)


def score(predictions, rows, tokenizer, limit: int) -> dict[str, float]:
    from filingsum.quality.metrics import score_document

    docs = [score_document(p, r["text"], r["reference"], tokenizer=tokenizer, limit=limit)
            for p, r in zip(predictions, rows)]
    means = {}
    for key in METRIC_KEYS:
        values = [float(d[key]) for d in docs if d.get(key) is not None]
        means[key] = sum(values) / len(values) if values else None
    return means


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/smollm2-quality-cpu.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--chunks-per-filing", type=int, default=3)
    parser.add_argument("--reference-tokens", type=int, default=320)
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default: model.max_summary_tokens")
    parser.add_argument("--repetition-penalty", type=float, default=1.1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")

    import torch

    from filingsum.core.models import load_model, load_tokenizer
    from filingsum.training.trainer import train

    torch.manual_seed(0)
    config = load_config(args.config, args.overrides)
    args.max_new_tokens = args.max_new_tokens or config.summary_tokens(config.eval.max_new_tokens)
    tokenizer = load_tokenizer(config.model.name)
    count = lambda s: len(tokenizer(s, add_special_tokens=False)["input_ids"])  # noqa: E731
    t0 = time.time()
    sizes = build_training_data(config, count, args.chunks_per_filing, args.reference_tokens)
    rows = gold_test_set(count, config.model.max_source_tokens)
    log.info("data: %s; test filings: %d (%.0fs)", sizes, len(rows), time.time() - t0)

    results: dict = {"command": " ".join(sys.argv), "data": sizes, "repetition_penalty": args.repetition_penalty,
                     "max_new_tokens": args.max_new_tokens, "systems": {}}
    run_dir = Path(config.train.output_dir)
    # Zero-shot outputs depend only on the base model and generation settings: kept across reruns.
    cache = run_dir / f"zero_shot-{args.max_new_tokens}-{args.repetition_penalty}.json"
    if cache.is_file() and json.loads(cache.read_text())["ids"] == [r["id"] for r in rows]:
        zero_shot = json.loads(cache.read_text())
    else:
        base = load_model(config.model.name, dtype=torch.float32)
        t = time.time()
        preds, tps = summarize(base, tokenizer, rows, args.max_new_tokens, args.repetition_penalty)
        zero_shot = {"ids": [r["id"] for r in rows], "predictions": preds, "tokens_per_s": tps,
                     "seconds": time.time() - t}
        atomic_write_json(cache, zero_shot)
        del base
    limit = config.summary_tokens(config.eval.token_limit)
    results["systems"]["zero-shot"] = {"metrics": score(zero_shot["predictions"], rows, tokenizer, limit), **zero_shot}
    t = time.time()
    result = train(config)
    results["train_seconds"] = time.time() - t
    results["train_metrics"] = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
    t = time.time()
    preds, tps = summarize(result.model, tokenizer, rows, args.max_new_tokens, args.repetition_penalty)
    results["systems"]["tuned"] = {"metrics": score(preds, rows, tokenizer, limit), "predictions": preds,
                                   "tokens_per_s": tps, "seconds": time.time() - t}
    results["total_seconds"] = time.time() - t0

    lines = ["| system | " + " | ".join(METRIC_KEYS) + " |", "|---" * (len(METRIC_KEYS) + 1) + "|"]
    for name, sys_result in results["systems"].items():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in sys_result["metrics"].values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    atomic_write_json(run_dir / "quality.json", results)
    atomic_write_text(run_dir / "quality.md", table + "\n")
    print(table)
    print(f"train {results['train_seconds']:.0f}s, total {results['total_seconds']:.0f}s; data {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
