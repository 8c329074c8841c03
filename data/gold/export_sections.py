"""Export the whole cleaned sections of the validation and test filings: `python data/gold/export_sections.py`.

Whole-section references (data/gold/sections.jsonl) are written from these texts, not from the fitted windows:
they say what a reader of the whole section should learn, so a context strategy is judged by how much of the
section's business model its summary keeps (benchmarks/bench_context.py, benchmarks/bench_quality.py).

Writes data/gold/sections_inputs.jsonl (git-ignored), one row a section: id, provenance, split, text, sha256.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from filingsum.dataset.corpus import COMPANY_SPLITS, corpus_files, corpus_sections  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "data" / "gold" / "sections_inputs.jsonl"))
    parser.add_argument("--splits", default="validation,test")
    args = parser.parse_args()
    splits = set(args.splits.split(","))
    files = corpus_files()
    rows = []
    for path in files:
        for row in corpus_sections(path):
            if row["split"] in splits:
                rows.append(row)
                print(f"{row['id']:45s} {row['split']:10s} {row['section_tokens']:6d} tok", flush=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} sections -> {args.out}; companies {sorted(COMPANY_SPLITS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
