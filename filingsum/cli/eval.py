"""`filingsum eval`: score a training run, a served endpoint or a predictions file; gate CI on it."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from filingsum.cli.common import add_config_arguments, load_run_config, non_negative_float, output_dir

HELP = "score summaries (run, endpoint or predictions JSONL) against references and baselines"
DESCRIPTION = """Score summaries and write DIR/report.json, report.md and report.html.

  filingsum eval --config configs/smollm2-cpu.yaml            systems from eval.systems (lead-k,
                                                              extractive, zero-shot, tuned, endpoint)
  filingsum eval --config C --set eval.generate_with=vllm     zero-shot and tuned generated through a
                                                              vLLM server (as `filingsum summarize`)
  filingsum eval --predictions preds.jsonl --out DIR          one JSON object per line: id, source,
                                                              prediction, optional reference
  filingsum eval ... --fail-under number_precision=0.95       exit 1 when a gate fails (repeatable;
                                                              'repetition<=0.05' for maxima)
  filingsum eval compare OLD/report.json NEW/report.json      regressions between two reports (exit 1;
                                                              --markdown for a Markdown table)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, required=False)
    parser.add_argument("--predictions", help="JSONL of predictions to score instead of generating")
    parser.add_argument("--out", type=output_dir, help="report directory (default: eval.out_dir)")
    parser.add_argument("--tokenizer", help="tokenizer for the summary-cap check (default: model.name)")
    parser.add_argument("--system", default=None, help="name of the system in a predictions file")
    parser.add_argument(
        "--fail-under", action="append", default=[], metavar="METRIC=VALUE",
        help="gate: exit 1 when the aggregate is below VALUE (METRIC<=VALUE for maxima)",
    )
    sub = parser.add_subparsers(dest="eval_command", metavar="compare")
    compare = sub.add_parser("compare", help="show regressions between two report.json files")
    compare.add_argument("old")
    compare.add_argument("new")
    compare.add_argument("--tolerance", type=non_negative_float, default=0.0, help="ignore changes smaller than this")
    compare.add_argument("--markdown", action="store_true", help="print a Markdown table instead of a rich one")


def written_reports(out: str | Path, since: float | None) -> list[str]:
    """The report files in ``out`` that this run wrote (changed since ``since``, when it started); each is written
    whole or not at all (atomic writes), so each one listed is complete."""
    if since is None:
        return []
    from filingsum.eval.run import REPORT_FILES

    written = []
    for name in REPORT_FILES:
        try:
            # a second's slack: the kernel stamps files from a coarser clock than time.time()
            if (Path(out) / name).stat().st_mtime >= since - 1.0:
                written.append(name)
        except OSError:
            continue
    return written


def _report_note(out: str, since: float | None) -> str:
    """What an interrupted eval left of its report: nothing, or the files it wrote and the ones it did not."""
    written = written_reports(out, since)
    if not written:
        return "no report was written"
    from filingsum.eval.run import REPORT_FILES

    missing = [name for name in REPORT_FILES if name not in written]

    def listed(names: list[str]) -> str:
        return names[0] + " was" if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]} were"

    return f"{listed(written)} written to {out}" + (f"; {listed(missing)} not" if missing else "")


def interrupted(args: argparse.Namespace) -> str:
    if args.eval_command == "compare":
        return "nothing was written (compare only reads the two reports)"
    since = getattr(args, "started_at", None)
    if args.predictions:
        return f"{_report_note(args.out, since) if args.out else 'no report was written'}; rerun the same command"
    from filingsum.cli.common import configured

    out = args.out or configured(args, lambda c: c.eval.out_dir, "the report dir (eval.out_dir)")
    return (f"{_report_note(out, since)}; summaries generated so far are journalled in {out}/.work/: rerun the same "
            "command to resume")


GENERATION_ONLY_KEYS = ("eval.systems", "eval.generate_with", "eval.endpoint", "eval.endpoint_model", "eval.adapter",
                        "eval.max_documents", "eval.max_summary_tokens", "eval.split")


def generation_only_overrides(overrides: list[str]) -> list[str]:
    """The ``--set`` keys among ``overrides`` that choose what eval generates, so a predictions file ignores them."""
    keys = [item.partition("=")[0].strip() for item in overrides]
    return [key for key in keys if key in GENERATION_ONLY_KEYS]


def print_report(report, out_dir: str | Path) -> int:  # noqa: ANN001 (eval.report.Report)
    """The report's Markdown, where its files are, and each failed gate; exit 1 when a gate failed."""
    out_dir = Path(out_dir)
    print((out_dir / "report.md").read_text(encoding="utf-8"))
    print(f"report: {out_dir / 'report.json'}  {out_dir / 'report.md'}  {out_dir / 'report.html'}")
    for failure in report.gates.failures if not report.gates.passed else []:
        print(f"filingsum: gate failed: {failure.reason}", file=sys.stderr)
    # a system none of whose documents could be scored (every generation failed) fails the run, gates or not:
    # a CI job without gates must not stay green on an eval that evaluated nothing
    unscored = [name for name, result in report.systems.items()
                if result.per_document and result.aggregate.get("scored_fraction") == 0]
    for name in unscored:
        print(f"filingsum: error: {name}: every document failed ({len(report.systems[name].per_document)}); "
              f"the reasons are in {out_dir / 'report.md'}", file=sys.stderr)
    return 0 if report.gates.passed and not unscored else 1


def print_comparison(old: str, new: str, tolerance: float, *, markdown: bool = False) -> int:
    """`filingsum eval compare`: exit 1 on regressions, 2 (UsageError) when a file is not a report."""
    from filingsum.eval.compare import compare_reports, render_markdown, render_table

    comparison = compare_reports(old, new, tolerance)
    if markdown:
        print(render_markdown(comparison))
        _warn_documents(comparison)
        return comparison.exit_code
    from rich.console import Console

    console = Console()
    with console.capture() as table:  # printed by print(): a closed stdout is main()'s BrokenPipeError (exit 141),
        console.print(render_table(comparison))  # not rich's own exit 1, which reads as "regressions"
    print(table.get(), end="")
    n = len(comparison.regressions)
    print(f"{n} regression(s)" if n else "no regressions")
    _warn_documents(comparison)
    return comparison.exit_code


def _warn_documents(comparison) -> None:  # noqa: ANN001 (eval.compare.Comparison)
    """A warning line, last, when a and b scored partly different documents (the deltas are not like for like)."""
    if comparison.documents_warning:
        if sys.stdout is not None:
            sys.stdout.flush()  # after the table, where it is seen
        print(f"filingsum: warning: {comparison.documents_warning}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    import time

    args.started_at = time.time()  # for interrupted(): which report files this run wrote
    if args.eval_command == "compare":
        return print_comparison(args.old, args.new, args.tolerance, markdown=args.markdown)
    config = load_run_config(args)
    from filingsum.core.output_lock import OutputLock
    from filingsum.eval.run import evaluate_config, evaluate_predictions_file

    if args.predictions:
        from filingsum.core.io import require_input_file

        # a missing file is a usage error (exit 2); /dev/zero or a FIFO would be read forever
        require_input_file(args.predictions, "--predictions file")
        for key in generation_only_overrides(args.overrides):
            print(f"filingsum: warning: --set {key} has no effect with --predictions (the file's summaries are "
                  "scored as they are; eval.systems and the eval.* generation settings choose what a --config eval "
                  "generates)", file=sys.stderr)
        # a second eval into the same --out refuses, naming this one (no --out: the error comes from below)
        with OutputLock(args.out, "report directory (--out)") if args.out else contextlib.nullcontext():
            report = evaluate_predictions_file(
                config, args.predictions, out_dir=args.out, tokenizer_spec=args.tokenizer,
                system=args.system, fail_under=args.fail_under,
            )
            return print_report(report, args.out)
    if not args.config:
        parser_hint = "give --config CONFIG (systems from eval.systems) or --predictions FILE"
        from filingsum.core.config import ConfigError

        raise ConfigError(parser_hint)
    from filingsum.serving.generate import vllm_server_for

    out_dir = args.out or config.eval.out_dir
    with OutputLock(out_dir, "report directory (--out / eval.out_dir)"):
        report = evaluate_config(config, out_dir=args.out, fail_under=args.fail_under, start_server=vllm_server_for)
        return print_report(report, out_dir)
