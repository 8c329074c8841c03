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
CHUNK_WINDOWS_PER_SECTION = {"train": 40, "validation": 6, "test": 0}
# Train and validation sections also give their aspect fit at half the budget (a shorter input, as a user's
# excerpt is): the model learns to write a shorter summary of less text instead of padding it.
HALF_BUDGET_SPLITS = ("train", "validation")
MIN_WINDOW_TOKENS = 200  # a stub section ("see Item 8") teaches nothing
CORPUS_MODEL = "embedded:smollm2-135m-instruct"

COMPANY_SPLITS: dict[str, str] = {
    # train: 14 companies, 10-K Items 1 and 7 and 10-Q MD&A
    "aapl": "train", "abbv": "train", "adbe": "train", "aeon": "train", "amzn": "train", "ba": "train",
    "crm": "train", "gainsco": "train", "medicis": "train", "meta": "train", "orcl": "train", "pg": "train",
    "tsla": "train", "wfc": "train",
    # validation: settings are chosen here
    "hd": "validation", "jnj": "validation", "wmt": "validation", "xom": "validation",
    # test: reported once
    "nflx": "test", "ko": "test", "ma": "test", "crexendo": "test", "fusion": "test",
}
SECTIONS_BY_FORM = {"10-K": ("item_1", "item_7"), "10-Q": ("part_i_item_2",)}


# Where the corpus's filings live: the real EDGAR filings beside the checkout, and the seed filings.
_REPO = Path(__file__).resolve().parents[2]
FILINGS_DIR = _REPO.parent / "shared" / "filings"
SEEDS_DIR = _REPO / "data" / "samples"


def corpus_files() -> list[Path]:
    """Every filing the corpus is written from, in corpus order (EDGAR HTML, then the seeds)."""
    return sorted(FILINGS_DIR.glob("*.html")) + sorted(SEEDS_DIR.glob("*.txt"))


def corpus_file(name: str) -> Path:
    """A corpus filing by file name (a reference's ``source_file``)."""
    return FILINGS_DIR / name if (FILINGS_DIR / name).is_file() else SEEDS_DIR / name


def company_tag(path: Path) -> str:
    """"aapl-10-k-2024-11-01.html" -> "aapl"; "crexendo_10k_2016_item1_prompt.txt" -> "crexendo"."""
    return re.split(r"[-_]", path.name, maxsplit=1)[0].lower()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_windows(path: Path, budget: int = CORPUS_SOURCE_TOKENS) -> list[dict[str, Any]]:
    """The corpus windows of one filing file, as JSON-ready rows (id, provenance, split, input text)."""
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.filings.fit import extra_windows, fit_aspects
    from filingsum.filings.ingest import load_documents
    from filingsum.filings.sections import extract_sections

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
            if split in HALF_BUDGET_SPLITS and aspect.token_count > budget // 2:
                half = fit_aspects(section.text, count, budget // 2)
                windows.append((f"aspects {budget // 2}", half.text, half.kept_ratio))
            for chunk in extra_windows(section.text, count, budget, CHUNK_WINDOWS_PER_SECTION[split],
                                       exclude=aspect.text):
                windows.append((f"chunk {chunk.part}/{chunk.parts}", chunk.text, chunk.kept_ratio))
            for window, text, kept in windows:
                # A prompt-wrapped seed holds one section; the others fall back to the same text.
                if _sha256(text) in seen or count(text) < MIN_WINDOW_TOKENS:
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


def corpus_sections(path: Path) -> list[dict[str, Any]]:
    """The whole cleaned sections of one filing file (what whole-section references are written from)."""
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.filings.ingest import load_documents
    from filingsum.filings.sections import extract_sections

    count = token_counter(load_tokenizer(CORPUS_MODEL))
    tag = company_tag(path)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for doc in load_documents(path):
        for section in extract_sections(doc, SECTIONS_BY_FORM.get(doc.form, ("item_1", "part_i_item_2"))):
            text = section.text.strip()
            if _sha256(text) in seen or count(text) < MIN_WINDOW_TOKENS:
                continue
            seen.add(_sha256(text))
            rows.append({
                "id": f"{path.stem}-{section.section}".replace("_", "-"), "company": section.company,
                "company_tag": tag, "form": section.form, "fiscal_period": section.fiscal_period,
                "source_file": path.name, "section": section.section, "split": COMPANY_SPLITS[tag],
                "section_tokens": count(text), "section_sha256": _sha256(text), "text": text,
            })
    return rows


# --- checking a reference against its window ---------------------------------------------------------------

REFERENCE_MIN_TOKENS = 250
REFERENCE_MAX_TOKENS = 450
SHORT_INPUT_TOKENS = 700  # a window under this many tokens may take a shorter reference
SHORT_REFERENCE_MIN_TOKENS = 120


def reference_problems(summary: str, source: str, count_tokens: Any) -> list[str]:
    """What makes `summary` unfit as the reference of window `source`; [] when it passes every check.

    The checks are the eval's own: token budget with the model's tokenizer, prose form, no loop, no sentence
    about the text rather than the company, no self-denial, no repeated sentence, every figure and every name
    supported by the window.
    """
    from filingsum.quality.factual import check_entities
    from filingsum.quality.metrics import has_loop, prose_violations
    from filingsum.quality.numbers import check_numbers
    from filingsum.quality.textdefects import meta_statements, repeated_sentences, self_denials

    problems: list[str] = []
    n = count_tokens(summary)
    low = SHORT_REFERENCE_MIN_TOKENS if count_tokens(source) < SHORT_INPUT_TOKENS else REFERENCE_MIN_TOKENS
    if not low <= n <= REFERENCE_MAX_TOKENS:
        problems.append(f"{n} tokens (want {low}-{REFERENCE_MAX_TOKENS})")
    problems += [f"not prose: {v}" for v in prose_violations(summary)]
    if has_loop(summary):
        problems.append("repeats itself (loop)")
    problems += [f"meta statement: {d.sentence!r}" for d in meta_statements(summary)]
    problems += [f"self-denial: {d.sentence!r}" for d in self_denials(summary)]
    problems += [f"repeated sentence: {d.sentence!r}" for d in repeated_sentences(summary)]
    problems += [f"unsupported figure: {m.text!r}" for m in check_numbers(summary, source).unsupported]
    problems += [f"unsupported name: {m.text!r}" for m in check_entities(summary, source).unsupported]
    return problems
