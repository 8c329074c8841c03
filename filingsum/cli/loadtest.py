"""`filingsum loadtest`: a bounded load test of a local OpenAI-compatible server (`filingsum serve`)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filingsum.cli.common import (
    add_config_arguments,
    bounded_positive_int,
    load_run_config,
    positive_float,
    positive_int,
    report_file,
)
from filingsum.core.json_rows import loads

if TYPE_CHECKING:
    from filingsum.core.config import RunConfig

MAX_REQUESTS = 100_000  # one record each: 10 million used to fill 4 GB before the deadline was looked at
HELP = "load-test a local server: N concurrent clients, M requests, latency and throughput, nothing lost"
DESCRIPTION = """\
Send chat completions with the prompt contract to a server on this machine (127.0.0.1, localhost or ::1
only) from --concurrency threads and report latency percentiles and throughput. Every request ends in one
outcome (ok, error, timeout, not sent); exit 1 when the accounting does not balance or no request
succeeded, 2 for a non-local endpoint.

examples:
  filingsum loadtest --endpoint http://127.0.0.1:8000/v1 --model filingsum --requests 64 --concurrency 8
  filingsum loadtest --config configs/smollm2-cpu.yaml --endpoint URL --model NAME --json load.json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, required=False)
    parser.add_argument("--endpoint", required=True, help="local base URL, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", required=True, help="served model name (see `filingsum serve` output)")
    parser.add_argument("--input", action="append", default=[], metavar="FILE",
                        help="filing(s) to send, each fitted as `summarize` fits it (its sections, to "
                        "model.max_source_tokens) (default: the data/samples seed files)")
    parser.add_argument("--requests", type=bounded_positive_int(MAX_REQUESTS), default=64,
                        help=f"requests to send (at most {MAX_REQUESTS:,}; each is recorded)")
    parser.add_argument("--concurrency", type=positive_int, default=8)
    parser.add_argument("--max-summary-tokens", "--max-tokens", type=positive_int, default=None,
                        help="output cap per request (default: the server's cap: serve.max_summary_tokens, else "
                        "model.max_summary_tokens)")
    parser.add_argument("--timeout", type=positive_float, default=120.0, help="per-request timeout (s)")
    parser.add_argument("--deadline", type=positive_float, default=600.0, help="total deadline (s)")
    parser.add_argument("--json", dest="json_out", type=report_file,
                        help="also write the report (without per-request records) here")
    parser.add_argument("--api-key-env", help="environment variable holding the server's API key (default: "
                        "serve.api_key_env, else OPENAI_API_KEY, which goes by default only to an https endpoint or "
                        "one on this machine); a variable named here or in serve.api_key_env must be set: exit 2 "
                        "otherwise")


def interrupted(args: argparse.Namespace) -> str:
    return "no request was sent after the stop, and no report was written; rerun to measure"


def _is_load_report(head: bytes) -> bool:
    """Whether a file's head is an earlier `--json` report (one JSON object with the report's counts)."""
    try:
        report = loads(head)
    except ValueError:
        return False
    return isinstance(report, dict) and {"requests", "concurrency"} <= report.keys()


def _same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one existing file (links and relative spellings included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    from filingsum.core.endpoints import check_url_and_key, server_api_key
    from filingsum.core.errors import UsageError
    from filingsum.core.io import atomic_write_json, check_replaceable, preflight_output_file
    from filingsum.serving.loadtest import check_local_endpoint, format_report, run_load_test

    config = load_run_config(args)
    check_local_endpoint(args.endpoint)  # before any input is read
    api_key = server_api_key(args.api_key_env, config.serve.api_key_env, args.endpoint)  # unset if named: exit 2
    named = (f"--api-key-env {args.api_key_env}" if args.api_key_env is not None
             else f"serve.api_key_env ({config.serve.api_key_env})" if config.serve.api_key_env else None)
    if named:  # the URL's user:password would be sent in place of the key: refused before any request
        check_url_and_key(args.endpoint, api_key, url_what="--endpoint", key_what=named)
    if args.json_out:  # a directory, device or FIFO is refused (exit 2) before any request is sent
        preflight_output_file(args.json_out, what="--json file")
    files = [Path(p) for p in args.input] or sorted(Path("data/samples").glob("*.txt"))
    if args.json_out and any(_same_file(args.json_out, f) for f in files):
        raise UsageError(f"--json {args.json_out}: is one of the --input filings; the report would overwrite it: "
                         "give another path")
    if args.json_out:
        check_replaceable(args.json_out, _is_load_report, what="load-test report")  # not a config or a filing
    if not files:
        raise UsageError("no --input given and no data/samples/*.txt here")
    max_bytes = int(config.data.max_file_mb * 1024 * 1024)
    # each file read once, all before any is fitted: a device, a FIFO, an over-size or binary file: exit 2 here
    inputs = [read_input(f, max_bytes=max_bytes) for f in files]
    texts = fitted_inputs(inputs, config)
    report = run_load_test(
        args.endpoint, args.model, texts, requests=args.requests, concurrency=args.concurrency,
        max_summary_tokens=args.max_summary_tokens or config.max_summary_tokens(config.serve.max_summary_tokens),
        request_timeout_s=args.timeout, deadline_s=args.deadline, api_key=api_key,
    )
    print(format_report(report))
    if args.json_out:
        atomic_write_json(args.json_out, report.summary())
    if not report.ok:
        print(f"filingsum: no request succeeded ({report.errors} errors, {report.timeouts} timeouts, "
              f"{report.not_sent} not sent): see the error samples above", file=sys.stderr)
        return 1
    return 0 if report.balanced else 1


def fitted_inputs(inputs: list[InputFile], config: RunConfig) -> list[str]:
    """What `summarize` would send for each file read with this config: its wanted sections found and fitted to
    the source budget (model.max_source_tokens, data.fit_strategy) with the model's tokenizer, the first fitted
    piece of each; a whole seed filing would overrun the server's context (HTTP 400) and leave the figures to the
    rest. The files are not read again: their text is parsed as `summarize` parses a file it reads."""
    from filingsum.core.errors import UsageError
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.filings.ingest import IngestError, parse_documents
    from filingsum.filings.prepare import extract_documents, fit_sections

    count_tokens = token_counter(load_tokenizer(config.model.name))
    texts = []
    for input_file in inputs:
        try:
            sections = extract_documents(parse_documents(input_file.text, input_file.path, input_file.warnings),
                                         config.data.sections, input_file.path)
        except IngestError as exc:
            raise UsageError(f"--input {input_file.path}: {exc.reason}") from None
        prepared = fit_sections(sections, count_tokens, config.model.max_source_tokens, config.data.fit_strategy)
        texts += [item.pieces[0].text for item in prepared if item.pieces]
    if not texts:
        raise UsageError(f"no text to send in {', '.join(str(input_file.path) for input_file in inputs)}")
    return texts


@dataclass(frozen=True)
class InputFile:
    """One --input file as `read_input` read it: its path, its decoded text and the decoding's warnings."""

    path: Path
    text: str
    warnings: list[str]


def read_input(path: Path, *, max_bytes: int) -> InputFile:
    """One --input file, read as filings are (`filingsum.filings.ingest.read_text_file`): a regular file (not a
    device such as /dev/zero, a FIFO or a directory) within the size cap (data.max_file_mb), text; UsageError
    (exit 2) naming the file and why otherwise."""
    from filingsum.core.errors import UsageError
    from filingsum.filings.ingest import IngestError, read_text_file

    try:
        text, warnings = read_text_file(path, max_bytes=max_bytes)
    except IngestError as exc:
        raise UsageError(f"--input {path}: {exc.reason}") from None
    return InputFile(path, text, warnings)
