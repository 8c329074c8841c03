"""Which model input keeps the most of a section's business model? A pilot on the validation companies.

    python benchmarks/bench_inputs.py [--split validation]

For every whole section with a reference written from the whole section (data/gold/sections.jsonl), each
context strategy fits the section as the product would; the fitted input is then scored against the
reference: how much of what a reader of the whole section should learn is still in the input, and so can
be in the summary at all. This is the ceiling a faithful summary of that input can reach, measured without
generating (cheap enough to run before a corpus is written for a strategy); the generated comparison is
benchmarks/bench_context.py, which needs a model trained on each input shape.

- ref_rouge1_recall / ref_rouge2_recall: share of the reference's (stemmed) unigrams / bigrams in the input;
- ref_figures_in_input: share of the reference's figures the input supports (the eval's figure check);
- aspects_in_input: share of the five aspects the input mentions;
- input_tokens: the input's length (training and serving cost grow with it).

Strategies: aspects at 1,024 / 2,048 / 3,072 tokens (SmolLM2 reads 8k), extract-then-generate at 1,024 (the
salient sentences of each aspect in turn), truncate at 1,024 (the lead).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STRATEGIES = (("aspects", 1024), ("aspects", 2048), ("aspects", 3072), ("extract", 1024), ("truncate", 1024))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="validation", choices=["validation", "test"])
    args = parser.parse_args()

    from rouge_score import rouge_scorer

    from filingsum.core.aspects import ASPECTS, aspects_found
    from filingsum.core.io import read_jsonl
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.dataset.corpus import CORPUS_MODEL, corpus_file, corpus_sections
    from filingsum.filings.fit import fit_section
    from filingsum.quality.numbers import check_numbers

    started = time.time()
    count = token_counter(load_tokenizer(CORPUS_MODEL))
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    references = [r for r in read_jsonl(REPO / "data" / "gold" / "sections.jsonl") if r["split"] == args.split]
    sections = {}
    for name in sorted({r["source_file"] for r in references}):
        sections.update({row["id"]: row for row in corpus_sections(corpus_file(name))})
    results: dict[str, dict[str, float]] = {}
    for strategy, budget in STRATEGIES:
        rows = []
        for ref in references:
            text = sections[ref["id"]]["text"]
            fitted = fit_section(text, count, budget, strategy)[0].text
            rouge = scorer.score(ref["summary"], fitted)
            figures = check_numbers(ref["summary"], fitted)
            rows.append({
                "ref_rouge1_recall": rouge["rouge1"].recall, "ref_rouge2_recall": rouge["rouge2"].recall,
                "ref_figures_in_input": figures.precision if figures.precision is not None else 1.0,
                "aspects_in_input": sum(aspects_found(fitted).values()) / len(ASPECTS),
                "input_tokens": count(fitted),
            })
        name = f"{strategy}-{budget // 1024}k"
        results[name] = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
    metrics = list(next(iter(results.values())))
    print(f"| strategy | {' | '.join(metrics)} |")
    print("|---" * (len(metrics) + 1) + "|")
    for name, means in results.items():
        cells = [f"{means[m]:.0f}" if m == "input_tokens" else f"{means[m]:.3f}" for m in metrics]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"\n{len(references)} {args.split} sections ({', '.join(r['id'] for r in references)}); "
          f"{time.time() - started:.0f} s; command: python benchmarks/bench_inputs.py --split {args.split}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
