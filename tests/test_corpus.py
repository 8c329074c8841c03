"""The reference corpus and the builder features it relies on: extra windows, gold matched by the exact model
input, companies pinned to splits, and every corpus reference passing the eval's own checks."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from filingsum.core.config import SplitConfig
from filingsum.core.models import load_tokenizer
from filingsum.core.tokens import token_counter
from filingsum.dataset.corpus import (
    COMPANY_SPLITS,
    CORPUS_MODEL,
    CORPUS_SOURCE_TOKENS,
    REFERENCE_MAX_TOKENS,
    REFERENCE_MIN_TOKENS,
    company_tag,
    corpus_windows,
    reference_problems,
)
from filingsum.dataset.split import assign_splits
from filingsum.filings.fit import extra_windows, fit_aspects, fit_chunks
from filingsum.filings.gold import GoldIndex, GoldSummary

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "gold" / "corpus.jsonl"
SECTIONS = ROOT / "data" / "gold" / "sections.jsonl"
FILINGS = ROOT.parent / "shared" / "filings"
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def count():
    return token_counter(load_tokenizer(CORPUS_MODEL))


def _corpus() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_pinned_companies_go_to_their_split_and_the_rest_are_dealt():
    config = SplitConfig(validation=0.0, test=0.0, companies={"test": ["Netflix"], "validation": ["Coca-Cola Co"]})
    assignment = assign_splits(["Netflix, Inc.", "COCA COLA", "Apple", "Tesla"], config)
    assert assignment == {"netflix": "test", "coca cola": "validation", "apple": "train", "tesla": "train"}
    # A pinned company absent from the data does not appear.
    assert "netflix" not in assign_splits(["Apple", "Tesla"], config)


def test_extra_windows_are_the_best_chunks_in_document_order(count):
    text = (SAMPLES / "crexendo_10q_2020q3_mdna.txt").read_text(encoding="utf-8")
    budget = 200
    fitted = fit_aspects(text, count, budget)
    extras = extra_windows(text, count, budget, 3, exclude=fitted.text)
    chunks = fit_chunks(text, count, budget)
    assert 1 <= len(extras) <= 3
    assert [c.part for c in extras] == sorted(c.part for c in extras)
    assert all(c.text in {k.text for k in chunks} and c.text != fitted.text for c in extras)
    assert all(count(c.text) <= budget for c in extras)
    assert extra_windows(text, count, budget, 0) == []
    assert extra_windows("A short section.", count, budget, 3) == []  # fits whole: no chunks


def test_gold_written_for_a_window_matches_only_that_exact_input():
    window = "The company sells cloud services to businesses."
    entry = GoldSummary(source_file="x.txt", summary="s", input_sha256=hashlib.sha256(window.encode()).hexdigest())
    index = GoldIndex([entry])
    assert index.lookup_input(window) is entry
    assert index.lookup_input(window + " ") is None
    assert index.lookup("x.txt", "item_1") is None  # a window's summary never stands for the whole section


# --- the corpus itself ----------------------------------------------------------------------------------------


def _sections() -> list[dict]:
    return [json.loads(line) for line in SECTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_corpus_size_provenance_and_company_splits():
    rows = _corpus()
    assert len(rows) + len(_sections()) >= 450  # window references + whole-section references
    splits = Counter(COMPANY_SPLITS.values())
    assert splits["test"] >= 5 and splits["validation"] >= 4
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["input_sha256"] == hashlib.sha256(row["input"].encode("utf-8")).hexdigest()
        assert row["split"] == COMPANY_SPLITS[row["company_tag"]]
        assert {"source_file", "section", "window", "budget", "summary", "author"} <= set(row)
    companies = {s: {r["company"] for r in rows if r["split"] == s} for s in ("train", "validation", "test")}
    assert companies["train"].isdisjoint(companies["test"]) and companies["train"].isdisjoint(companies["validation"])
    assert companies["validation"].isdisjoint(companies["test"])
    sections = Counter(r["section"] for r in rows)
    assert sections["item_1"] and sections["item_7"] and sections["part_i_item_2"]


def test_every_corpus_reference_passes_the_eval_checks(count):
    failures = {}
    for row in _corpus():
        problems = reference_problems(row["summary"], row["input"], count)
        if problems:
            failures[row["id"]] = problems
    assert not failures
    lengths = [count(r["summary"]) for r in _corpus()]
    assert max(lengths) <= REFERENCE_MAX_TOKENS
    # full-budget windows take full-length references; only short windows may take shorter ones
    assert all(count(r["summary"]) >= REFERENCE_MIN_TOKENS for r in _corpus() if r["input_tokens"] >= 700)


def test_whole_section_references_cover_validation_and_test(count):
    rows = _sections()
    assert {r["split"] for r in rows} == {"validation", "test"}
    tags = {r["company_tag"] for r in rows}
    assert tags == {t for t, s in COMPANY_SPLITS.items() if s != "train"}
    for row in rows:
        assert count(row["summary"]) <= REFERENCE_MAX_TOKENS and row["section_sha256"]


@pytest.mark.skipif(not FILINGS.is_dir(), reason="../shared/filings is not beside the checkout")
def test_whole_section_references_pass_the_checks_against_their_sections(count):
    """Each whole-section reference is checked against the section re-derived from its filing (sha256 equal)."""
    from filingsum.dataset.corpus import corpus_sections

    failures = {}
    for name in sorted({r["source_file"] for r in _sections()}):
        path = FILINGS / name if (FILINGS / name).is_file() else SAMPLES / name
        derived = {row["id"]: row for row in corpus_sections(path)}
        for row in (r for r in _sections() if r["source_file"] == name):
            section = derived[row["id"]]
            assert section["section_sha256"] == row["section_sha256"], row["id"]
            problems = reference_problems(row["summary"], section["text"], count)
            if problems:
                failures[row["id"]] = problems
    assert not failures


def test_reference_checks_catch_a_planted_figure_and_name(count):
    row = next(r for r in _corpus() if r["split"] == "test")
    assert reference_problems(row["summary"], row["input"], count) == []
    planted = row["summary"] + " Revenue reached $987.6 billion through a partnership with Zorblax Corporation."
    problems = reference_problems(planted, row["input"], count)
    assert any("987.6" in p for p in problems) and any("Zorblax" in p for p in problems)


@pytest.mark.skipif(not FILINGS.is_dir(), reason="../shared/filings is not beside the checkout")
@pytest.mark.parametrize("name", ["nflx-10-q-2025-07-18.html", "jnj-10-q-2025-07-24.html"])
def test_corpus_inputs_are_what_the_product_feeds_the_model(name):
    """Re-deriving the windows from the filing (find section, clean, fit) gives the corpus's inputs bit for bit."""
    rows = {r["id"]: r for r in _corpus() if r["source_file"] == name}
    assert rows
    derived = {w["id"]: w for w in corpus_windows(FILINGS / name, CORPUS_SOURCE_TOKENS)}
    for rid, row in rows.items():
        assert derived[rid]["input_sha256"] == row["input_sha256"]
    assert company_tag(FILINGS / name) in COMPANY_SPLITS
