"""Harness and reports: real seed filings and gold summaries, the real tokenizer, files on disk."""

from __future__ import annotations

import json
import re

import pytest

from filingsum.core.schema import FilingRecord, PredictionRecord
from filingsum.core.tokens import token_count
from filingsum.eval.harness import (
    EvalInputError,
    baseline_predictions,
    load_predictions_jsonl,
    run_eval,
    score_predictions,
    score_systems,
)
from filingsum.eval.report import write_report
from filingsum.eval.report_html import highlight_spans


@pytest.fixture(scope="module")
def gold_rows(repo):
    lines = (repo / "data" / "gold" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def gold_predictions(gold_rows, samples) -> list[PredictionRecord]:
    return [
        PredictionRecord(id=row["source_file"].removesuffix(".txt"), system="gold",
                         source=(samples / row["source_file"]).read_text(encoding="utf-8"),
                         prediction=row["summary"], reference=row["summary"])
        for row in gold_rows
    ]


def _planted(preds: list[PredictionRecord]) -> list[PredictionRecord]:
    """The gold summaries with a wrong figure and an invented product added, as a weaker system."""
    return [p.model_copy(update={"system": "planted", "prediction": p.prediction
                                 + " It also spent $1.1 billion on the CrexCloud Quantum Router."})
            for p in preds]


def test_score_predictions_per_document_and_aggregate(gold_predictions, tiny_tokenizer):
    result = score_predictions(gold_predictions, tiny_tokenizer, max_summary_tokens=512)
    assert result.system == "gold"
    assert set(result.per_document) == {p.id for p in gold_predictions}
    for pred in gold_predictions:
        row = result.per_document[pred.id]
        assert row["tokens"] == token_count(pred.prediction, tiny_tokenizer)
        assert row["rouge1"] == 1.0  # prediction == reference
    assert result.aggregate["within_limit"] == 1.0 and result.aggregate["is_prose"] == 1.0
    assert result.aggregate["number_precision"] == 1.0
    assert result.aggregate["tokens_max"] == max(r["tokens"] for r in result.per_document.values())
    assert result.counts["documents"] == 3 and result.counts["number_precision"] == 3


def test_limit_is_configurable(gold_predictions, tiny_tokenizer):
    lengths = [token_count(p.prediction, tiny_tokenizer) for p in gold_predictions]
    shortest = min(lengths)
    assert max(lengths) > shortest  # the limit really cuts
    result = score_predictions(gold_predictions, tiny_tokenizer, max_summary_tokens=shortest)
    assert result.aggregate["within_limit"] == pytest.approx(lengths.count(shortest) / len(lengths))


def test_undefined_metrics_are_counted_not_zeroed(tiny_tokenizer, samples):
    source = (samples / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")
    preds = [PredictionRecord(id="a", source=source, prediction="Crexendo had 53 employees in 2016."),
             PredictionRecord(id="b", source=source, prediction="crexendo sells cloud services to businesses.")]
    result = score_predictions(preds, tiny_tokenizer, max_summary_tokens=512)
    assert result.per_document["b"]["number_precision"] is None
    assert result.aggregate["number_precision"] == 1.0 and result.counts["number_precision"] == 1
    assert result.aggregate["rouge1"] is None and result.counts["rouge1"] == 0


def test_duplicate_ids_and_empty_input_are_clear_errors(gold_predictions, tiny_tokenizer):
    with pytest.raises(EvalInputError, match="duplicate prediction id"):
        score_predictions(gold_predictions + gold_predictions[:1], tiny_tokenizer, max_summary_tokens=512)
    with pytest.raises(EvalInputError, match="no predictions"):
        score_predictions([], tiny_tokenizer, max_summary_tokens=512)


def test_load_predictions_jsonl_names_the_bad_line(tmp_path, gold_predictions):
    good = tmp_path / "preds.jsonl"
    good.write_text("".join(p.model_dump_json() + "\n" for p in gold_predictions) + "\n", encoding="utf-8")
    assert [p.id for p in load_predictions_jsonl(good)] == [p.id for p in gold_predictions]

    lines = [p.model_dump_json() for p in gold_predictions]
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text("\n".join([lines[0], "{not json", lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"bad\.jsonl, line 2: invalid JSON"):
        load_predictions_jsonl(bad_json)

    missing = tmp_path / "missing.jsonl"
    missing.write_text(lines[0] + "\n" + json.dumps({"id": "x", "source": "s"}) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"line 2: not a prediction record \(prediction: Field required"):
        load_predictions_jsonl(missing)

    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(EvalInputError, match="not UTF-8"):
        load_predictions_jsonl(binary)

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match="no predictions"):
        load_predictions_jsonl(empty)


def test_reports_written_with_marked_unsupported_figures(tmp_path, gold_predictions, tiny_tokenizer):
    report = score_systems({"gold": gold_predictions, "planted": _planted(gold_predictions)}, tiny_tokenizer,
        max_summary_tokens=512)
    gold, planted = report.systems["gold"].aggregate, report.systems["planted"].aggregate
    assert planted["number_precision"] < gold["number_precision"] == 1.0
    assert planted["entity_precision"] < gold["entity_precision"]

    paths = write_report(report, tmp_path / "eval")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert set(data) >= {"systems", "config", "created"}
    assert set(data["systems"]) == {"gold", "planted"}
    assert set(data["systems"]["gold"]["per_document"]) == {p.id for p in gold_predictions}
    assert data["systems"]["gold"]["aggregate"]["number_precision"] == 1.0
    assert data["config"]["max_summary_tokens"] == 512

    markdown = paths["markdown"].read_text(encoding="utf-8")
    header = next(line for line in markdown.splitlines() if line.startswith("| system"))
    assert "number_precision" in header and "rougeLsum" in header
    assert re.search(r"^\| planted \| 3 \|", markdown, re.MULTILINE)

    page = paths["html"].read_text(encoding="utf-8")
    assert re.search(r"<mark[^>]*>\$1\.1 billion</mark>", page)
    assert re.search(r"<mark[^>]*>CrexCloud Quantum Router</mark>", page)
    assert "data:image/png;base64," in page
    assert "<script" not in page and 'src="http' not in page  # self-contained
    assert not list((tmp_path / "eval").glob(".*.tmp"))  # atomic writes leave no temp files


def test_html_escapes_everything():
    text = "Revenue <b>grew</b> to $5 & more"
    start = text.index("$5")
    out = highlight_spans(text, [(start, start + 2, "figure")])
    assert "<b>" not in out and "&lt;b&gt;" in out and "&amp; more" in out
    assert re.search(r"<mark[^>]*>\$5</mark>", out)


def test_baselines_and_run_eval_with_gates(tmp_path, gold_predictions, tiny_tokenizer):
    records = [
        FilingRecord(id=p.id, company=p.id.split("_")[0], source_path=f"data/samples/{p.id}.txt",
                     content_hash="0" * 64, section="item_1", instruction="Summarize.", text=p.source,
                     char_count=len(p.source), token_count=0, reference=p.reference)
        for p in gold_predictions
    ]
    count = lambda t: token_count(t, tiny_tokenizer)  # noqa: E731
    lead = baseline_predictions(records, "lead-k", count, max_summary_tokens=512)
    extractive = baseline_predictions(records, "extractive", count, max_summary_tokens=512)
    assert [p.id for p in lead] == [r.id for r in records] and all(p.system == "lead-k" for p in lead)
    assert all(count(p.prediction) <= 512 for p in extractive)
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_predictions(records, "abstractive", count, max_summary_tokens=512)  # type: ignore[arg-type]

    report = run_eval(records, {"lead-k": None, "extractive": None, "gold": gold_predictions}, tiny_tokenizer,
                      tmp_path / "run", max_summary_tokens=512, gates=["within_limit=1.0", "number_precision>=0.99"],
                      configured_gate_system="gold")
    assert report.gates.system == "gold" and report.gates.passed
    assert (tmp_path / "run" / "report.html").exists()
    # Copied sentences: baselines add no figure the filing lacks.
    assert report.systems["extractive"].aggregate["number_precision"] == 1.0
    assert report.systems["extractive"].aggregate["novel_ngram_ratio"] < 0.05

    failing = run_eval(records, {"gold": gold_predictions}, tiny_tokenizer, tmp_path / "run2", max_summary_tokens=512,
                       gates={"tokens_max<=": 10})
    assert not failing.gates.passed
    assert "FAIL" in (tmp_path / "run2" / "report.md").read_text(encoding="utf-8")


def test_runaway_and_failing_documents_do_not_sink_the_run(tiny_tokenizer, samples, monkeypatch):
    import filingsum.eval.scoring as scoring

    source = (samples / "crexendo_10k_2016_item1_prompt.txt").read_text(encoding="utf-8")
    runaway = "Crexendo sells cloud services to businesses. " * 12_000  # ~540 kB, a generation that never stopped
    preds = [PredictionRecord(id="runaway", source=source, prediction=runaway),
             PredictionRecord(id="fine", source=source, prediction="Crexendo had 53 employees in 2016."),
             PredictionRecord(id="broken", source=source, prediction="Crexendo sells phones.")]
    real_score = scoring.score_document

    def flaky(prediction, *args, **kwargs):
        if prediction == "Crexendo sells phones.":
            raise RuntimeError("metric blew up")
        return real_score(prediction, *args, **kwargs)

    monkeypatch.setattr(scoring, "score_document", flaky)
    result = score_predictions(preds, tiny_tokenizer, max_summary_tokens=512)
    assert result.per_document["runaway"]["loop"] is True
    assert result.per_document["runaway"]["within_limit"] is False
    assert result.per_document["runaway"]["tokens"] > 50_000  # counted on the whole text
    assert result.per_document["fine"]["number_precision"] == 1.0
    assert "metric blew up" in result.per_document["broken"]["error"]
    assert result.counts["errors"] == 1 and result.counts["documents"] == 3
    from filingsum.eval.report_markdown import render_markdown
    from filingsum.eval.report_model import Report

    assert "1 document(s) failed" in render_markdown(Report({"s": result}))
    # The broken document counts against the aggregate: worst value, a third of the documents unscored.
    assert result.aggregate["scored_fraction"] == pytest.approx(2 / 3)
    assert result.aggregate["within_limit"] == pytest.approx(1 / 3)  # runaway over the limit, broken failed
    assert result.aggregate["number_precision"] == pytest.approx(0.5)  # fine 1.0, broken 0, runaway none


def test_predictions_file_with_a_utf8_bom_is_read(tmp_path):
    path = tmp_path / "preds.jsonl"
    rows = [{"id": "a", "source": "Acme sells widgets.", "prediction": "Acme sells widgets."},
            {"id": "b", "source": "Bolt sells bolts.", "prediction": "Bolt sells bolts."}]
    path.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode())  # as Notepad saves
    assert [p.id for p in load_predictions_jsonl(path)] == ["a", "b"]
