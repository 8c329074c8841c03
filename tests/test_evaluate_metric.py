"""filingsum's metrics through `evaluate.load(path)`, offline, the way `evaluate` users call a metric."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from filingsum.quality import EVALUATE_METRIC_PATH

SOURCE = ("Acme sells industrial pumps to utilities through independent distributors. Revenue was $12.4 million "
          "in 2023, up 8%. The company funds operations with a $5 million credit facility.")
PREDICTIONS = ["Acme sells pumps to utilities through distributors; revenue was $12.4 million in 2023.",
               "This excerpt does not describe Acme. Revenue was $99.9 million."]
REFERENCES = ["Acme sells industrial pumps to utilities via distributors, with revenue of $12.4 million in 2023.",
              "Acme funds itself with a $5 million credit facility and sells pumps."]


@pytest.fixture(scope="module")
def metric():
    evaluate = pytest.importorskip("evaluate")
    return evaluate.load(EVALUATE_METRIC_PATH)


def test_loads_offline_and_matches_rouge_score(metric, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = metric.compute(predictions=PREDICTIONS, references=REFERENCES, sources=[SOURCE, SOURCE],
                            tokenizer="tiny-random")
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    expected = sum(scorer.score(r, p)["rougeL"].fmeasure for p, r in zip(PREDICTIONS, REFERENCES)) / 2
    assert result["rougeL"] == pytest.approx(expected) and result["rougeL_n"] == 2
    assert result["number_precision"] == pytest.approx(0.5)  # $12.4 million supported; $99.9 million not
    assert result["meta_statement_rate"] == pytest.approx(0.25)  # 0 of 1, then 1 of 2 sentences
    assert result["loop"] == 0.0


def test_without_sources_faithfulness_is_undefined(metric):
    result = metric.compute(predictions=PREDICTIONS, references=REFERENCES, tokenizer="tiny-random")
    assert result["number_precision"] is None and result["number_precision_n"] == 0
    assert result["rouge1"] is not None
