"""Claim-level alignment (filingsum.quality.claims): verdicts with their evidence, on real filing text."""

from __future__ import annotations

import doctest

import filingsum.quality.claims as claims
from filingsum.quality.claims import check_claims, split_claims, vague_share
from filingsum.quality.metrics import METRICS

SOURCE = """Americas net sales increased 9% in 2024. Europe net sales increased 5% in 2024.

We face aggressive international competitors who are intent on increasing their market share, such as Airbus and \
entrants from China. The Company does not sell directly to consumers in China.

Our operations comprise three reportable segments: Walmart U.S., Walmart International and Sam's Club U.S.

Approximately 80% of BCA's total backlog, in dollar terms, is with non-U.S. airlines."""


def _verdict(summary: str) -> str:
    check = check_claims(summary, SOURCE)
    assert len(check.claims) == 1
    return check.claims[0].verdict


def test_docstring_examples_run():
    assert doctest.testmod(claims).failed == 0


def test_each_verdict_with_evidence():
    check = check_claims("Americas net sales rose 9% in 2024. Europe net sales rose 9% in 2024.", SOURCE)
    supported, contradicted = check.claims
    assert supported.verdict == "supported" and "Americas net sales increased 9%" in supported.evidence
    assert contradicted.verdict == "contradicted" and "Europe" in contradicted.evidence and contradicted.reason
    assert check.contradiction_rate == 0.5 and check.unsupported_sentence_rate == 0.5


def test_direction_negation_role_vague_count():
    assert _verdict("Americas net sales decreased 9% in 2024.") == "contradicted"
    assert _verdict("The company sells directly to consumers in China.") == "contradicted"
    assert _verdict("The company does not sell directly to consumers in China.") == "supported"
    assert _verdict("Its competitors include Airbus.") == "supported"
    assert _verdict("Its suppliers include Airbus.") == "contradicted"
    assert _verdict("Most of BCA's backlog is with non-U.S. airlines.") == "supported"
    assert _verdict("About a third of BCA's backlog is with non-U.S. airlines.") == "contradicted"
    assert _verdict("The company has four reportable segments.") == "contradicted"


def test_unsupported_names_figures_and_text_about_the_text():
    assert _verdict("Americas net sales increased 9% on strong sales of the Vision Pro.") == "unsupported"
    assert _verdict("Japan net sales increased 14% in 2024.") != "supported"
    assert _verdict("The excerpt does not describe how the company is financed.") == "unsupported"


def test_clauses_and_vague_shares():
    flat = "Apple sells iPhones through its stores; carriers resell iPhones to consumers worldwide."
    assert len(split_claims(flat)) == 2
    assert vague_share("nearly all of its sales")[1] == (85.0, 100.0)
    assert vague_share("revenue grew") is None


def test_metrics_registered_with_directions():
    assert METRICS["claim_support_rate"].higher_is_better is True
    assert METRICS["contradiction_rate"].higher_is_better is False
    assert METRICS["unsupported_sentence_rate"].worst == 1.0
    assert check_claims("", SOURCE).support_rate is None
