"""Cost of reading, sectioning, cleaning and fitting a filing as it grows (issue 20: bounded cost).

Writes synthetic 10-K files of the given sizes, each an "Item 1. Business" heading followed by one endless
line of business prose (no paragraph break; optionally no full stop either, the worst case), and runs the
product's one path, `filings.prepare.prepare_inputs` (ingest -> section -> clean -> fit), with the embedded
SmolLM2 tokenizer and the default 1,024-token aspect fit. Prints seconds and peak RSS per size, and the time
ratio of the largest to the smallest (linear cost: the ratio of the sizes).

    python benchmarks/bench_fit_scaling.py                     # 0.5, 1, 2, 4 MB, no full stop
    python benchmarks/bench_fit_scaling.py --mb 5 50           # issue 20's bar: 50 MB within 10x of 5 MB
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


def write_filing(path: Path, megabytes: float, full_stops: bool) -> Path:
    body = (SENTENCE + (". " if full_stops else ", and ")) * int(megabytes * 1024 * 1024 / (len(SENTENCE) + 6))
    path.write_text("ACME CORP\nFORM 10-K\nANNUAL REPORT FOR THE FISCAL YEAR ENDED DECEMBER 31, 2024\n\n"
                    "Item 1. Business\n\n" + body + "\n\nItem 1A. Risk Factors\n\nNone.\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[0.5, 1, 2, 4], help="file sizes in MB")
    parser.add_argument("--full-stops", action="store_true", help="sentences end with a full stop (easier)")
    args = parser.parse_args()

    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.filings.prepare import prepare_inputs

    count = token_counter(load_tokenizer("embedded:smollm2-135m-instruct"))
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            path = write_filing(Path(tmp) / f"acme_10k_{mb}.txt", mb, args.full_stops)
            started = time.perf_counter()
            prepared = prepare_inputs(path, ["item_1"], count, 1024, "aspects", max_bytes=int(60 * 1024 * 1024))
            seconds = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            tokens = prepared[0].pieces[0].token_count if prepared else 0
            rows.append((mb, seconds, peak_mb, tokens))
            print(f"{mb:6.2f} MB  {seconds:8.2f} s  peak RSS {peak_mb:7.0f} MB  fitted {tokens} tokens", flush=True)
    (mb0, s0, _, _), (mb1, s1, _, _) = rows[0], rows[-1]
    print(f"time {mb1:g} MB / {mb0:g} MB: {s1 / s0:.1f}x for {mb1 / mb0:.0f}x the size; load average before "
          f"{load:.1f}, after {os.getloadavg()[0]:.1f}")
    print("command: python " + " ".join(sys.argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
