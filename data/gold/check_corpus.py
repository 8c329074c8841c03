"""Check reference summaries against the windows they were written for: `python data/gold/check_corpus.py [FILES]`.

FILES are JSONL files of {"id": <window id in inputs.jsonl>, "summary": ..., "author": ...}; default: the corpus
(data/gold/corpus.jsonl). Prints one line per problem and exits 1 if any summary fails a check (token budget
with the SmolLM2 tokenizer, prose, no loop, every figure and name supported by the window).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "data" / "gold"


def main() -> int:
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.dataset.corpus import CORPUS_MODEL, reference_problems

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=[str(GOLD / "corpus.jsonl")])
    parser.add_argument("--inputs", default=str(GOLD / "inputs.jsonl"))
    args = parser.parse_args()
    windows = {row["id"]: row for row in map(json.loads, Path(args.inputs).read_text().splitlines())}
    count = token_counter(load_tokenizer(CORPUS_MODEL))
    failed = checked = 0
    for file in args.files:
        for line_no, line in enumerate(Path(file).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            window = windows.get(row["id"])
            if window is None:
                print(f"{file}:{line_no}: {row['id']}: no such window in {args.inputs}")
                failed += 1
                continue
            checked += 1
            problems = reference_problems(row["summary"], window["text"], count)
            for problem in problems:
                print(f"{file}:{line_no}: {row['id']}: {problem}")
            failed += bool(problems)
            if not problems:
                print(f"{file}:{line_no}: {row['id']}: ok ({count(row['summary'])} tokens)")
    print(f"{checked} checked, {failed} failing")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
