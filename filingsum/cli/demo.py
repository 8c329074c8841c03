"""`filingsum demo`: the whole slice on one config: data -> train -> eval -> serve -> summarize.

Each stage is the same code its own subcommand runs; the demo only chains them and, at the end, asks the
served tuned model to summarize a filing through the OpenAI-compatible API, as an application would. The
demo's own run is short (it shows the pipeline); the summary comes from the tuned default shipped for the
config's base (``embedded:filingsum-smollm2`` for the embedded SmolLM2, trained by
benchmarks/bench_quality.py) when there is one, else from the run's adapter (``--serve-run-adapter`` forces that). It is
served by vLLM wherever vLLM imports (the CPU engine `make setup` installs in .venv-vllm: merged weights; a
GPU: the adapter by name), by `transformers serve` only when no vLLM is found (with a warning naming what is
missing). The closing lines say which engine served the summary.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from filingsum.cli.common import add_config_arguments, load_run_config

if TYPE_CHECKING:
    from filingsum.core.config import RunConfig
    from filingsum.core.schema import SummaryResult
    from filingsum.serving.launcher import ServerProcess

HELP = "run the whole slice: build data, LoRA-train, evaluate, serve, summarize a filing"
DESCRIPTION = """Run every stage of one config end to end and print where the results are.

  filingsum demo --config configs/smollm2-cpu.yaml
  filingsum demo --config configs/smollm2-cpu.yaml --filing data/samples/fusion_10k_2016_item1_prompt.txt
"""

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--filing", help="filing to summarize through the server (default: first test record's source)")
    parser.add_argument("--skip-eval", action="store_true", help="skip the eval stage")
    parser.add_argument("--serve-run-adapter", action="store_true",
                        help="summarize with this run's adapter, not the shipped tuned default")


def _stage(name: str) -> float:
    log.info("=== %s ===", name)
    return time.monotonic()


def interrupted(args: argparse.Namespace) -> str:
    return ("each finished stage is kept (the dataset, training checkpoints, eval generations); rerun the demo to "
            "resume: finished stages are skipped or resumed")


def preflight(config, filing: str | None = None, *, run_adapter: bool = False) -> None:  # noqa: ANN001 (RunConfig)
    """``--filing`` (there, and a filing the last stage can summarize), every output location, the serve port,
    and whether the engine can serve the model (vLLM on CPU takes some head sizes only), checked before the
    first stage (exit 2 in one line)."""
    from filingsum.core.input_files import require_input_file
    from filingsum.core.io import preflight_output_dir
    from filingsum.serving.launcher import check_port, check_servable_config

    if filing is not None:
        require_input_file(filing, what="--filing")
        check_filing(config, filing, run_adapter=run_adapter)
    preflight_output_dir(config.data.out_dir, what="dataset directory (data.out_dir)")
    preflight_output_dir(config.train.output_dir, what="run directory (train.output_dir)")
    preflight_output_dir(config.eval.out_dir, what="report directory (eval.out_dir)")
    check_port(config.serve.host, config.serve.port)
    check_servable_config(config)  # a config.json read: the model need not be loaded


def check_filing(config, filing: str, *, run_adapter: bool) -> None:  # noqa: ANN001 (RunConfig)
    """UsageError (exit 2) when ``filing`` is one the summarize stage would only turn into an error record (binary,
    HTML soup, no wanted section): it is loaded and sectioned as `serve_and_summarize` will, with the sections
    and size cap of the model it serves, so the demo does not find out after data, train and serve."""
    from filingsum.core.config import RunConfig
    from filingsum.core.contract import read_contract
    from filingsum.core.errors import UsageError
    from filingsum.core.models import builtin_default_adapter
    from filingsum.core.schema import DEFAULT_SECTIONS
    from filingsum.filings.ingest import IngestError
    from filingsum.filings.prepare import extract_file

    shipped = None if run_adapter else builtin_default_adapter(config.model.name)
    contract = read_contract(shipped[1]) if shipped is not None else None
    sections = tuple(contract.sections) if contract is not None else tuple(DEFAULT_SECTIONS)
    cap_mb = (RunConfig() if shipped is not None else config).data.max_file_mb
    try:
        extract_file(filing, sections, max_bytes=int(cap_mb * 1024 * 1024))
    except IngestError as exc:
        raise UsageError(f"--filing {exc.path}: cannot be summarized ({exc.reason}); the demo would find this only "
                         f"after data, train and serve: give a 10-K or 10-Q filing (text or HTML) with "
                         f"{' or '.join(sections)}") from None


def run(args: argparse.Namespace) -> int:
    config = load_run_config(args)
    from filingsum.cli.eval import print_report
    from filingsum.dataset.build import build_dataset
    from filingsum.eval.run import evaluate_config
    from filingsum.serving.generate import vllm_server_for
    from filingsum.training.trainer import train

    preflight(config, args.filing, run_adapter=args.serve_run_adapter)

    timings: dict[str, float] = {}
    started = _stage("data build")
    built = build_dataset(config)
    timings["data"] = time.monotonic() - started

    started = _stage("train")
    result = train(config)
    timings["train"] = time.monotonic() - started

    report_dir = Path(config.eval.out_dir)
    gate_status = 0
    if not args.skip_eval:
        started = _stage("eval")
        gate_status = print_report(evaluate_config(config, out_dir=str(report_dir), start_server=vllm_server_for),
                                   report_dir)
        timings["eval"] = time.monotonic() - started

    filing = Path(args.filing) if args.filing else _pick_filing(Path(built.out_dir))
    started = _stage("serve + summarize")
    results, server = serve_and_summarize(config, Path(result.adapter_dir), filing,
                                          run_adapter=args.serve_run_adapter)
    timings["serve"] = time.monotonic() - started

    served = f"{server.backend} on {server.device}, {server.weights} weights, model {server.model_names[-1]}"
    summary_path = write_demo_summary(Path(config.train.output_dir) / "demo_summary.md", filing, served, results)

    print()
    for item in results:
        print(item.summary or f"ERROR: {item.error}")
    print()
    print(f"served by: {served} (ready {server.ready_s or 0:.0f}s after start)")
    print("stage seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    print(f"dataset: {built.out_dir}")
    print(f"run:     {result.run_dir}")
    if not args.skip_eval:
        print(f"report:  {report_dir / 'report.md'}  ({report_dir / 'report.html'}, {report_dir / 'report.json'})")
    print(f"summary: {summary_path}")
    failed = any(item.error for item in results)
    return 1 if failed else gate_status


def serve_and_summarize(
    config: RunConfig, adapter_dir: Path, filing: Path, *, run_adapter: bool,
) -> tuple[list[SummaryResult], ServerProcess]:
    """Serve the shipped tuned default for the config's base (else, or with ``run_adapter``, the run's adapter),
    summarize ``filing`` through the server's OpenAI-compatible API, stop it; the results and the (stopped)
    server, which says what served them."""
    from filingsum.core.config import RunConfig
    from filingsum.core.models import builtin_default_adapter
    from filingsum.inference.factory import contracted_summarizer
    from filingsum.serving.launcher import launch

    adapter_name = config.run_name
    shipped = None if run_adapter else builtin_default_adapter(config.model.name)
    if shipped is not None:
        adapter_name, adapter_dir = shipped
        log.info("summarizing with the shipped tuned default %r (this run's short training only shows the "
                 "pipeline; --serve-run-adapter serves its adapter)", adapter_name)
    server = launch(config, adapters={adapter_name: adapter_dir})
    try:
        # As `filingsum summarize FILE --endpoint URL` with no other flag: the served model's inference contract
        # decides the input and decoding (the shipped default's; the run's own adapter carries the run's), and
        # the output guard checks every sentence.
        summarizer = contracted_summarizer(
            RunConfig() if shipped is not None else config, endpoint=server.base_url,
            served_model=server.model_names[-1],
        )
        for warning in summarizer.warnings:
            print(f"filingsum: warning: {warning}", file=sys.stderr)
        results = summarizer.summarizer.summarize_file(filing)
    finally:
        server.stop()
    return results, server


def write_demo_summary(path: Path, filing: Path, served: str, results: list[SummaryResult]) -> Path:
    """The demo's summary as Markdown: what served it, then each section's summary (or error) and its cost."""
    from filingsum.core.io import atomic_write_text

    lines = [f"# Summary of {filing.name} (served by {served})", ""]
    for item in results:
        note = f"_{item.completion_tokens} tokens, {item.chunks} chunk(s)_"
        lines += [item.summary or f"ERROR: {item.error}", "", note, ""]
    atomic_write_text(path, "\n".join(lines))
    return path


def _pick_filing(data_dir: Path) -> Path:
    """The source of a held-out record (test, else validation, else train): what the model did not see."""
    from filingsum.core.io import read_jsonl

    for split in ("test", "validation", "train"):
        path = data_dir / f"{split}.jsonl"
        if path.exists():
            for row in read_jsonl(path):
                return Path(row["source_path"])
    raise FileNotFoundError(f"no records in {data_dir}")
