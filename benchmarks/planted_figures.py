"""Print the claim checks' figures on the planted suites (docs/eval.md, issue 19): per shape, the corrupted
twins caught; the faithful summaries flagged (false alarms); the twins that score better than the faithful one.

    python benchmarks/planted_figures.py            # the tuning suite and the two held-out suites
    python benchmarks/planted_figures.py --fresh    # the held-out suites only (fresh, model outputs)

The tuning suite is tests/planted/claims.yaml + cases.yaml (the seed cases on ../shared/filings need it beside
the checkout); the fresh held-out suite is tests/planted/claims_fresh.yaml and the model-output suite
tests/planted/model_outputs.yaml (the shipped model's own sentences, errors labelled by hand), never used for
tuning.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="only the fresh held-out suite")
    args = parser.parse_args()
    sys.path[:0] = [str(REPO / "tests"), str(REPO)]
    import test_planted as planted

    for part in (("fresh", "model") if args.fresh else ("tuned", "fresh", "model")):
        t0 = time.perf_counter()
        figures = planted._figures(part)
        caught = figures["caught"]
        total = sum(k for k, _ in caught.values()), sum(n for _, n in caught.values())
        print(f"{part}: caught {total[0]}/{total[1]} ({total[0] / total[1]:.0%}); false alarms "
              f"{len(figures['false_alarms'])}/{figures['faithful']} "
              f"({len(figures['false_alarms']) / figures['faithful']:.0%}); corrupted twin better: "
              f"{len(figures['better'])} ({time.perf_counter() - t0:.0f} s)")
        for shape, (k, n) in sorted(caught.items()):
            print(f"  {shape:10} {k}/{n}")
    print("command: python " + " ".join(sys.argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
