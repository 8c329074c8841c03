"""Quality benchmark (issues 10, 18): a trained adapter scored on the test companies the way a user gets summaries.

    python benchmarks/bench_quality.py --config configs/smollm2-quality-cpu.yaml [--zero-shot] [--ship]

1. data: the config's dataset build (the reference corpus's windows of ../shared/filings and the seeds, gold
   references only; companies pinned to train / validation / test). Resumable, like `filingsum data build`.
2. train: `filingsum train` on it (a finished run is reused; an interrupted one resumes); the checkpoint with
   the lowest validation loss is kept.
3. test, once, through the product path: the adapter is served as `filingsum serve` serves the shipped
   default (no run config: the adapter's inference contract decides budgets and decoding; vLLM on CPU with
   merged weights), and `filingsum summarize FILES --endpoint URL --out served.jsonl`, no other flag,
   summarizes every test filing; beside it the same adapter generating in-process (HF generate) on the same
   fitted inputs, and the lead-k and extractive baselines on those inputs. References are written from the
   whole sections (data/gold/sections.jsonl). The eval harness scores all (report.json/md/html in
   <run>/quality/); the table gives every metric's mean, its 95% bootstrap interval over documents and the
   number of documents it is defined on, and the loops, meta statements, self-denials and repeated
   sentences are listed per document.
--ship copies the adapter (bf16 safetensors), its inference contract and a model card with these scores to the
built-in model dir (filingsum/builtin/filingsum-smollm2), which `embedded:filingsum-smollm2` resolves to.

In-process generations are cached in <run>/quality/generations.jsonl, keyed on the model, the adapter's
weights, the input text, the instruction and every decoding setting; a rerun generates only what changed.

This script runs the phases; beside it, benchmarks/quality_product.py holds the product path (fitted test
filings, serve + summarize, the input chosen on validation), quality_tables.py the statistics and tables, and
quality_ship.py the model card and the shipped copy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quality_product import (
    INPUT_CANDIDATES,
    SUMMARIZE_COMMAND,
    ProductDocument,
    choose_input,
    product_documents,
    summarize_served,
)
from quality_ship import making_run, model_card, safetensors_dtype, ship_adapter
from quality_tables import defect_listing, defects_markdown, inputs_markdown, metric_table

from filingsum.core.config import load_config
from filingsum.core.contract import read_contract, write_contract
from filingsum.core.io import JsonlAppender, atomic_write_json, atomic_write_text, read_jsonl
from filingsum.core.schema import FilingRecord, PredictionRecord

log = logging.getLogger("bench_quality")


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


# --- main -----------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/smollm2-quality-cpu.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--ship", action="store_true", help="copy the adapter + card to the built-in model dir")
    parser.add_argument("--skip-train", action="store_true", help="score the run dir as it is")
    parser.add_argument("--adapter", help="score this adapter dir (e.g. a checkpoint of a stopped run); implies "
                        "--skip-train")
    parser.add_argument("--zero-shot", action="store_true", help="also score the base model in-process")
    parser.add_argument("--skip-in-process", action="store_true", help="score the served path only")
    parser.add_argument("--inputs", nargs="+", choices=list(INPUT_CANDIDATES),
                        help="validation input candidates (default: all); e.g. aspects-1k to compare adapters")
    parser.add_argument("--validation-only", action="store_true",
                        help="stop after the validation table (compare adapters without touching test)")
    parser.add_argument("--reuse-served", action="store_true",
                        help="score the summarize outputs an earlier run of the same adapter wrote in <run>/quality "
                        "(validation and test) instead of serving again")
    return parser.parse_args()


def recorded_train_seconds(train_record: Path, train_seconds: float, trained: bool) -> float:
    """A rerun that scores or ships without training reports the training of the run that made the adapter:
    a run that trained records its seconds in ``train_record``; one that did not reads them back."""
    if trained:
        atomic_write_json(train_record, {"train_seconds": round(train_seconds),
                                         "command": "python " + " ".join(sys.argv)})
    elif train_record.is_file():
        train_seconds = json.loads(train_record.read_text())["train_seconds"]
    return train_seconds


def pin_input(adapter_dir: Path, chosen: str) -> tuple[str, int]:
    """The chosen input's fit strategy and budget, written into the adapter's contract where it says otherwise."""
    contract = read_contract(adapter_dir)
    fit, budget = INPUT_CANDIDATES[chosen]
    if contract is not None and (contract.fit_strategy, contract.max_source_tokens) != (fit, budget):
        write_contract(adapter_dir, contract.model_copy(update={"fit_strategy": fit, "max_source_tokens": budget}))
    return fit, budget


@dataclass
class Bench:
    """What the phases of one benchmark run share: the flags, the config, the adapter scored and its digest, the
    tokenizer, the run's quality dir and the in-process generation cache."""

    args: argparse.Namespace
    config: Any
    adapter_dir: Path
    adapter_digest: str
    tokenizer: Any
    quality_dir: Path
    cache: GenerationCache


def build_splits(config) -> tuple[Any, dict[str, list[FilingRecord]]]:
    """The config's dataset build (resumable) and its three splits."""
    from filingsum.dataset.build import build_dataset

    t0 = time.time()
    built = build_dataset(config, progress=False)
    splits = {s: load_split(Path(config.data.out_dir), s) for s in ("train", "validation", "test")}
    log.info("data: %s (%.0fs)", {s: len(r) for s, r in splits.items()}, time.time() - t0)
    return built, splits


def train_and_load(args: argparse.Namespace, config) -> tuple[Bench, float]:
    """Train unless --skip-train or --adapter, then the adapter to score; the seconds training took (those of the
    run that made the adapter, on a rerun that does not train)."""
    from filingsum.core.models import find_adapter_dir, load_tokenizer
    from filingsum.training.trainer import train

    run_dir = Path(config.train.output_dir)
    trains = not (args.skip_train or args.adapter)
    t_train = time.time()
    if trains:
        train(config)
    train_seconds = time.time() - t_train
    adapter_dir = find_adapter_dir(args.adapter or run_dir)
    adapter_digest = file_digest(adapter_dir / "adapter_model.safetensors")
    tokenizer = load_tokenizer(config.model.name)
    quality_dir = run_dir / "quality"
    train_seconds = recorded_train_seconds(quality_dir / "train.json", train_seconds, trains)
    cache = GenerationCache(quality_dir / "generations.jsonl")
    return Bench(args, config, adapter_dir, adapter_digest, tokenizer, quality_dir, cache), train_seconds


def systems_on_test(bench: Bench, fit: str, budget: int) -> tuple[list[ProductDocument], dict[str, dict], dict]:
    """Test, once, the way a user gets summaries: the candidate served as `filingsum serve` serves the shipped
    default (no config: its inference contract decides), and `filingsum summarize FILES --endpoint URL --out`
    with no other flag; beside it the baselines, the same model generating in-process on the same fitted inputs
    (unless --skip-in-process) and the base model (--zero-shot), greedy, through the cache. The test documents,
    the served rows and the systems."""
    from filingsum.inference.local import GenerationSettings, LocalSummarizer

    args, config, cache = bench.args, bench.config, bench.cache
    documents = product_documents("test", fit, budget)
    served_rows = summarize_served(bench.adapter_dir, {"served": ([d.path for d in documents], [])},
                                   bench.quality_dir / "served", reuse=args.reuse_served)["served"]
    greedy = GenerationSettings(max_summary_tokens=config.max_summary_tokens(),
                                repetition_penalty=config.model.repetition_penalty,
                                batch_size=1)
    systems = {"lead-k": None, "extractive": None,
               "served (serve + summarize)": [d.prediction(served_rows.get(d.key), "served") for d in documents]}
    records = [d.record for d in documents]
    if not args.skip_in_process:
        tuned = LocalSummarizer(config.model.name, bench.adapter_dir, settings=greedy)
        local_rows = cache.generate(tuned, config.model.name, bench.adapter_digest, records, greedy)
        del tuned
        systems["in-process (HF generate)"] = predictions(records, local_rows, "in-process")
    if args.zero_shot:
        base = LocalSummarizer(config.model.name, settings=greedy)
        zero_rows = cache.generate(base, config.model.name, None, records, greedy)
        systems["zero-shot"] = predictions(records, zero_rows, "zero-shot")
        del base
    return documents, served_rows, systems


def write_and_print(quality_dir: Path, results: dict, table: str, inputs_md: str, documents: list) -> None:
    """quality.json and quality.md in the run's quality dir, and the tables and timings on stdout."""
    atomic_write_json(quality_dir / "quality.json", results)
    atomic_write_text(quality_dir / "quality.md",
                      inputs_md + "\n\n" + table + "\n\n" + defects_markdown(results["defects"]) + "\n")
    print(inputs_md)
    print()
    print(table)
    print()
    print(defects_markdown(results["defects"]))
    print(f"\ntest: {len(documents)} documents ({', '.join(d.key for d in documents)}); data {results['data']}; "
          f"train {results['train_seconds']:.0f}s, generation {results['generation_seconds']:.0f}s, total "
          f"{results['total_seconds']}s")
    print(f"report: {quality_dir / 'report.md'}; figures: {quality_dir / 'quality.json'}")


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")

    import torch

    from filingsum.eval.harness import run_eval

    torch.manual_seed(0)
    config = load_config(args.config, args.overrides)
    t0 = time.time()
    built, splits = build_splits(config)
    bench, train_seconds = train_and_load(args, config)

    # The input, chosen on validation through the product path; the contract carries the winner.
    t_gen = time.time()
    chosen, input_trials = choose_input(bench.adapter_dir, bench.quality_dir / "validation", bench.tokenizer,
                                        config.model.max_summary_tokens, reuse=args.reuse_served,
                                        candidates=args.inputs)
    if args.validation_only:
        print(inputs_markdown(input_trials, chosen))
        print(f"\nadapter: {bench.adapter_dir} (sha256 {bench.adapter_digest[:12]}); validation only, test not scored")
        print("command: python " + " ".join(sys.argv))
        return 0
    fit, budget = pin_input(bench.adapter_dir, chosen)
    log.info("input chosen on validation: %s", chosen)

    documents, served_rows, systems = systems_on_test(bench, fit, budget)
    gen_seconds = time.time() - t_gen
    records = [d.record for d in documents]
    report = run_eval(records, systems, bench.tokenizer, bench.quality_dir,
        max_summary_tokens=config.model.max_summary_tokens,
                      config={"bench": "bench_quality", "references": "data/gold/sections.jsonl (whole sections)"},
                      configured_gate_system=None)
    stats, table = metric_table(report)
    results = {
        "command": "python " + " ".join(sys.argv), "config": args.config,
        "data": {s: len(r) for s, r in splits.items()}, "test_documents": [d.key for d in documents],
        "reference_origins": built.card.get("reference_origins"),
        "input": {"chosen_on_validation": chosen, "fit_strategy": fit, "max_source_tokens": budget,
                  "validation_trials": input_trials},
        "served": {"summarize_command": SUMMARIZE_COMMAND,
                   "checks": {k: v.get("checks") for k, v in served_rows.items()}},
        "train_seconds": round(train_seconds), "generation_seconds": round(gen_seconds),
        "total_seconds": round(time.time() - t0), "metrics": stats, "defects": defect_listing(report),
        "adapter_dtype": safetensors_dtype(bench.adapter_dir / "adapter_model.safetensors"),
    }
    write_and_print(bench.quality_dir, results, table, inputs_markdown(input_trials, chosen), documents)
    if args.ship:
        from filingsum.core.models import BUILTIN_ADAPTERS

        target = BUILTIN_ADAPTERS["filingsum-smollm2"]
        recipe, results["train_seconds"] = making_run(bench.adapter_dir, config, results["train_seconds"])
        ship_adapter(bench.adapter_dir, target, model_card(recipe, results, table))
        print(f"shipped: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
