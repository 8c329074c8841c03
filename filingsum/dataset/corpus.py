"""The reference corpus's model inputs: which windows of which filings, and which company goes to which split.

A reference summary is only as good as its match to the text the model sees, so the corpus is written for
windows the product produces (find section -> clean -> fit), not for whole sections: the aspect-fitted
window of every section (what eval and serving feed the model) and, for train (3) and validation (1)
companies, consecutive chunks ranked by aspect score (more examples of the same sections).

Companies are assigned to splits by hand (`COMPANY_SPLITS`) so that the test companies stay fixed as the
corpus grows; settings are chosen on validation and test is reported once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

CORPUS_SOURCE_TOKENS = 1024
CHUNK_WINDOWS_PER_SECTION = {"train": 3, "validation": 1, "test": 0}
CORPUS_MODEL = "embedded:smollm2-135m-instruct"

COMPANY_SPLITS: dict[str, str] = {
    # train: 8 companies, 10-K Items 1 and 7 and 10-Q MD&A
    "aapl": "train", "abbv": "train", "amzn": "train", "ba": "train", "crm": "train", "meta": "train",
    "pg": "train", "tsla": "train",
    # validation: settings are chosen here
    "hd": "validation", "jnj": "validation", "wmt": "validation",
    # test: reported once
    "nflx": "test", "ko": "test", "crexendo": "test", "fusion": "test",
}
SECTIONS_BY_FORM = {"10-K": ("item_1", "item_7"), "10-Q": ("part_i_item_2",)}


def company_tag(path: Path) -> str:
    """"aapl-10-k-2024-11-01.html" -> "aapl"; "crexendo_10k_2016_item1_prompt.txt" -> "crexendo"."""
    return re.split(r"[-_]", path.name, maxsplit=1)[0].lower()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_windows(path: Path, budget: int = CORPUS_SOURCE_TOKENS) -> list[dict[str, Any]]:
    """The corpus windows of one filing file, as JSON-ready rows (id, provenance, split, input text)."""
    from filingsum.core.tokens import token_counter
    from filingsum.filings.fit import extra_windows, fit_aspects
    from filingsum.filings.ingest import load_documents
    from filingsum.filings.sections import extract_sections
    from filingsum.core.models import load_tokenizer

    count = token_counter(load_tokenizer(CORPUS_MODEL))
    tag = company_tag(path)
    split = COMPANY_SPLITS[tag]
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for doc in load_documents(path):
        wanted = SECTIONS_BY_FORM.get(doc.form, ("item_1", "part_i_item_2"))
        for section in extract_sections(doc, wanted):
            aspect = fit_aspects(section.text, count, budget)
            windows = [("aspects", aspect.text, aspect.kept_ratio)]
            for chunk in extra_windows(section.text, count, budget, CHUNK_WINDOWS_PER_SECTION[split],
                                       exclude=aspect.text):
                windows.append((f"chunk {chunk.part}/{chunk.parts}", chunk.text, chunk.kept_ratio))
            for window, text, kept in windows:
                # A prompt-wrapped seed holds one section; the others fall back to the same text.
                if _sha256(text) in seen:
                    continue
                seen.add(_sha256(text))
                slug = window.replace(" ", "").replace("/", "of")
                rows.append({
                    "id": f"{path.stem}-{section.section}-{slug}".replace("_", "-"),
                    "company": section.company, "company_tag": tag, "form": section.form,
                    "fiscal_period": section.fiscal_period, "source_file": path.name, "section": section.section,
                    "window": window, "budget": budget, "input_tokens": count(text), "kept_ratio": round(kept, 4),
                    "input_sha256": _sha256(text), "split": split, "text": text,
                })
    return rows


# --- checking a reference against its window ---------------------------------------------------------------

REFERENCE_MIN_TOKENS = 250
REFERENCE_MAX_TOKENS = 450


def reference_problems(summary: str, source: str, count_tokens: Any) -> list[str]:
    """What makes `summary` unfit as the reference of window `source`; [] when it passes every check.

    The checks are the eval's own: token budget with the model's tokenizer, prose form, no loop, every figure
    and every name supported by the window.
    """
    from filingsum.quality.factual import check_entities
    from filingsum.quality.metrics import has_loop, prose_violations
    from filingsum.quality.numbers import check_numbers

    problems: list[str] = []
    n = count_tokens(summary)
    if not REFERENCE_MIN_TOKENS <= n <= REFERENCE_MAX_TOKENS:
        problems.append(f"{n} tokens (want {REFERENCE_MIN_TOKENS}-{REFERENCE_MAX_TOKENS})")
    problems += [f"not prose: {v}" for v in prose_violations(summary)]
    if has_loop(summary):
        problems.append("repeats itself (loop)")
    problems += [f"unsupported figure: {m.text!r}" for m in check_numbers(summary, source).unsupported]
    problems += [f"unsupported name: {m.text!r}" for m in check_entities(summary, source).unsupported]
    return problems
