"""Gates (config and --fail-under forms) and report comparison, on aggregates and report.json files."""

from __future__ import annotations

import copy
import json

import pytest

from filingsum.cli import main as cli_main
from filingsum.core.errors import UsageError
from filingsum.eval.compare import compare_reports, render_markdown, render_table
from filingsum.eval.gates import (
    Gate,
    GateSpecError,
    check_gates,
    evaluate_gates,
    parse_gate,
    parse_gates,
    select_gate_system,
)

AGGREGATE = {"within_limit": 1.0, "number_precision": 0.97, "repetition": 0.04, "rougeL": 0.31,
             "entity_precision": None}


def test_parse_forms():
    assert parse_gate("number_precision=0.95") == Gate("number_precision", ">=", 0.95)
    assert parse_gate("number_precision>=0.95") == Gate("number_precision", ">=", 0.95)
    assert parse_gate(" repetition <= 0.1 ") == Gate("repetition", "<=", 0.1)
    assert parse_gates({"within_limit": 1.0, "repetition<=": 0.1}) == [
        Gate("within_limit", ">=", 1.0), Gate("repetition", "<=", 0.1)]
    assert parse_gates({"repetition": "<=0.1", "rougeL": {"min": 0.2, "max": 0.9}}) == [
        Gate("repetition", "<=", 0.1), Gate("rougeL", ">=", 0.2), Gate("rougeL", "<=", 0.9)]
    assert parse_gates(["within_limit=1", "repetition<=0.05"]) == [
        Gate("within_limit", ">=", 1.0), Gate("repetition", "<=", 0.05)]
    assert parse_gates(None) == [] and parse_gates({}) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("number_precison=0.95", "unknown metric 'number_precison'; known metrics: rouge1"),
        ("number_precision=high", "threshold 'high' is not a number"),
        ("number_precision", "expected METRIC=VALUE"),
        ("number_precision>0.9", "expected METRIC=VALUE"),
    ],
)
def test_bad_specs_are_clear_errors(spec, message):
    with pytest.raises(GateSpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_gate(spec)


def test_bad_mapping_forms():
    with pytest.raises(GateSpecError, match="unknown metric 'bleu'"):
        parse_gates({"bleu<=": 0.1})
    with pytest.raises(GateSpecError, match="use {'min': X}"):
        parse_gates({"rougeL": {"at_least": 0.2}})


def test_check_gates_passing_and_failing():
    assert check_gates(AGGREGATE, parse_gates(["within_limit=1.0", "number_precision=0.95",
                                               "repetition<=0.1"])) == []
    failures = check_gates(AGGREGATE, parse_gates(["number_precision=0.99", "repetition<=0.01", "rougeL=0.3"]),
                           system="tuned")
    assert [f.gate.metric for f in failures] == ["number_precision", "repetition"]
    assert failures[0].value == 0.97 and "gate number_precision>=0.99" in failures[0].reason
    assert "tuned" in failures[0].reason


def test_undefined_metric_fails_its_gate():
    [failure] = check_gates(AGGREGATE, [parse_gate("entity_precision=0.5")])
    assert failure.value is None and "undefined" in failure.reason
    [failure] = check_gates({}, [parse_gate("rouge1=0.1")])
    assert failure.value is None


def test_gate_system_selection():
    aggregates = {"lead-k": {"rougeL": 0.1}, "tuned": {"rougeL": 0.4}}
    gates = [parse_gate("rougeL=0.3")]
    assert evaluate_gates(aggregates, gates, configured_system="tuned").passed
    with pytest.raises(GateSpecError, match="eval.gate_system 'zero-shot' was not scored"):  # never lead-k instead
        evaluate_gates(aggregates, gates, configured_system="zero-shot")
    assert evaluate_gates(aggregates, gates, system="lead-k", configured_system="tuned").system == "lead-k"
    with pytest.raises(GateSpecError, match="gate system 'zero-shot' was not scored"):
        select_gate_system(list(aggregates), requested="zero-shot")


def _report(tuned: dict, baseline: dict) -> dict:
    return {"systems": {"tuned": {"aggregate": tuned, "per_document": {}},
                        "lead-k": {"aggregate": baseline, "per_document": {}}},
            "config": {}, "created": "2026-01-01T00:00:00+00:00"}


def test_compare_detects_regressions_in_both_directions(tmp_path):
    old = _report({"rougeL": 0.30, "number_precision": 0.95, "repetition": 0.02, "novel_ngram_ratio": 0.40,
                   "tokens": 300.0}, {"rougeL": 0.20})
    new = copy.deepcopy(old)
    new["systems"]["tuned"]["aggregate"].update(rougeL=0.305, number_precision=0.90, repetition=0.05,
                                                novel_ngram_ratio=0.30, tokens=420.0)
    comparison = compare_reports(old, new, tolerance=0.01)
    regressed = {(d.system, d.metric) for d in comparison.regressions}
    # precision fell, repetition rose; rougeL moved within tolerance, novelty fell (better), tokens have no
    # better direction.
    assert regressed == {("tuned", "number_precision"), ("tuned", "repetition")}
    novel = next(d for d in comparison.deltas if d.metric == "novel_ngram_ratio")
    assert novel.improvement and novel.delta == pytest.approx(-0.10)
    assert comparison.exit_code == 1
    assert "**2 regressions**" in render_markdown(comparison)
    assert render_table(comparison).row_count == len(comparison.deltas)

    same = compare_reports(old, copy.deepcopy(old))
    assert same.regressions == [] and same.exit_code == 0

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(old), encoding="utf-8")
    b.write_text(json.dumps(new), encoding="utf-8")
    assert cli_main(["eval", "compare", str(a), str(b), "--tolerance", "0.01", "--markdown"]) == 1
    assert cli_main(["eval", "compare", str(a), str(a)]) == 0
    (tmp_path / "junk.json").write_text("[1, 2]", encoding="utf-8")
    assert cli_main(["eval", "compare", str(a), str(tmp_path / "junk.json")]) == 2


def test_compare_lists_systems_missing_on_either_side():
    old = _report({"rougeL": 0.3}, {"rougeL": 0.2})
    new = {"systems": {"tuned": {"aggregate": {"rougeL": 0.3}}, "zero-shot": {"aggregate": {"rougeL": 0.1}}}}
    comparison = compare_reports(old, new)
    assert comparison.only_in_a == ["lead-k"] and comparison.only_in_b == ["zero-shot"]
    assert {d.system for d in comparison.deltas} == {"tuned"}


def test_compare_counts_a_vanished_metric_as_a_regression_and_refuses_disjoint_reports():
    a = {"systems": {"tuned": {"aggregate": {"rouge1": 0.4, "loop": 0.0}}}}
    for gone in (None, float("nan")):
        b = {"systems": {"tuned": {"aggregate": {"rouge1": gone, "loop": 0.0}}}}
        comparison = compare_reports(a, b)
        assert comparison.exit_code == 1 and [d.metric for d in comparison.regressions] == ["rouge1"]
    missing = compare_reports(a, {"systems": {"tuned": {"aggregate": {"loop": 0.0}}}})
    assert [d.metric for d in missing.regressions] == ["rouge1"]
    for other in ({"systems": {}}, {"systems": {"other": {"aggregate": {"rouge1": 0.4}}}}):
        with pytest.raises(UsageError, match="share no system"):
            compare_reports(a, other)


def test_a_gate_system_that_was_not_scored_is_never_judged_by_another(tmp_path, capsys):
    """The probe: with eval.gate_system 'tuned' (the default) absent or mistyped, the gates judged lead-k."""
    from filingsum.cli import main
    from filingsum.eval.gates import GateSpecError, evaluate_gates, parse_gates

    aggregates = {"lead-k": {"rougeL": 0.3}, "extractive": {"rougeL": 0.1}}
    with pytest.raises(GateSpecError, match="eval.gate_system 'tuned' was not scored"):
        evaluate_gates(aggregates, parse_gates({"rougeL": 0.2}), configured_system="tuned")
    assert evaluate_gates(aggregates, [], configured_system="tuned").system == "lead-k"  # no gates: a report only
    assert evaluate_gates({"preds": {"rougeL": 0.3}}, parse_gates({"rougeL": 0.2}),
                          configured_system="tuned").system == "preds"  # a predictions file's one system
    config = tmp_path / "c.yaml"
    config.write_text("model: {name: tiny-random}\neval:\n  systems: [lead-k, extractive]\n  gate_system: tunde\n"
                      "  gates: {rougeL: 0.1}\n")
    status = main(["eval", "--config", str(config), "--out", str(tmp_path / "rep")])
    err = capsys.readouterr().err
    assert status == 2 and "eval.gate_system 'tunde' is not among eval.systems" in err, err[-1500:]
    assert not (tmp_path / "rep" / "report.json").exists()
