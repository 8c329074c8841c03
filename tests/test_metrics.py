"""Per-document metrics on real text, a real tokenizer and rouge_score as the ROUGE reference."""

from __future__ import annotations

import random

import pytest
from fixtures_text import CREXENDO_FAITHFUL_SUMMARY
from rouge_score import rouge_scorer

from filingsum.core.text import split_sentences
from filingsum.core.tokens import token_count, token_counts
from filingsum.quality.metrics import (
    ROUGE_TYPES,
    aspect_coverage,
    has_loop,
    is_prose,
    lcs_length,
    novel_ngram_ratio,
    prose_violations,
    repeated_ngram_rate,
    rouge_scores,
    score_document,
    sentences_for_rouge,
    within_limit,
)

FAITHFUL = CREXENDO_FAITHFUL_SUMMARY


@pytest.fixture(scope="module")
def reference_scorer():
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def _reference(scorer, prediction: str, reference: str) -> dict[str, float]:
    """rouge_score on the raw strings: what evaluate.load("rouge") (use_stemmer=True) gives per document."""
    scores = scorer.score(reference, prediction)
    return {k: v.fmeasure for k, v in scores.items()}


def _reference_split(scorer, prediction: str, reference: str) -> float:
    """rouge_score's rougeLsum on sentence-split input: what rougeLsum_split reproduces."""
    return scorer.score(sentences_for_rouge(reference), sentences_for_rouge(prediction))["rougeLsum"].fmeasure


def test_rouge_hand_computed_pair():
    # the cat sat on the mat / the cat lay on the mat: 5 of 6 unigrams shared, bigrams "the cat", "on the",
    # "the mat" = 3 of 5, LCS "the cat on the mat" = 5 of 6.
    scores = rouge_scores("the cat sat on the mat", "the cat lay on the mat")
    assert scores["rouge1"] == pytest.approx(5 / 6)
    assert scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeL"] == pytest.approx(5 / 6)
    assert scores["rougeLsum"] == pytest.approx(5 / 6)
    assert scores["rougeLsum_split"] == pytest.approx(5 / 6)


def test_rougeLsum_is_newline_split_and_the_split_variant_is_named():
    # Two sentences on one line: rouge_score's rougeLsum sees one "sentence" (it splits at newlines only),
    # the _split variant sees two, and the summary-level LCS differs.
    pred = "Revenue grew in cloud services. The company sells phones to small businesses."
    ref = "The company sells phones to small businesses. Revenue grew in cloud services."
    scores = rouge_scores(pred, ref)
    scorer = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True)
    assert scores["rougeLsum"] == pytest.approx(scorer.score(ref, pred)["rougeLsum"].fmeasure, abs=1e-12)
    assert scores["rougeLsum_split"] == pytest.approx(1.0)
    assert scores["rougeLsum"] < scores["rougeLsum_split"]


def test_rouge_identical_and_disjoint():
    assert set(rouge_scores(FAITHFUL, FAITHFUL).values()) == {1.0}
    assert set(rouge_scores("alpha beta gamma delta.", "one two three four.").values()) == {0.0}


def test_rouge_undefined_without_reference():
    assert rouge_scores(FAITHFUL, None) == dict.fromkeys((*ROUGE_TYPES, "rougeLsum_split"))


def test_rouge_equals_rouge_score_on_400_raw_pairs(samples, reference_scorer):
    # Raw strings as a system returns them: sentences joined by spaces, sometimes by a newline, sometimes
    # with a blank line; the figures, names and punctuation of the real seed filings.
    sentences = []
    for path in sorted(samples.glob("*.txt")):
        sentences += [s for s in split_sentences(path.read_text(encoding="utf-8")) if len(s.split()) >= 4]
    rng = random.Random(7)

    def text(k: int) -> str:
        parts = rng.sample(sentences, k)
        return "".join(p + rng.choice([" ", " ", " ", "\n", "\n\n"]) for p in parts).strip()

    for _ in range(400):
        pred, ref = text(rng.randint(1, 12)), text(rng.randint(1, 10))
        expected = _reference(reference_scorer, pred, ref)
        got = rouge_scores(pred, ref)
        for rouge_type in ROUGE_TYPES:
            assert got[rouge_type] == pytest.approx(expected[rouge_type], abs=1e-12), (rouge_type, pred, ref)
    for _ in range(25):
        pred, ref = text(8), text(6)
        assert rouge_scores(pred, ref)["rougeLsum_split"] == pytest.approx(
            _reference_split(reference_scorer, pred, ref), abs=1e-12)


def test_rouge_equals_rouge_score_with_many_ties(reference_scorer):
    # A 6-word vocabulary makes many equal-length LCS paths: the read-out must pick the same one.
    rng = random.Random(3)
    vocab = "cloud revenue services customers the a".split()
    for _ in range(300):
        def text() -> str:
            return " ".join(rng.choice(vocab) + ("." if rng.random() < 0.2 else "") for _ in range(rng.randint(0, 30)))

        pred, ref = text(), text()
        expected = _reference(reference_scorer, pred, ref)
        got = rouge_scores(pred, ref)
        assert {k: got[k] for k in ROUGE_TYPES} == pytest.approx(expected, abs=1e-12), (pred, ref)
        assert got["rougeLsum_split"] == pytest.approx(_reference_split(reference_scorer, pred, ref), abs=1e-12)


def test_lcs_length_matches_dynamic_programming():
    rng = random.Random(11)
    for _ in range(200):
        a = tuple(rng.choice("abcd") for _ in range(rng.randint(0, 25)))
        b = tuple(rng.choice("abcd") for _ in range(rng.randint(0, 25)))
        table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                table[i][j] = table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(table[i - 1][j], table[i][j - 1])
        assert lcs_length(a, b) == table[-1][-1]


def test_split_sentences_keeps_company_abbreviations():
    text = "Crexendo, Inc. sells in the U.S. market. Revenue grew.\nNew line here"
    assert split_sentences(text, line_breaks=True) == [
        "Crexendo, Inc. sells in the U.S. market.", "Revenue grew.", "New line here"
    ]


def test_token_count_differs_from_word_count(tiny_tokenizer):
    plain = " ".join(["the company sells cloud phone services to small businesses"] * 45)[: None]
    plain_words = plain.split()[:400]
    figures = [f"${n:,}" for n in range(1_000_003, 1_000_003 + 400 * 7919, 7919)]
    assert len(plain_words) == len(figures) == 400
    plain_tokens = token_count(" ".join(plain_words), tiny_tokenizer)
    figure_tokens = token_count(" ".join(figures), tiny_tokenizer)
    # Same 400 "words": common English fits 512 tokens, dollar amounts (a token per digit) do not.
    assert within_limit(plain_tokens, 512) and plain_tokens <= 512
    assert not within_limit(figure_tokens, 512) and figure_tokens > 2 * 512
    assert within_limit(figure_tokens, max_summary_tokens=figure_tokens)
    assert token_counts([FAITHFUL, "", "x"], tiny_tokenizer) == [
        token_count(FAITHFUL, tiny_tokenizer), 0, token_count("x", tiny_tokenizer)
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Overview of the business.\n- Cloud services\n- Web hosting", "bullet"),
        ("Overview of the business.\n* Cloud services", "bullet"),
        ("Overview of the business.\n\u2022 Cloud services", "bullet"),
        ("Overview of the business.\n1. Cloud services are sold monthly.", "numbered_list"),
        ("Overview of the business.\n2) Web hosting is sold monthly.", "numbered_list"),
        ("# Business model\nCrexendo sells cloud services.", "heading"),
        ("**Business model**\nCrexendo sells cloud services.", "heading"),
        ("Revenue Sources:\nCrexendo sells cloud services.", "title_line"),
        ("Revenue Sources\nCrexendo sells cloud services to businesses.", "title_line"),
        ("Crexendo sells services.\n| segment | revenue |\n|---|---|\n| Cloud | $7,757 |", "table"),
        ("Crexendo sells **cloud** services to businesses of any size.", "markdown"),
    ],
)
def test_lists_headings_tables_are_not_prose(text, kind):
    assert not is_prose(text)
    assert kind in {v.kind for v in prose_violations(text)}


def test_continuous_text_is_prose():
    two_paragraphs = FAITHFUL + "\n\n" + "U.S. businesses buy its services - mostly on monthly plans - online."
    assert is_prose(FAITHFUL)
    assert is_prose(two_paragraphs)
    assert not is_prose("   \n ")


def test_loop_and_repetition():
    looping = FAITHFUL + " " + "The company sells cloud phones to businesses. " * 8
    assert has_loop(looping)
    assert not has_loop(FAITHFUL)
    assert repeated_ngram_rate(looping) > 0.25 > repeated_ngram_rate(FAITHFUL)
    assert repeated_ngram_rate("too short") is None
    assert has_loop("revenue revenue revenue grew")  # a one-word span three times in a row
    assert not has_loop("revenue revenue grew")


def test_aspect_coverage_and_novelty(samples):
    source = (samples / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")
    assert aspect_coverage(FAITHFUL) == 1.0
    assert aspect_coverage("Crexendo offers cloud telephone products.") == pytest.approx(1 / 5)
    copied = " ".join(source.split()[200:260])
    assert novel_ngram_ratio(copied, source) == 0.0
    invented = "Zorblax quantum gadgets delight Martian shoppers every lunar cycle."
    assert novel_ngram_ratio(invented, source) == 1.0
    assert 0 < novel_ngram_ratio(FAITHFUL, source) < 1
    assert novel_ngram_ratio("two words", source) is None


def test_score_document_undefined_values_are_none(tiny_tokenizer, samples):
    source = (samples / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")
    row = score_document("crexendo sells cloud services to businesses.", source, tokenizer=tiny_tokenizer,
        max_summary_tokens=512)
    assert row["number_precision"] is None  # no figures stated: undefined, not 0
    assert row["rouge1"] is None  # no reference
    assert row["tokens"] == token_count("crexendo sells cloud services to businesses.", tiny_tokenizer)
    assert row["within_limit"] is True and row["is_prose"] is True and row["empty"] is False
    with pytest.raises(ValueError, match="tokenizer"):
        score_document("text", source, max_summary_tokens=512)


def test_metric_docstring_examples_run():
    import doctest

    import filingsum.quality.metrics as metrics

    result = doctest.testmod(metrics)
    assert result.attempted >= 1 and result.failed == 0
