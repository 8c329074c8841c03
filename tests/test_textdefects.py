"""Text-level defects: sentences about the text, self-denials and repeated sentences, on real model output shapes
(the shipped default's summaries before the corpus rewrite) and on faithful reference prose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filingsum.quality.metrics import score_document
from filingsum.quality.textdefects import (
    is_meta_statement,
    meta_statement_rate,
    meta_statements,
    repeated_sentences,
    self_denial_rate,
    self_denials,
)

ROOT = Path(__file__).resolve().parents[1]

META = [
    "This excerpt from the company's annual report describes how it earns revenue from transaction fees.",
    "The excerpt does not describe how the company makes money, how it is financed, or who its customers are.",
    "The text does not mention the company's distribution channels.",
    "Details of financing are not described.",
    "No information is given about the customer base.",
    "According to the passage, Visa operates a payments network.",
    "The filing does not specify the pricing of its services.",
    "This section of the 10-K focuses on the company's segments.",
    "The document provides no details on financing.",
]
ABOUT_THE_COMPANY = [
    "The company does not sell directly to consumers; it sells through carriers and retailers.",
    "Apple files its annual report on Form 10-K with the SEC.",
    "Costs of Prime shipping offers are not included in sales and marketing expense.",
    "Visa does not issue cards, extend credit or set rates and fees for account holders.",
    "The company's text messaging platform serves small businesses.",
    "Revenue increased 2% to $391.0 billion, driven by Services.",
    "It has no long-term debt and funds operations from cash flows.",
]


@pytest.mark.parametrize("sentence", META)
def test_meta_statements_are_found(sentence):
    assert is_meta_statement(sentence)


@pytest.mark.parametrize("sentence", ABOUT_THE_COMPANY)
def test_sentences_about_the_company_are_not_meta(sentence):
    assert not is_meta_statement(sentence)


def test_the_demo_summary_that_denies_its_own_channels():
    summary = ("Fusion sells cloud services to businesses through its direct sales force, agents and resellers. "
               "Revenue grew 18% in 2016. The excerpt does not describe the company's pricing, distribution "
               "channels or financing.")
    (denial,) = self_denials(summary)
    assert denial.index == 2 and "distribution_channels" in denial.reason
    assert self_denial_rate(summary) == pytest.approx(1 / 3)
    assert meta_statement_rate(summary) == pytest.approx(1 / 3)


def test_a_denial_of_an_aspect_not_stated_is_meta_but_not_self_denial():
    summary = "Visa earns service and data processing fees from clients. The text does not describe financing."
    assert self_denials(summary) == [] and len(meta_statements(summary)) == 1


def test_repeated_sentences_found_at_sentence_level():
    summary = ("The company earns returns on its investments. It sells insurance to drivers. The company earns "
               "returns on its investments. It also sells insurance to drivers in Texas and Ohio through agents.")
    # the third says the first again; the fourth adds states and a channel, so it is new
    assert [d.index for d in repeated_sentences(summary)] == [2]


def test_a_sentence_said_again_in_other_word_forms_is_a_repeat():
    # the shipped model's Coca-Cola summary (test company, served at defaults, 2026-12-04): "syrups"/"syrup",
    # "sells them"/"sales, including those sold"
    summary = ("In the United States it makes fountain syrups and sells them to fountain retailers, distributors and "
               "wholesalers, and to authorized fountain wholesalers or bottling partners. In the United States it "
               "also sells directly to consumers through retail stores operated by Costa. In the United States it "
               "makes fountain syrup sales, including those sold to fountain retailers, distributors and "
               "wholesalers, and to authorized fountain wholesalers or bottling partners.")
    assert [d.index for d in repeated_sentences(summary)] == [2]


def test_score_document_reports_the_defects_and_figures():
    from filingsum.core.models import load_tokenizer

    tokenizer = load_tokenizer("tiny-random")
    bad = score_document("This excerpt describes a bank. The excerpt does not say how it is financed.",
                         "A bank lends money.", tokenizer=tokenizer, max_summary_tokens=512)
    good = score_document("The bank lends $5 million to farmers.", "The bank lends $5 million to farmers.",
                          tokenizer=tokenizer, max_summary_tokens=512)
    assert bad["meta_statement_rate"] == 1.0 and bad["states_figure"] is False
    assert good["meta_statement_rate"] == 0.0 and good["self_denial_rate"] == 0.0 and good["states_figure"] is True


def test_the_reference_corpus_has_no_defects():
    """Every reference the model trains on is about the company (the checks of data/gold/check_corpus.py)."""
    rows = [json.loads(line) for line in (ROOT / "data" / "gold" / "corpus.jsonl").read_text().splitlines() if line]
    flagged = {r["id"]: [d.sentence for d in meta_statements(r["summary"])] for r in rows}
    assert not {k: v for k, v in flagged.items() if v}
