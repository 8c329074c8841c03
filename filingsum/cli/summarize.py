"""`filingsum summarize`: summarize filings through a running OpenAI-compatible endpoint."""

from __future__ import annotations

import argparse

from filingsum.inference.endpoint import DEFAULT_MAX_CHUNKS, DEFAULT_MAX_FILE_MB

HELP = "summarize filings (files, dirs, globs) through a running endpoint"
DESCRIPTION = """\
Summarize filings through an OpenAI-compatible endpoint (`filingsum serve`, vLLM, or any other), with the
same ingestion, sectioning, cleaning, context budget and prompt as training. Filings longer than the
budget are summarized chunk by chunk and the chunk summaries summarized again (map-reduce).

One input file: the summary is printed. Several: results go to --out (JSONL or Markdown, with token
counts), one record per input, with an explicit error for any input that failed.

With --out, each finished input is journalled as it completes (.OUT.journal.jsonl beside OUT); Ctrl-C stops
at once and keeps them, and rerunning the same command skips them (failed inputs are retried).

examples:
  filingsum summarize data/samples/fusion_10k_2016_item1_prompt.txt --endpoint http://127.0.0.1:8000/v1 --model filingsum
  filingsum summarize 'filings/*.html' --endpoint http://127.0.0.1:8000/v1 --model filingsum --out sums.jsonl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="FILE|DIR|GLOB", help="filings to summarize")
    parser.add_argument("--endpoint", required=True, help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", required=True, help="served model name (see `filingsum serve` output)")
    parser.add_argument(
        "--tokenizer", default=None,
        help="tokenizer spec for the context budget (default: the embedded SmolLM2; use the served model's)",
    )
    parser.add_argument("--max-source-tokens", type=int, default=None, help="context budget of the filing text")
    parser.add_argument("--max-tokens", type=int, default=512, help="summary token cap")
    parser.add_argument(
        "--fit", choices=["aspects", "truncate", "chunk"], default="aspects",
        help="a section over the budget: aspects (as in training: keep the aspect paragraphs), truncate, "
        "or chunk (map-reduce: summarize chunks, then the chunk summaries)",
    )
    parser.add_argument(
        "--section", dest="sections", action="append", default=None,
        choices=["item_1", "item_1a", "item_7", "part_i_item_2", "whole"],
        help="section to summarize (repeatable; default item_1, which is the MD&A on a 10-Q)",
    )
    parser.add_argument(
        "--max-chunks", type=int, default=DEFAULT_MAX_CHUNKS,
        help=f"--fit chunk: most map requests per section (default {DEFAULT_MAX_CHUNKS}); a longer section is "
        "first fitted (aspects) to that many chunks, with a warning",
    )
    parser.add_argument(
        "--max-file-mb", type=float, default=DEFAULT_MAX_FILE_MB,
        help=f"larger input files end as an error record (default {DEFAULT_MAX_FILE_MB:g}, as data.max_file_mb)",
    )
    parser.add_argument("--instruction", default=None, help="request to answer (default: the trained one)")
    parser.add_argument("--out", help="output file (needed for several inputs)")
    parser.add_argument("--format", choices=["jsonl", "md"], default=None, help="default: from --out suffix")
    parser.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (0: greedy)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=300.0, help="per-request timeout (seconds)")
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the key")


def interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C outside the request loop leaves behind (the loop reports its own interrupts with counts)."""
    if args.out:
        from filingsum.inference.endpoint import journal_path

        return (f"finished inputs are journalled in {journal_path(args.out)}; rerun the same command to summarize "
                f"the rest and write {args.out}")
    return "nothing was written"


def run(args: argparse.Namespace) -> int:
    from filingsum.inference.endpoint import run_summarize_command

    return run_summarize_command(args)
