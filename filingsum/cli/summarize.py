"""`filingsum summarize`: the flags (`summarize_args`) turned into one batch call (`inference.batch`), and what it
did printed.

The budgets come from the run config (``--config``; without one, the config defaults): the served model's
tokenizer (``model.name``), the source budget (``model.max_source_tokens``), the fit strategy
(``data.fit_strategy``) and the summary cap (``model.max_summary_tokens``, or ``serve.max_summary_tokens``); the served
model's inference contract decides what the config does not set, and flags override for one call. With
``--out``, finished inputs are journalled as they complete (`filingsum.inference.batch`), Ctrl-C keeps them,
and a rerun of the same command skips them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from filingsum.cli.common import check_context_budget, load_run_config
from filingsum.cli.summarize_args import DESCRIPTION, HELP, add_arguments, client_settings, input_overrides
from filingsum.core.names import printable
from filingsum.inference.batch import BatchOutcome, journal_path

if TYPE_CHECKING:
    from filingsum.core.schema import SummaryResult

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "interrupted", "run"]


STDOUT = "-"  # --out -: the results go to standard output, as Unix tools take "-" (no journal, no file)


def interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C outside the request loop leaves behind (the loop reports its own interrupts with counts)."""
    if args.out == STDOUT:
        return "nothing was written"
    if args.out and journal_path(args.out).is_file():
        return (f"finished inputs are journalled in {journal_path(args.out)}; rerun the same command to summarize "
                f"the rest and write {args.out}")
    if args.out:
        return f"nothing had finished, so nothing was written; rerun the same command to write {args.out}"
    return "nothing was written"


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every input got a summary, 1 when any ended as an error record, 130 on Ctrl-C (143 on
    SIGTERM). With --out, finished inputs are journalled as they complete and skipped by a rerun."""
    from filingsum.core.endpoints import check_endpoint_url
    from filingsum.core.errors import UsageError
    from filingsum.inference.batch import batch_inputs, batch_settings, summarize_batch
    from filingsum.inference.factory import contracted_summarizer

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    to_stdout = args.out == STDOUT  # the results as JSONL (or --format md) on stdout, the status lines on stderr
    out = None if to_stdout else args.out
    if not out and sys.stdout is None:  # `>&-`: the summaries would go nowhere, and exit 0 would say it worked
        raise UsageError("standard output is closed, so the summaries would have nowhere to go; give --out FILE")
    check_endpoint_url(args.endpoint, "--endpoint")  # before the config, the key or any request (exit 2)
    config = load_run_config(args, check_context=False)  # checked below, once the contract and flags are in
    # The served model's inference contract first (the shipped default and trained runs carry one), then the
    # flags, which win with a warning where they depart from it; the output guard last (the Python API's path).
    built = contracted_summarizer(config, endpoint=args.endpoint, served_model=args.model,
                                  client=client_settings(args, config), max_chunks=args.max_chunks, guard=args.guard,
                                  overrides=input_overrides(args))
    for warning in built.warnings:
        print(f"filingsum: warning: {warning}", file=sys.stderr)
    # the cap this call sends (--max-summary-tokens, else the contract's or the config's) and its --instruction
    check_context_budget(built.config, summary_tokens=built.summarizer.max_summary_tokens,
                         instruction=args.instruction, count_tokens=built.summarizer.count_tokens)
    files = batch_inputs(args.inputs, out, many_without_out=to_stdout)
    built.summarizer.progress = len(files) > 1  # a bar over the files; one file: a bar per map-reduce round
    built.summarizer.chunk_progress = len(files) == 1  # (one bar at a time: inputs run on parallel threads)
    settings = batch_settings(built, instruction=args.instruction, temperature=args.temperature,
                              max_chunks=args.max_chunks, guard=args.guard)
    outcome = summarize_batch(built.summarizer, files, out=out, settings=settings,
                              instruction=args.instruction, fmt=args.format)
    return print_outcome(outcome, len(files), out, stream_format=(args.format or "jsonl") if to_stdout else None)


def cap_note(result: SummaryResult) -> str:
    """What a summary cut by the token cap (finish_reason "length") means for the reader of ``result``."""
    dropped = result.checks is not None and any(f.reason.startswith("unfinished") for f in result.checks.dropped)
    tail = ("the unfinished last sentence was dropped" if dropped
            else "it may end mid-sentence (summarize.guard: drop removes an unfinished last sentence)")
    return (f"the summary reached the token cap ({result.completion_tokens or '?'} tokens, finish_reason length); "
            f"{tail}")


def print_outcome(outcome: BatchOutcome, total: int, out: str | None, *, stream_format: str | None = None) -> int:
    """Print what a batch of ``total`` inputs did (summaries on stdout, the rest on stderr); the exit status.
    With ``stream_format`` (`--out -`), every result goes to stdout as the file would hold it (JSONL or md)."""
    from filingsum.cli import Terminated
    from filingsum.filings.sections import WHOLE_TEXT_USED
    from filingsum.inference.batch import results_text

    if outcome.resumed:
        print(f"resuming: {outcome.resumed} of {total} input(s) already summarized in {outcome.journal}",
              file=sys.stderr)
    if outcome.interrupted:
        signal = outcome.interrupt if isinstance(outcome.interrupt, Terminated) else None
        what = f"terminated ({signal.signal_name})" if signal else "interrupted"
        print(f"filingsum: {what}; {outcome.interrupt_note(total, out)}", file=sys.stderr)
        return signal.exit_status if signal else 130
    results = outcome.results
    if stream_format is not None:
        sys.stdout.write(results_text(results, stream_format))
        print(f"wrote {len(results)} results to standard output", file=sys.stderr)
    elif outcome.written is not None:
        print(f"wrote {len(results)} results to {outcome.written}", file=sys.stderr)
    elif outcome.unreplaced:
        pass  # OUT left as it was: said last, below
    elif len(results) == 1 and results[0].summary is not None:
        print(results[0].summary)
    else:
        for r in results:
            if r.summary is not None:
                print(f"## {printable(r.id)}\n\n{r.summary}\n")
    for r in results:
        if r.summary is not None and r.finish_reason == "length":
            print(f"filingsum: note: {printable(r.id)}: {cap_note(r)}", file=sys.stderr)
        for warning in r.warnings:  # the text sent is not the section asked for (its record has the warning too)
            if warning.endswith(WHOLE_TEXT_USED):
                print(f"filingsum: warning: {printable(r.id)}: {warning}", file=sys.stderr)
    for r in outcome.errors:
        print(f"filingsum: {printable(r.id)}: {r.error}", file=sys.stderr)
    print(f"{len(results) - len(outcome.errors)} summarized, {len(outcome.errors)} failed", file=sys.stderr)
    if outcome.unreplaced:
        print(f"filingsum: {outcome.unreplaced_note(out)}", file=sys.stderr)
    return 1 if outcome.errors else 0
