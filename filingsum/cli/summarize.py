"""`filingsum summarize`: summarize filings through a running OpenAI-compatible endpoint, and write the results.

The budgets come from the run config (``--config``; without one, the config defaults): the served model's
tokenizer (``model.name``), the source budget (``model.max_source_tokens``), the fit strategy
(``data.fit_strategy``) and the summary cap (``model.max_summary_tokens``, or ``serve.max_tokens``). Flags
override them for one call.

With ``--out``, each finished input is journalled as it completes (``journal_path``: .OUT.journal.jsonl beside
OUT, keyed by ``input_key``: the file's path and content and every setting that shapes its summary); Ctrl-C
cancels the requests not yet sent, keeps what finished, and a rerun of the same command skips those inputs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from filingsum.cli.common import (
    add_config_arguments,
    check_context_budget,
    load_run_config,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from filingsum.core.schema import FIT_STRATEGIES, GUARD_POLICIES, SECTION_NAMES
from filingsum.inference.base import DEFAULT_MAX_CHUNKS
from filingsum.inference.batch import journal_path

HELP = "summarize filings (files, dirs, globs) through a running endpoint"
DESCRIPTION = """\
Summarize filings through an OpenAI-compatible endpoint (`filingsum serve`, vLLM, or any other), with the
same ingestion, sectioning, cleaning, context budget and prompt as training: give the run's --config so the
tokenizer, the source budget and the summary cap are the run's. Filings longer than the budget are fitted
like the training inputs (data.fit_strategy), or with --fit chunk summarized chunk by chunk and the chunk
summaries summarized again (map-reduce).

One input file: the summary is printed. Several: results go to --out (JSONL or Markdown, with token
counts), one record per input, with an explicit error for any input that failed.

With --out, each finished input is journalled as it completes (.OUT.journal.jsonl beside OUT); Ctrl-C stops
at once and keeps them, and rerunning the same command skips them (failed inputs are retried).

examples:
  filingsum summarize data/samples/fusion_10k_2016_item1_prompt.txt --config configs/smollm2-cpu.yaml \\
      --endpoint http://127.0.0.1:8000/v1 --model NAME_PRINTED_BY_SERVE
  filingsum summarize 'filings/*.html' --config C --endpoint http://127.0.0.1:8000/v1 --model filingsum --out sums.jsonl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, required=False)
    parser.add_argument("inputs", nargs="+", metavar="FILE|DIR|GLOB", help="filings to summarize")
    parser.add_argument("--endpoint", required=True, help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument(
        "--model", default=None,
        help="served model name (see `filingsum serve` output; default: the endpoint's only model)",
    )
    parser.add_argument("--tokenizer", default=None, help="tokenizer spec for the budget (overrides model.name)")
    parser.add_argument("--max-source-tokens", type=positive_int, default=None,
                        help="overrides model.max_source_tokens")
    parser.add_argument("--max-tokens", type=positive_int, default=None,
                        help="summary cap (overrides serve.max_tokens)")
    parser.add_argument(
        "--fit", choices=FIT_STRATEGIES, default=None,
        help="a section over the budget (overrides data.fit_strategy): aspects (keep the aspect paragraphs), "
        "truncate, or chunk (map-reduce: summarize chunks, then the chunk summaries)",
    )
    parser.add_argument(
        "--section", dest="sections", action="append", default=None, choices=SECTION_NAMES,
        help="section to summarize (repeatable; default item_1, which is the MD&A on a 10-Q)",
    )
    parser.add_argument(
        "--max-chunks", type=positive_int, default=DEFAULT_MAX_CHUNKS,
        help=f"--fit chunk: most map requests per section (default {DEFAULT_MAX_CHUNKS}); a longer section is "
        "first fitted (aspects) to that many chunks, with a warning",
    )
    parser.add_argument(
        "--max-file-mb", type=positive_float, default=None,
        help="larger input files end as an error record (overrides data.max_file_mb, default 50)",
    )
    parser.add_argument(
        "--guard", choices=GUARD_POLICIES, default=None,
        help="check each generated sentence (overrides summarize.guard, default drop): drop the ones that repeat, "
        "talk about the text, deny the summary or state an unsupported figure or name; flag them; or off",
    )
    parser.add_argument("--instruction", default=None, help="request to answer (default: the trained one)")
    parser.add_argument("--out", help="output file (needed for several inputs)")
    parser.add_argument("--format", choices=["jsonl", "md"], default=None, help="default: from --out suffix")
    parser.add_argument("--temperature", type=non_negative_float, default=0.0, help="sampling temperature (0: greedy)")
    parser.add_argument("--concurrency", type=positive_int, default=4)
    parser.add_argument("--timeout", type=positive_float, default=300.0, help="per-request timeout (seconds)")
    parser.add_argument("--max-retries", type=non_negative_int, default=3)
    parser.add_argument(
        "--api-key-env", help="environment variable holding the server's API key (default: serve.api_key_env, else "
        "OPENAI_API_KEY)",
    )


def summarize_settings(args: argparse.Namespace, config: Any, max_tokens: int) -> dict[str, Any]:
    """What a journalled summary depends on besides the file, as resolved from the config and the flags (not
    the endpoint URL: the same served model may move; delete the journal to redo everything after swapping
    the model behind a name)."""
    return {
        "model": args.model, "tokenizer": config.model.name, "max_source_tokens": config.model.max_source_tokens,
        "max_tokens": max_tokens, "fit": config.data.fit_strategy, "sections": args.sections,
        "instruction": args.instruction, "temperature": args.temperature, "max_chunks": args.max_chunks,
        "max_file_mb": config.data.max_file_mb, "guard": args.guard or config.summarize.guard,
    }


def interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C outside the request loop leaves behind (the loop reports its own interrupts with counts)."""
    if args.out:
        return (f"finished inputs are journalled in {journal_path(args.out)}; rerun the same command to summarize "
                f"the rest and write {args.out}")
    return "nothing was written"


# --- the command ----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every input got a summary, 1 when any ended as an error record, 130 on Ctrl-C (143 on
    SIGTERM). With --out, finished inputs are journalled as they complete and skipped by a rerun."""
    from filingsum.cli import Terminated
    from filingsum.core.errors import UsageError
    from filingsum.core.io import preflight_output_file
    from filingsum.filings.ingest import INPUT_SUFFIXES, IngestError, discover_inputs
    from filingsum.inference.batch import summarize_batch
    from filingsum.inference.factory import ClientSettings, InputOverrides, contracted_summarizer

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    config = load_run_config(args, check_context=False)  # checked below, once the contract and flags are in
    client = ClientSettings(
        api_key=os.environ.get(args.api_key_env or config.serve.api_key_env or "OPENAI_API_KEY"),
        timeout_s=args.timeout, max_retries=args.max_retries, concurrency=args.concurrency,
        temperature=args.temperature,
    )
    # The served model's inference contract first (the shipped default and trained runs carry one), then the
    # flags, which win with a warning where they depart from it; the output guard last (the Python API's path).
    built = contracted_summarizer(
        config, endpoint=args.endpoint, served_model=args.model, client=client, max_chunks=args.max_chunks,
        guard=args.guard, overrides=InputOverrides(
            max_source_tokens=args.max_source_tokens, fit_strategy=args.fit, max_summary_tokens=args.max_tokens,
            sections=args.sections, tokenizer=args.tokenizer, max_file_mb=args.max_file_mb,
        ),
    )
    for warning in built.warnings:
        print(f"filingsum: warning: {warning}", file=sys.stderr)
    config, summarizer = built.config, built.summarizer
    check_context_budget(config, summary_tokens=getattr(summarizer, "max_tokens", None))
    args.model, args.sections = built.model, list(built.sections) if built.sections else None
    try:
        files = [str(f) for f in discover_inputs(list(args.inputs))]
    except IngestError as exc:
        raise UsageError(str(exc)) from None
    if not files:
        raise UsageError(f"{', '.join(args.inputs)}: no input files ({', '.join(INPUT_SUFFIXES)}); nothing to "
                         "summarize")
    if len(files) > 1 and not args.out:
        raise UsageError(f"{len(files)} inputs: give --out FILE (.jsonl or .md) for the results")
    if args.out:
        preflight_output_file(args.out, what="--out file")
        preflight_output_file(journal_path(args.out), what="journal")
    summarizer.progress = len(files) > 1
    settings = summarize_settings(args, config, summarizer.max_tokens)
    outcome = summarize_batch(summarizer, files, out=args.out, settings=settings, instruction=args.instruction,
                              fmt=args.format)
    if outcome.resumed:
        print(f"resuming: {outcome.resumed} of {len(files)} input(s) already summarized in {outcome.journal}",
              file=sys.stderr)
    if outcome.interrupted:
        terminated = isinstance(outcome.interrupt, Terminated)
        what = "terminated (SIGTERM)" if terminated else "interrupted"
        if outcome.journal is not None:
            print(f"filingsum: {what}; {outcome.kept} of {len(files)} input(s) summarized and kept in "
                  f"{outcome.journal}; rerun the same command to summarize the other {len(files) - outcome.kept} "
                  f"and write {args.out}", file=sys.stderr)
        else:
            print(f"filingsum: {what}; {outcome.kept} of {len(files)} input(s) summarized; nothing was written "
                  "(give --out FILE to keep finished summaries across runs)", file=sys.stderr)
        return 143 if terminated else 130
    results = outcome.results
    if outcome.written is not None:
        print(f"wrote {len(results)} results to {outcome.written}", file=sys.stderr)
    elif len(results) == 1 and results[0].summary is not None:
        print(results[0].summary)
    else:
        for r in results:
            if r.summary is not None:
                print(f"## {r.id}\n\n{r.summary}\n")
    for r in outcome.errors:
        print(f"filingsum: {r.id}: {r.error}", file=sys.stderr)
    print(f"{len(results) - len(outcome.errors)} summarized, {len(outcome.errors)} failed", file=sys.stderr)
    return 1 if outcome.errors else 0
