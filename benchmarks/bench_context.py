"""Context strategies compared on the validation companies (issue 10): what the model should read of a long section.

    python benchmarks/bench_context.py --config configs/smollm2-quality-cpu.yaml [--adapter DIR] [--set K=V]

Every validation section of the quality config (the sections of the validation companies' filings that the
reference corpus covers) is summarized whole, through a vLLM server with the tuned adapter (merged on CPU),
once per strategy:

- ``aspects-1k``: aspect fitting to 1,024 source tokens (the paragraphs that mention the five aspects, in order);
- ``aspects-3k``: the same to 3,072 tokens;
- ``map-reduce-1k``: the section cut into 1,024-token chunks (at most ``--max-chunks``), each summarized, and the
  chunk summaries summarized again (``data.fit_strategy: chunk``).

Each summary is scored by the eval harness against the *whole* cleaned section as its source (figures, names,
aspects: what a user gets from the filing, not from the window) and against the section's validation references
joined (ROUGE: a proxy, as no reference covers a whole section). Also printed: the share of the section each
strategy read, requests and generated tokens per section, and wall-clock seconds. The test split is not touched.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from filingsum.core.config import load_config  # noqa: E402
from filingsum.core.io import atomic_write_json, atomic_write_text, read_jsonl  # noqa: E402

log = logging.getLogger("bench_context")
STRATEGIES = {"aspects-1k": ("aspects", 1024), "aspects-3k": ("aspects", 3072), "map-reduce-1k": ("chunk", 1024)}
METRICS = ("rougeL", "loop", "within_limit", "is_prose", "number_precision", "entity_precision", "aspect_coverage",
           "novel_ngram_ratio", "tokens")


def validation_sections(config) -> dict[tuple[str, str], str]:
    """(source file, section) -> the validation references of its windows joined, from the corpus."""
    joined: dict[tuple[str, str], list[str]] = {}
    for path in config.data.gold:
        for row in read_jsonl(REPO / path):
            if row.get("split") == "validation":
                joined.setdefault((row["source_file"], row["section"]), []).append(row["summary"])
    return {key: "\n\n".join(parts) for key, parts in joined.items()}


def find_file(name: str, inputs: list[str]) -> Path:
    for spec in inputs:
        root = (REPO / spec).resolve()
        for candidate in (root / name, root):
            if candidate.is_file() and candidate.name == name:
                return candidate
    raise FileNotFoundError(f"{name} not under {inputs}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/smollm2-quality-cpu.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--adapter", help="tuned adapter (default: the config's run)")
    parser.add_argument("--max-chunks", type=int, default=6, help="map-reduce: most chunks per section")
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated subset")
    parser.add_argument("--out", default=None, help="results dir (default: <run>/context)")
    return parser.parse_args()


def whole_sections(config, references: dict[tuple[str, str], str]) -> dict[str, tuple]:
    """Section id -> (the whole cleaned section, its joined validation references), for every validation
    section the references cover."""
    from filingsum.filings.prepare import extract_file
    from filingsum.inference.base import section_id

    files = sorted({name for name, _ in references})
    sections = sorted({section for _, section in references})
    whole = {}
    for name in files:
        path = find_file(name, config.data.inputs)
        for section in extract_file(path, sections):
            if (name, section.section) in references:
                whole[section_id(str(path), section.section)] = (section, references[(name, section.section)])
    log.info("%d validation sections from %s", len(whole), ", ".join(files))
    return whole


def summarize_strategies(config, adapter: Path, out: Path, chosen: dict[str, tuple[str, int]], whole: dict,
                         sections: list[str], max_chunks: int) -> tuple[dict, dict[str, dict]]:
    """Every section summarized whole once per strategy through one vLLM server with the adapter: the predictions
    per strategy (sources: the whole sections) and what each cost (seconds, requests, generated tokens)."""
    from filingsum.core.schema import PredictionRecord
    from filingsum.inference.factory import ClientSettings, summarizer_from_config
    from filingsum.serving.generate import vllm_server_for

    systems: dict[str, list[PredictionRecord]] = {}
    costs: dict[str, dict] = {}
    with vllm_server_for(config, str(adapter), log_path=out / "serve-vllm.log") as (base_url, served):
        for name, (strategy, budget) in chosen.items():
            run = config.model_copy(deep=True)
            run.data.fit_strategy = strategy
            run.model.max_source_tokens = budget
            summarizer = summarizer_from_config(run, "endpoint", base_url=base_url, served_model=served,
                                                sections=sections, client=ClientSettings(concurrency=8),
                                                max_chunks=max_chunks)
            started = time.monotonic()
            predictions, requests, generated = [], 0, 0
            paths = sorted({s.source_path for s, _ in whole.values()})
            for _path, results in summarizer.summarize_files(paths):
                for result in results:
                    if result.id not in whole:
                        continue
                    section, reference = whole[result.id]
                    requests += result.chunks + (1 if result.chunks > 1 else 0)
                    generated += result.completion_tokens or 0
                    predictions.append(PredictionRecord(
                        id=result.id, source=section.text, prediction=result.summary or "", reference=reference,
                        system=name, error=result.error))
            costs[name] = {"seconds": round(time.monotonic() - started), "requests": requests,
                           "generated_tokens": generated}
            systems[name] = sorted(predictions, key=lambda p: p.id)
            log.info("%s: %d summaries, %s", name, len(predictions), costs[name])
    return systems, costs


def context_table(report, chosen: dict[str, tuple[str, int]], costs: dict[str, dict]) -> tuple[str, dict]:
    """The Markdown table of every strategy's metrics and costs, and the same figures as a dict."""
    rows = ["| strategy | " + " | ".join(METRICS)
            + " | share of section read | requests | generated tokens | seconds |",
            "|---" * (len(METRICS) + 5) + "|"]
    figures = {}
    for name in chosen:
        metrics = report.systems[name].aggregate
        figures[name] = {m: metrics.get(m) for m in METRICS} | costs[name]
        cells = [f"{metrics[m]:.3f}" if isinstance(metrics.get(m), (int, float)) else "-" for m in METRICS]
        c = costs[name]
        rows.append(f"| {name} | " + " | ".join(cells)
                    + f" | {c['section_share_read']:.2f} | {c['requests']} | {c['generated_tokens']} | "
                      f"{c['seconds']} |")
    return "\n".join(rows), figures


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from filingsum.core.models import find_adapter_dir, load_tokenizer
    from filingsum.core.tokens import token_count
    from filingsum.eval.harness import run_eval

    chosen = {name: STRATEGIES[name] for name in args.strategies.split(",")}
    config = load_config(args.config, args.overrides)
    adapter = find_adapter_dir(args.adapter or config.train.output_dir)
    out = Path(args.out or Path(config.train.output_dir) / "context")
    tokenizer = load_tokenizer(config.model.name)
    references = validation_sections(config)
    files = sorted({name for name, _ in references})
    whole = whole_sections(config, references)
    config.serve.max_model_len = max(b for _, b in STRATEGIES.values()) + 1024 + config.max_summary_tokens()
    systems, costs = summarize_strategies(config, adapter, out, chosen, whole,
                                          sorted({section for _, section in references}), args.max_chunks)

    read = {sid: token_count(section.text, tokenizer) for sid, (section, _) in whole.items()}
    for name, (strategy, budget) in chosen.items():
        shares = [min(1.0, (budget * (args.max_chunks if strategy == "chunk" else 1)) / read[sid]) for sid in read]
        costs[name]["section_share_read"] = round(sum(shares) / len(shares), 3)
    report = run_eval([], systems, tokenizer, out, max_summary_tokens=config.max_summary_tokens(),
        configured_gate_system=None,
                      config={"bench": "bench_context", "adapter": str(adapter),
                              "repetition_penalty": config.model.repetition_penalty})
    table, figures = context_table(report, chosen, costs)
    command = "python " + " ".join(sys.argv)
    atomic_write_json(out / "context.json", {"command": command, "sections": sorted(whole), "strategies": figures,
                                             "section_tokens": read})
    atomic_write_text(out / "context.md", table + "\n")
    print(table)
    print(f"\n{len(whole)} validation sections ({', '.join(files)}); section tokens {sorted(read.values())}; "
          f"repetition_penalty {config.model.repetition_penalty}")
    print(f"command: {command}\nreport: {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
