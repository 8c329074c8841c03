"""The command line of `filingsum summarize`: its help text (HELP, DESCRIPTION), its flags (add_arguments) and
what the parsed flags mean to the endpoint client (client_settings) and the inputs (input_overrides).

Every flag that shapes a summary defaults to None where the run config (or the served model's inference
contract) decides it; `filingsum.cli.summarize` turns the parsed flags into one batch call.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from filingsum.cli.common import (
    add_config_arguments,
    non_negative_int,
    positive_float,
    positive_int,
    temperature,
)
from filingsum.core.config_sections import MAX_FILE_MB_LIMIT
from filingsum.core.schema import FIT_STRATEGIES, GUARD_POLICIES, SECTION_NAMES
from filingsum.inference.base import DEFAULT_MAX_CHUNKS

if TYPE_CHECKING:
    from filingsum.core.config import RunConfig
    from filingsum.inference.factory import ClientSettings, InputOverrides

def file_mb(text: str) -> float:
    """argparse type of --max-file-mb: a finite number > 0, at most data.max_file_mb's limit (a larger one
    overflows the read)."""
    value = positive_float(text)
    if value > MAX_FILE_MB_LIMIT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_FILE_MB_LIMIT:,} (MB), not {text}")
    return value


HELP = "summarize filings (files, dirs, globs) through a running endpoint"
DESCRIPTION = """\
Summarize filings through an OpenAI-compatible endpoint (`filingsum serve`, vLLM, or any other), with the
same ingestion, sectioning, cleaning, context budget and prompt as training: give the run's --config so the
tokenizer, the source budget and the summary cap are the run's. Filings longer than the budget are fitted
like the training inputs (data.fit_strategy), or with --fit chunk summarized chunk by chunk and the chunk
summaries summarized again (map-reduce).

One input file: the summary is printed. Several: results go to --out (JSONL or Markdown, with token
counts), one record per input, with an explicit error for any input that failed. --out - writes them to
standard output instead (JSONL, or --format md), the status lines to standard error; nothing is journalled.

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
    parser.add_argument("--max-summary-tokens", "--max-tokens", type=positive_int, default=None,
                        help="summary cap (overrides serve.max_summary_tokens)")
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
        "--max-file-mb", type=file_mb, default=None,
        help="larger input files end as an error record (overrides data.max_file_mb, default 50)",
    )
    parser.add_argument(
        "--guard", choices=GUARD_POLICIES, default=None,
        help="check each generated sentence (overrides summarize.guard, default drop): drop the ones that repeat, "
        "talk about the text, deny the summary or state an unsupported figure or name; flag them; or off",
    )
    parser.add_argument("--instruction", default=None, help="request to answer (default: the trained one)")
    parser.add_argument("--out", help="output file (needed for several inputs); - for standard output (./- for a "
                        "file named '-')")
    parser.add_argument("--format", choices=["jsonl", "md"], default=None,
                        help="default: from --out suffix (jsonl for --out -)")
    parser.add_argument("--temperature", type=temperature, default=0.0, help="sampling temperature, 0 to 2 (0: greedy)")
    parser.add_argument("--concurrency", type=positive_int, default=4)
    parser.add_argument("--timeout", type=positive_float, default=300.0,
                        help="per-request timeout in seconds (default: 300); a request that times out is retried "
                             "(--max-retries) while the server still answers /models; a server that answers nothing "
                             "costs one timeout, and the inputs after it are not sent (rerun to resume)")
    parser.add_argument("--max-retries", type=non_negative_int, default=3,
                        help="retries of a request that timed out, could not connect or got a 429/5xx (default: 3)")
    parser.add_argument(
        "--api-key-env", help="environment variable holding the server's API key (default: serve.api_key_env, else "
        "OPENAI_API_KEY, which goes by default only to an https endpoint or one on this machine: a plain-http "
        "endpoint on another host gets it only when named here); a variable named here or in serve.api_key_env "
        "must be set: exit 2 otherwise, never another variable's key",
    )


def client_settings(args: argparse.Namespace, config: RunConfig) -> ClientSettings:
    """How the endpoint client talks to the server, from the flags; the API key from the environment variable
    --api-key-env names, else serve.api_key_env, else OPENAI_API_KEY (only to an https or local endpoint). A
    variable named (by the flag or the config) that is unset or empty is a UsageError naming it, never a fallback
    to $OPENAI_API_KEY (which would send that key to this endpoint)."""
    from filingsum.core.endpoints import check_url_and_key, server_api_key
    from filingsum.inference.factory import ClientSettings

    api_key = server_api_key(args.api_key_env, config.serve.api_key_env, args.endpoint)
    named = (f"--api-key-env {args.api_key_env}" if args.api_key_env is not None
             else f"serve.api_key_env ({config.serve.api_key_env})" if config.serve.api_key_env else None)
    if named:  # a key named and a URL with user:password: the key would never be sent (exit 2, nothing sent)
        check_url_and_key(args.endpoint, api_key, url_what="--endpoint", key_what=named)
    return ClientSettings(
        api_key=api_key,
        timeout_s=args.timeout, max_retries=args.max_retries, concurrency=args.concurrency,
        temperature=args.temperature,
    )


def input_overrides(args: argparse.Namespace) -> InputOverrides:
    """The flags that override the served model's inference contract (None: not given, the contract decides)."""
    from filingsum.inference.factory import InputOverrides

    return InputOverrides(
        max_source_tokens=args.max_source_tokens, fit_strategy=args.fit, max_summary_tokens=args.max_summary_tokens,
        sections=args.sections, tokenizer=args.tokenizer, max_file_mb=args.max_file_mb,
    )
