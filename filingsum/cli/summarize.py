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
import hashlib
import logging
import os
import sys
from pathlib import Path
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
from filingsum.core.schema import FIT_STRATEGIES, GUARD_POLICIES, SECTION_NAMES, SummaryResult
from filingsum.inference.base import DEFAULT_MAX_CHUNKS

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


# --- output ---------------------------------------------------------------------------------------------


def results_to_markdown(results: list[SummaryResult]) -> str:
    from filingsum.inference.guard import guard_line

    parts = ["# Filing summaries\n"]
    for r in results:
        parts.append(f"## {r.id}\n")
        meta = f"source: `{r.source_path}`"
        if r.summary is not None:
            meta += f"; tokens: {r.prompt_tokens} prompt, {r.completion_tokens} summary; chunks: {r.chunks}"
        if r.latency_s is not None:
            meta += f"; {r.latency_s:.2f} s"
        parts.append(meta + "\n")
        if r.checks is not None:
            parts.append(guard_line(r.checks) + "\n")
        parts.append((r.summary if r.summary is not None else f"**error:** {r.error}") + "\n")
    return "\n".join(parts)


def write_results(results: list[SummaryResult], out: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Results as JSONL (one SummaryResult a line) or Markdown (from ``fmt``, else the suffix of ``out``)."""
    from filingsum.core.io import atomic_write_jsonl, atomic_write_text

    out = Path(out)
    fmt = fmt or ("md" if out.suffix.lower() in (".md", ".markdown") else "jsonl")
    if fmt == "md":
        return atomic_write_text(out, results_to_markdown(results))
    return atomic_write_jsonl(out, (r.model_dump() for r in results))


# --- resumable output -----------------------------------------------------------------------------------


def journal_path(out: str | os.PathLike[str]) -> Path:
    """Where `filingsum summarize --out OUT` journals finished inputs: .OUT.journal.jsonl beside OUT."""
    out = Path(out)
    return out.with_name(f".{out.name}.journal.jsonl")


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def input_key(path: str, settings: dict[str, Any]) -> str | None:
    """Journal key of one input: its path and content and every setting that shapes its summary; None for a
    file that cannot be read or is over the size cap (it is summarized, i.e. reported, again; never hashed
    whole first)."""
    from filingsum.core.io import stable_hash

    try:
        cap = settings.get("max_file_mb")
        if cap is not None and os.path.getsize(path) > cap * 1024 * 1024:
            return None
        return stable_hash(str(path), _file_digest(path), settings)
    except OSError:
        return None


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
    """Exit 0 when every input got a summary, 1 when any ended as an error record, 130 on Ctrl-C. With
    --out, finished inputs are journalled as they complete and skipped by a rerun."""
    from filingsum.core.errors import FilingsumError, UsageError
    from filingsum.core.io import ResultJournal, preflight_output_file
    from filingsum.filings.ingest import IngestError, discover_inputs
    from filingsum.inference.factory import ClientSettings, InputOverrides, contracted_summarizer

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    config = load_run_config(args, check_context=False)  # checked below, once the contract and flags are in
    if args.max_chunks < 1:
        raise UsageError(f"--max-chunks must be at least 1, not {args.max_chunks}")
    client = ClientSettings(
        api_key=os.environ.get(args.api_key_env or config.serve.api_key_env or "OPENAI_API_KEY"),
        timeout_s=args.timeout, max_retries=args.max_retries,
        concurrency=args.concurrency, temperature=args.temperature,
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
        from filingsum.filings.ingest import INPUT_SUFFIXES

        raise UsageError(f"{', '.join(args.inputs)}: no input files ({', '.join(INPUT_SUFFIXES)}); nothing to "
                         "summarize")
    if len(files) > 1 and not args.out:
        raise UsageError(f"{len(files)} inputs: give --out FILE (.jsonl or .md) for the results")
    journal = None
    if args.out:
        preflight_output_file(args.out, what="--out file")
        preflight_output_file(journal_path(args.out), what="journal")
        journal = ResultJournal(journal_path(args.out))
    summarizer.progress = len(files) > 1
    settings = summarize_settings(args, config, summarizer.max_tokens)
    keys = {f: input_key(f, settings) for f in files} if journal is not None else {}
    by_file: dict[str, list[SummaryResult]] = {}
    for f, key in keys.items():
        if key is not None and journal is not None and key in journal:
            by_file[f] = [SummaryResult.model_validate(r) for r in journal.get(key)]
    if by_file and journal is not None:
        print(f"resuming: {len(by_file)} of {len(files)} input(s) already summarized in {journal.path}",
              file=sys.stderr)
    todo = [f for f in files if f not in by_file]
    stream = summarizer.summarize_files(todo, instruction=args.instruction)
    try:
        for f, found in stream:
            by_file[f] = found
            if journal is not None and keys.get(f) and not any(r.error for r in found):
                journal.put(keys[f], [r.model_dump() for r in found])  # failed inputs are retried on a rerun
    except KeyboardInterrupt:
        summarizer.cancel()
        stream.close()  # its progress bar goes before the message below
        done = sum(1 for f in files if f in by_file)
        if journal is not None:
            journal.close()
            kept = sum(1 for f in files if keys.get(f) and keys[f] in journal)
            print(f"filingsum: interrupted; {kept} of {len(files)} input(s) summarized and kept in {journal.path}; "
                  f"rerun the same command to summarize the other {len(files) - kept} and write {args.out}",
                  file=sys.stderr)
        else:
            print(f"filingsum: interrupted; {done} of {len(files)} input(s) summarized; nothing was written "
                  "(give --out FILE to keep finished summaries across runs)", file=sys.stderr)
        return 130
    finally:
        if journal is not None:
            journal.close()

    results = [r for f in files for r in sorted(by_file.get(f, []), key=lambda r: r.id)]
    if args.out:
        try:
            path = write_results(results, args.out, args.format)
        except OSError as exc:  # a full disk at the very end must not cost a single finished summary
            kept = f"the finished summaries are kept in {journal.path}" if journal is not None and len(journal) else ""
            raise FilingsumError(
                f"{args.out}: cannot write ({exc.strerror or exc}); {kept or 'nothing was kept'}: free some space "
                "and rerun the same command (finished inputs are not requested again)"
            ) from None
        print(f"wrote {len(results)} results to {path}", file=sys.stderr)
    elif len(results) == 1 and results[0].summary is not None:
        print(results[0].summary)
    else:
        for r in results:
            if r.summary is not None:
                print(f"## {r.id}\n\n{r.summary}\n")
    errors = [r for r in results if r.error]
    for r in errors:
        print(f"filingsum: {r.id}: {r.error}", file=sys.stderr)
    ok = len(results) - len(errors)
    print(f"{ok} summarized, {len(errors)} failed", file=sys.stderr)
    return 1 if errors else 0
