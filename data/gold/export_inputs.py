"""Export the model inputs the reference corpus is written for: `python data/gold/export_inputs.py`.

Every input is a window the product itself produces from a real filing: the section is found, cleaned and
fitted by the same functions `filingsum data build` and `filingsum summarize` use, with the SmolLM2
tokenizer and the corpus budget. Per section: the aspect-fitted window (what eval and serving feed the
model) and, for train companies, the highest-scoring consecutive chunks (more examples of the same
company, never seen at test time). The company split is fixed here, so test companies never reach training.

Writes data/gold/inputs.jsonl (one row a window, git-ignored): the work list that reference writers read and
`assemble_corpus.py` joins with their summaries into corpus.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from filingsum.dataset.corpus import COMPANY_SPLITS, CORPUS_SOURCE_TOKENS, corpus_files, corpus_windows  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "data" / "gold" / "inputs.jsonl"))
    parser.add_argument("--budget", type=int, default=CORPUS_SOURCE_TOKENS)
    args = parser.parse_args()
    files = corpus_files()
    rows = []
    for path in files:
        for window in corpus_windows(path, args.budget):
            rows.append(window)
            print(f"{window['id']:55s} {window['split']:10s} {window['input_tokens']:5d} tok", flush=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = {s: sum(1 for r in rows if r["split"] == s) for s in ("train", "validation", "test")}
    print(f"{len(rows)} windows -> {args.out}: {counts}; companies {sorted(COMPANY_SPLITS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
