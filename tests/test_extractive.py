"""Extractive summaries on the seed filings, counted with a real tokenizer."""

from __future__ import annotations

import re

import pytest
from fixtures_text import CREXENDO_10K, CREXENDO_10Q, FUSION_10K

from filingsum.core.aspects import ASPECT_NAMES, aspects_found
from filingsum.core.text import split_sentences
from filingsum.filings.extractive import extractive_summary, lead_summary
from filingsum.filings.sections import extract_filing_sections


@pytest.fixture(scope="module")
def count_tokens(tiny_tokenizer):
    return lambda text: len(tiny_tokenizer(text, add_special_tokens=False)["input_ids"])


@pytest.fixture(scope="module", params=[CREXENDO_10K, FUSION_10K, CREXENDO_10Q], ids=lambda p: p.stem)
def section_text(request) -> str:
    return extract_filing_sections(request.param, ("item_1",))[0].text


def test_summary_fits_the_budget_and_is_one_prose_paragraph(section_text: str, count_tokens):
    summary = extractive_summary(section_text, count_tokens, max_summary_tokens=512)
    assert 300 < count_tokens(summary) <= 512  # uses the budget, never exceeds it
    assert "\n" not in summary and "|" not in summary
    assert not re.search(r"(?m)^\s*(?:[•●?▪-]|ITEM\s+\d)", summary)


def test_summary_sentences_come_from_the_source_in_document_order(section_text: str, count_tokens):
    summary = extractive_summary(section_text, count_tokens, max_summary_tokens=512)
    flat = " ".join(section_text.split())
    positions = [flat.find(s) for s in split_sentences(summary)]
    assert all(p >= 0 for p in positions)
    assert positions == sorted(positions)


def test_summary_covers_every_aspect_the_source_has(section_text: str, count_tokens):
    summary = extractive_summary(section_text, count_tokens, max_summary_tokens=512)
    source_aspects = aspects_found(section_text)
    summary_aspects = aspects_found(summary)
    assert all(summary_aspects[a] for a in ASPECT_NAMES if source_aspects[a])


def test_boilerplate_is_dropped(count_tokens):
    text = extract_filing_sections(CREXENDO_10Q, ("item_1",))[0].text
    assert "forward-looking statements" in text
    summary = extractive_summary(text, count_tokens, max_summary_tokens=512)
    assert "forward-looking" not in summary
    assert summary.startswith("Crexendo is an award-winning premier provider of cloud communications")


def test_small_budgets_and_determinism(count_tokens):
    text = extract_filing_sections(FUSION_10K, ("item_1",))[0].text
    for budget in (5, 40, 120):
        summary = extractive_summary(text, count_tokens, max_summary_tokens=budget)
        assert summary and count_tokens(summary) <= budget
    assert extractive_summary(text, count_tokens, 200) == extractive_summary(text, count_tokens, 200)
    assert extractive_summary("", count_tokens, 512) == ""


def test_lead_summary_takes_the_first_prose_sentences():
    text = extract_filing_sections(CREXENDO_10K, ("item_1",))[0].text
    lead = lead_summary(text, k=2)
    assert lead == (
        "Crexendo is a CLEC cloud services company that provides award winning cloud telecommunications services, "
        "broadband Internet services and other cloud business services. Our solutions are designed to provide "
        "enterprise-class cloud services to any size businesses at affordable monthly rates."
    )
