"""Join the window inputs and the written references into data/gold/corpus.jsonl: `python data/gold/assemble_corpus.py`.

Each corpus row is self-contained: the model input exactly as the product produces it (`input`, with its
sha256 that the dataset builder matches), its provenance (filing, section, window, budget, split) and the
hand-written reference (`summary`). Rows whose reference fails a check are refused (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

GOLD = Path(__file__).resolve().parent
PROVENANCE = ("id", "company", "company_tag", "form", "fiscal_period", "source_file", "section", "window", "budget",
              "input_tokens", "kept_ratio", "input_sha256", "section_tokens", "section_sha256", "split")


def main() -> int:
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.dataset.corpus import CORPUS_MODEL, reference_problems

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("references", nargs="+", help="JSONL files of {id, summary, author}")
    parser.add_argument("--inputs", default=str(GOLD / "inputs.jsonl"))
    parser.add_argument("--out", default=str(GOLD / "corpus.jsonl"))
    parser.add_argument("--no-input", action="store_true",
                        help="leave the input text out (whole sections: re-derived from the filings by its sha256)")
    args = parser.parse_args()
    windows = {r["id"]: r for r in map(json.loads, Path(args.inputs).read_text(encoding="utf-8").splitlines())}
    count = token_counter(load_tokenizer(CORPUS_MODEL))
    written = {}
    for file in args.references:
        for line in Path(file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                written[row["id"]] = row
    rows, bad = [], 0
    for wid, window in windows.items():  # corpus order = window order (filing, section, window)
        if wid not in written:
            continue
        ref = written[wid]
        problems = reference_problems(ref["summary"], window["text"], count)
        if problems:
            bad += 1
            print(f"{wid}: {'; '.join(problems)}")
            continue
        text = {} if args.no_input else {"input": window["text"]}
        rows.append({**{k: window[k] for k in PROVENANCE if k in window}, **text, "summary": ref["summary"].strip(),
                     "summary_tokens": count(ref["summary"].strip()), "author": ref.get("author", "filingsum authors")})
    missing = sorted(set(windows) - set(written))
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} references -> {args.out}; {bad} refused; {len(missing)} windows without a reference")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
