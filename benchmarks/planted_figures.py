"""Print the claim checks' figures on the planted suites (docs/eval.md, issue 19): per shape, the corrupted
twins caught; the faithful summaries flagged (false alarms); the twins that score better than the faithful one.

    python benchmarks/planted_figures.py            # every suite
    python benchmarks/planted_figures.py --fresh    # the held-out suites only (claims_fresh10, model outputs)

The claim suites, each written by an annotator who did not run the checks, then scored held out and tuned on
afterwards (docs/eval.md): tests/planted/claims.yaml + cases.yaml ("tuned"; the seed cases on ../shared/filings
need it beside the checkout), claims_fresh.yaml (held-out 69/104 caught, 19/127 false alarms), claims_fresh2.yaml
(100/149, 39/200), claims_fresh3.yaml (162/262, 90/299), claims_fresh4.yaml (203/313, 95/356), claims_fresh5.yaml
(141/240, 96/280; tuned on 2026-12-04), claims_fresh6.yaml (157/240, 80/280; tuned on 2026-12-04 evening) and
claims_fresh7.yaml (145/240, 69/280 at a6ae137; tuned on 2026-12-04 night) and claims_fresh8.yaml (143/240 and 60/280
at b8cb5a4; tuned on afterwards) and claims_fresh9.yaml (169/240 and 51/280 at fa0ed6e; tuned on 2026-12-05). Held
out: claims_fresh10.yaml (280 cases, written 2026-12-05, scored once that day at 68b6a72's checks: 172/240 and
51/280) and tests/planted/model_outputs.yaml (the shipped model's own sentences, errors
labelled by hand).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="only the held-out suites (claims_fresh10, model outputs)")
    args = parser.parse_args()
    sys.path[:0] = [str(REPO / "tests"), str(REPO)]
    import test_planted as planted

    every = ("tuned", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9",
             "fresh10", "model")
    for part in (("fresh10", "model") if args.fresh else every):
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
