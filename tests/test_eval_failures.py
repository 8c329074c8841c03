"""Failures count against every gate: a failed endpoint request, an empty summary, a document whose scoring
raised. Real HTTP server on 127.0.0.1, real tokenizer, the real seed filing."""

from __future__ import annotations

import json

import pytest
from _fake_openai import FakeOpenAI

from filingsum.core.config import RunConfig
from filingsum.core.schema import FilingRecord, PredictionRecord
from filingsum.eval.gates import evaluate_gates, parse_gates
from filingsum.eval.harness import score_predictions
from filingsum.eval.report_markdown import render_markdown
from filingsum.eval.report_model import Report
from filingsum.eval.run import build_systems

LIMIT = 512  # the summary cap these predictions are scored against

FAITHFUL = "Crexendo had 53 employees as of December 31, 2016, including 15 sales representatives."
DEMO_GATES = {"scored_fraction": 1.0, "within_limit": 1.0, "number_precision": 0.5}


def _one_bad_request(body: dict):
    """Answers every chat completion, except a 400 for prompts that mention 'BROKEN'."""
    if "BROKEN" in json.dumps(body["messages"]):
        return 400, {"error": {"message": "bad request", "type": "invalid_request_error"}}, {}
    return FAITHFUL


def _record(doc_id: str, text: str, note: str = "") -> FilingRecord:
    from filingsum.core.prompt import DEFAULT_INSTRUCTION

    return FilingRecord(id=doc_id, source_path=f"{doc_id}.txt", company="Crexendo", content_hash=doc_id,
                        section="item_1", instruction=DEFAULT_INSTRUCTION + note, char_count=len(text),
                        token_count=0, text=text)


@pytest.fixture
def crexendo(samples) -> str:
    return (samples / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")


def test_failed_endpoint_request_is_an_error_not_an_empty_summary(tmp_path, crexendo, tiny_tokenizer):
    with FakeOpenAI(respond=_one_bad_request) as server:
        config = RunConfig.model_validate({
            "model": {"name": "tiny-random", "max_source_tokens": 256},
            "eval": {"systems": ["endpoint"], "endpoint": server.base_url},
        })
        records = [_record("good", crexendo), _record("bad", crexendo, note=" BROKEN")]
        predictions = build_systems(config)["endpoint"](records)
    by_id = {p.id: p for p in predictions}
    assert by_id["good"].error is None and by_id["good"].prediction == FAITHFUL
    assert by_id["bad"].error and by_id["bad"].prediction == ""

    result = score_predictions(predictions, tiny_tokenizer, system="endpoint", max_summary_tokens=LIMIT)
    assert "prediction failed" in result.per_document["bad"]["error"]
    # The failure counts as the worst value: not "within the limit", not precise, half the documents scored.
    assert result.aggregate["within_limit"] == 0.5
    assert result.aggregate["scored_fraction"] == 0.5
    assert result.aggregate["number_precision"] == 0.5
    outcome = evaluate_gates({"endpoint": result.aggregate}, parse_gates(DEMO_GATES))
    assert {f.gate.metric for f in outcome.failures} == {"scored_fraction", "within_limit"}
    assert "1 document(s) failed" in render_markdown(Report({"endpoint": result}))


def test_empty_summary_is_not_within_the_limit(crexendo, tiny_tokenizer):
    preds = [PredictionRecord(id="empty", source=crexendo, prediction="   "),
             PredictionRecord(id="fine", source=crexendo, prediction=FAITHFUL)]
    result = score_predictions(preds, tiny_tokenizer, max_summary_tokens=LIMIT)
    assert result.per_document["empty"]["within_limit"] is False and result.per_document["empty"]["empty"] is True
    assert result.aggregate["within_limit"] == 0.5 and result.aggregate["scored_fraction"] == 0.5
    assert result.aggregate["loop"] == 0.5  # the empty one counts as the worst: a loop
    outcome = evaluate_gates({"s": result.aggregate}, parse_gates(["within_limit=1.0", "loop<=0.0"]))
    assert not outcome.passed and len(outcome.failures) == 2
    # Every document fine: every gate passes, scored_fraction is 1.
    ok = score_predictions(preds[1:], tiny_tokenizer, max_summary_tokens=LIMIT)
    assert ok.aggregate["scored_fraction"] == 1.0
    assert evaluate_gates({"s": ok.aggregate}, parse_gates(DEMO_GATES)).passed


def test_all_documents_failed_fails_every_gate(crexendo, tiny_tokenizer):
    preds = [PredictionRecord(id="a", source=crexendo, prediction="", error="timeout after 300 s")]
    result = score_predictions(preds, tiny_tokenizer, max_summary_tokens=LIMIT)
    assert result.aggregate["scored_fraction"] == 0.0
    outcome = evaluate_gates({"s": result.aggregate}, parse_gates(DEMO_GATES))
    assert {f.gate.metric for f in outcome.failures} == set(DEMO_GATES)


@pytest.mark.parametrize(
    ("config_name", "quality_gates"),
    [("smollm2-cpu.yaml", False), ("smollm2-quality-cpu.yaml", True), ("qwen2.5-1.5b-gpu.yaml", True)],
)
def test_shipped_configs_gate_on_metrics_that_can_fail(repo, config_name, quality_gates):
    from filingsum.core.config import load_config

    config = load_config(repo / "configs" / config_name)
    gates = {g.metric for g in parse_gates(config.eval.gates)}
    # Both fail on a failed or empty summary (tests above); the 6-step demo model is gated on these only.
    assert {"scored_fraction", "within_limit"} <= gates
    if quality_gates:
        assert "loop" in gates and "number_contradiction_rate" in gates


def test_reports_show_supported_contradicted_and_unverifiable_figures_per_document(tmp_path, crexendo,
                                                                                     tiny_tokenizer):
    from filingsum.eval.report import write_report

    preds = [PredictionRecord(id="faithful", source=crexendo, prediction=FAITHFUL),
             PredictionRecord(id="planted", source=crexendo, prediction=(
                 "Crexendo had 63 employees as of December 31, 2016, and revenue of $9.1 billion in 2016 "
                 "from 400 data centers."))]
    result = score_predictions(preds, tiny_tokenizer, system="s", max_summary_tokens=LIMIT)
    planted = result.per_document["planted"]
    assert (planted["supported_numbers"], planted["contradicted_numbers"], planted["unverifiable_numbers"]) == (
        2, 2, 1)  # the date and 2016 / 63 employees and $9.1 billion / 400 data centers
    assert planted["number_contradiction_rate"] == pytest.approx(2 / 5)
    assert result.per_document["faithful"]["contradicted_numbers"] == 0
    paths = write_report(Report({"s": result}, predictions={"s": preds}), tmp_path)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["systems"]["s"]["per_document"]["planted"]["contradicted_numbers"] == 2
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "| s | planted | 2 | 2 | 1 | 0.400 |" in markdown
    page = paths["html"].read_text(encoding="utf-8")
    assert '<mark class="contradicted" title="contradicted figure' in page and ">63</mark>" in page
    assert 'title="unverifiable figure: not found in the source">400</mark>' in page


def test_a_pipe_in_a_system_name_or_document_id_stays_in_its_markdown_cell(crexendo, tiny_tokenizer):
    from filingsum.eval.compare import compare_reports
    from filingsum.eval.compare import render_markdown as render_comparison
    preds = [PredictionRecord(id="acme|10-K", source=crexendo, prediction=FAITHFUL),
             PredictionRecord(id="bolt", source=crexendo, prediction="", error="HTTP 500 | upstream\nreset")]
    report = Report({"tuned|v2": score_predictions(preds, tiny_tokenizer, system="tuned|v2", max_summary_tokens=LIMIT)})
    markdown = render_markdown(report)
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert any("tuned\\|v2" in row and "acme\\|10-K" in row for row in rows)
    assert any("HTTP 500 \\| upstream reset" in row for row in rows)  # the error's line break made a space
    for table in markdown.split("\n\n"):  # every row of a table has as many cells as its header
        lines = [line for line in table.splitlines() if line.startswith("|")]
        widths = {len(line.replace("\\|", "").split("|")) for line in lines}
        assert len(widths) <= 1, lines
    comparison = render_comparison(compare_reports(report.to_dict(), report.to_dict()))
    assert "| tuned\\|v2 |" in comparison


def test_a_source_over_the_scoring_cap_is_a_failed_document_not_a_stall(crexendo, tiny_tokenizer, monkeypatch,
                                                                         caplog):
    from filingsum.eval import scoring

    monkeypatch.setattr(scoring, "MAX_SCORED_SOURCE_CHARS", len(crexendo) + 10)
    preds = [PredictionRecord(id="fine", source=crexendo, prediction=FAITHFUL),
             PredictionRecord(id="huge", source=crexendo * 2, prediction=FAITHFUL)]
    with caplog.at_level("INFO"):
        result = score_predictions(preds, tiny_tokenizer, max_summary_tokens=LIMIT)
    assert "over the" in result.per_document["huge"]["error"] and "not scored" in result.per_document["huge"]["error"]
    assert result.per_document["fine"]["number_precision"] == 1.0
    assert result.aggregate["scored_fraction"] == 0.5
    assert "scoring: 2 of 2 summary(s) done, 1 failed" in caplog.text  # the progress helper's final line


def test_scoring_in_two_worker_processes_gives_the_rows_of_one(samples, tiny_tokenizer, monkeypatch, caplog):
    """The eval's scoring pool (eval/scoring.py) on real seed filings: the same rows, in the same order, as
    scoring in this process; a failed prediction stays a failed row; the pool really ran."""
    from filingsum.core.text import split_sentences
    from filingsum.eval import scoring
    from filingsum.eval.harness import score_systems

    sentences = [s for path in sorted(samples.glob("*.txt"))
                 for s in split_sentences(path.read_text(encoding="utf-8"))][:240]
    sources = [" ".join(sentences[i : i + 30]) for i in range(0, 240, 30)]  # 8 distinct sources
    systems = {
        name: [PredictionRecord(id=f"doc-{i}", source=source, reference=" ".join(split_sentences(source)[:4]),
                                prediction=" ".join(split_sentences(source)[k : k + 3]), system=name)
               for i, source in enumerate(sources)]
        for k, name in enumerate(("lead", "shifted"))
    }
    systems["shifted"][3] = systems["shifted"][3].model_copy(update={"error": "the endpoint timed out"})
    monkeypatch.setattr(scoring, "SOURCES_PER_WORKER", 2)
    one = score_systems(systems, tiny_tokenizer, max_summary_tokens=LIMIT, workers=1).to_dict()
    with caplog.at_level("INFO"):
        two = score_systems(systems, tiny_tokenizer, max_summary_tokens=LIMIT, workers=2).to_dict()
    assert "in 2 worker processes" in caplog.text
    assert json.dumps(two["systems"], sort_keys=False) == json.dumps(one["systems"], sort_keys=False)
    assert "prediction failed" in two["systems"]["shifted"]["per_document"]["doc-3"]["error"]
    assert two["systems"]["lead"]["aggregate"]["rougeL"] > 0
