"""Cost of reading, sectioning, cleaning and fitting a filing as it grows (issue 20: bounded cost).

Writes synthetic 10-K files of the given sizes, each an "Item 1. Business" heading followed by one endless
line of business prose (no paragraph break; optionally no full stop either, the worst case), and runs the
product's one path, `filings.prepare.prepare_inputs` (ingest -> section -> clean -> fit), with the embedded
SmolLM2 tokenizer and the default 1,024-token aspect fit. Prints seconds and peak RSS per size, and the time
ratio of the largest to the smallest (linear cost: the ratio of the sizes).

``--fit chunk`` measures what `filingsum summarize FILE --section whole --fit chunk` does before its first
request (eighth probe P8-F11): the file is one line with no line break at all, made of real filing prose (the
text of a filing in ../shared/filings, flattened and repeated; the synthetic sentence without it), chunked at
the summarize budget (1,536 tokens), then, past --max-chunks (32), fitted (aspects) to 32 chunks' budget and
chunked again, as the summarizer's cap does. Prints user and system CPU seconds too.

    python benchmarks/bench_fit_scaling.py                     # 0.5, 1, 2, 4 MB, no full stop
    python benchmarks/bench_fit_scaling.py --mb 5 50           # issue 20's bar: 50 MB within 10x of 5 MB
    python benchmarks/bench_fit_scaling.py --fit chunk --mb 0.25 0.5 1 2
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SENTENCE = ("The company sells software subscriptions to small businesses through its direct sales force and "
            "partners and earns revenue from licenses, support and services")
PROSE_FILING = REPO.parent / "shared" / "filings" / "aapl-10-k-2024-11-01.html"
SUMMARIZE_BUDGET, MAX_CHUNKS = 1536, 32  # model.max_source_tokens and --max-chunks, their defaults


def write_filing(path: Path, megabytes: float, full_stops: bool) -> Path:
    body = (SENTENCE + (". " if full_stops else ", and ")) * int(megabytes * 1024 * 1024 / (len(SENTENCE) + 6))
    path.write_text("ACME CORP\nFORM 10-K\nANNUAL REPORT FOR THE FISCAL YEAR ENDED DECEMBER 31, 2024\n\n"
                    "Item 1. Business\n\n" + body + "\n\nItem 1A. Risk Factors\n\nNone.\n", encoding="utf-8")
    return path


def prose_line() -> str:
    """Real filing prose on one line (whitespace collapsed); the synthetic sentence when ../shared is absent."""
    if not PROSE_FILING.is_file():
        return (SENTENCE + ". ") * 2000
    from filingsum.filings.ingest import load_documents

    return " ".join(load_documents(PROSE_FILING)[0].text.split())


def write_one_line_filing(path: Path, megabytes: float, prose: str) -> Path:
    size = int(megabytes * 1024 * 1024)
    path.write_text(("FORM 10-K ANNUAL REPORT " + (prose + " ") * (size // len(prose) + 1))[:size], encoding="utf-8")
    return path


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def run_chunk(path: Path, count) -> tuple[int, str]:
    """summarize's preparation of `--section whole --fit chunk`: (map requests it would send, detail)."""
    from filingsum.filings.fit import chunk_text, fit_section
    from filingsum.filings.prepare import prepare_inputs

    (prepared,) = prepare_inputs(path, ["whole"], count, SUMMARIZE_BUDGET, "chunk", max_bytes=int(60 * 1024 * 1024))
    chunks = [p.text for p in prepared.pieces]
    if len(chunks) > MAX_CHUNKS:  # as inference.base's cap does past --max-chunks
        fitted = fit_section(prepared.section.text, count, SUMMARIZE_BUDGET * MAX_CHUNKS, "aspects")[0].text
        capped = chunk_text(fitted, count, SUMMARIZE_BUDGET)[:MAX_CHUNKS]
        return len(capped), f"{len(chunks)} chunks, capped to {len(capped)}"
    return len(chunks), f"{len(chunks)} chunks"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[0.5, 1, 2, 4], help="file sizes in MB")
    parser.add_argument("--full-stops", action="store_true", help="sentences end with a full stop (easier)")
    parser.add_argument("--fit", choices=["aspects", "chunk"], default="aspects",
                        help="aspects: Item 1 at 1,024 tokens; chunk: a one-line file, summarize's whole chunk fit")
    args = parser.parse_args()

    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.filings.prepare import prepare_inputs

    count = token_counter(load_tokenizer("embedded:smollm2-135m-instruct"))
    prose = prose_line() if args.fit == "chunk" else ""
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            path = Path(tmp) / f"acme_10k_{mb}.txt"
            if args.fit == "chunk":
                write_one_line_filing(path, mb, prose)
            else:
                write_filing(path, mb, args.full_stops)
            started, (user0, sys0) = time.perf_counter(), _cpu()
            if args.fit == "chunk":
                _, detail = run_chunk(path, count)
            else:
                prepared = prepare_inputs(path, ["item_1"], count, 1024, "aspects", max_bytes=int(60 * 1024 * 1024))
                detail = f"fitted {prepared[0].pieces[0].token_count if prepared else 0} tokens"
            seconds, (user1, sys1) = time.perf_counter() - started, _cpu()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append((mb, seconds))
            print(f"{mb:6.2f} MB  {seconds:8.2f} s  (user {user1 - user0:.2f} s, sys {sys1 - sys0:.2f} s)  "
                  f"peak RSS {peak_mb:7.0f} MB  {detail}", flush=True)
    (mb0, s0), (mb1, s1) = rows[0], rows[-1]
    print(f"time {mb1:g} MB / {mb0:g} MB: {s1 / s0:.1f}x for {mb1 / mb0:.0f}x the size; load average before "
          f"{load:.1f}, after {os.getloadavg()[0]:.1f}")
    print("command: python " + " ".join(sys.argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
