"""`filingsum eval` through the CLI: config-driven systems with gold references, predictions files, gates,
compare. Baselines only (no generation), real seed filings and gold summaries, the tiny model's tokenizer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import GOLD, SAMPLES

from filingsum.cli import main
from filingsum.core.schema import FilingRecord
from filingsum.filings.sections import extract_filing_sections


@pytest.fixture()
def eval_config(tmp_path: Path) -> Path:
    (section,) = extract_filing_sections(SAMPLES / "fusion_10k_2016_item1_prompt.txt", ["item_1"])
    record = FilingRecord(
        id="fusion", company=section.company, form=section.form, source_path=section.source_path,
        content_hash="x", section=section.section, instruction=section.instruction or "", text=section.text,
        char_count=len(section.text), token_count=0, reference="a placeholder reference", split="test",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "test.jsonl").write_text(record.model_dump_json() + "\n")
    config = tmp_path / "eval.yaml"
    config.write_text(
        f"model: {{name: tiny-random}}\n"
        f"data: {{out_dir: {data}}}\n"
        f"eval: {{systems: [lead-k, extractive], references: [{GOLD}], out_dir: {tmp_path / 'report'}, "
        f"gate_system: extractive, gates: {{within_limit: 1.0}}}}\n"
    )
    return config


def test_config_eval_scores_baselines_against_gold(eval_config: Path, tmp_path: Path, capsys) -> None:
    assert main(["eval", "--config", str(eval_config)]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert set(report["systems"]) == {"lead-k", "extractive"}
    gold = next(json.loads(line) for line in (GOLD / "seeds.jsonl").read_text().splitlines() if "fusion" in line)
    extractive = report["systems"]["extractive"]["per_document"]["fusion"]
    # Scored against the gold summary, not the placeholder the record carried: real overlap.
    assert extractive["rougeL"] > 0.1
    assert report["systems"]["extractive"]["aggregate"]["number_precision"] == 1.0  # copied sentences
    html_text = re.sub(r"<[^>]+>", "", (tmp_path / "report" / "report.html").read_text())  # the text, not the markup
    assert gold["summary"][:40] in html_text
    assert "| extractive |" in capsys.readouterr().out


def test_failing_gate_exits_1_and_bad_gate_is_a_config_error(eval_config: Path) -> None:
    assert main(["eval", "--config", str(eval_config), "--fail-under", "aspect_coverage=1.01"]) == 1
    assert main(["eval", "--config", str(eval_config), "--fail-under", "rogueL=0.2"]) == 2  # unknown metric
    eval_config.write_text(eval_config.read_text().replace("within_limit: 1.0", "within_limt: 1.0"))
    assert main(["eval", "--config", str(eval_config)]) == 2


def test_predictions_file_and_compare(tmp_path: Path) -> None:
    source = (SAMPLES / "crexendo_10k_2016_item1_prompt.txt").read_text()
    faithful = "Crexendo generates recurring revenue from its cloud telecommunications services."
    invented = "Crexendo spent $1.1 billion on research and development with Vonage."
    for name, prediction in (("good", faithful), ("bad", invented)):
        row = {"id": "crexendo", "source": source, "prediction": prediction, "system": "tuned"}
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(row) + "\n")
        assert main(["eval", "--predictions", str(tmp_path / f"{name}.jsonl"), "--out", str(tmp_path / name),
                     "--tokenizer", "tiny-random"]) == 0
    good = json.loads((tmp_path / "good" / "report.json").read_text())["systems"]["tuned"]["aggregate"]
    bad = json.loads((tmp_path / "bad" / "report.json").read_text())["systems"]["tuned"]["aggregate"]
    assert bad["entity_precision"] < good["entity_precision"]
    assert main(["eval", "--predictions", str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "gated"),
                 "--tokenizer", "tiny-random", "--fail-under", "number_precision=0.95"]) == 1
    assert main(["eval", "compare", str(tmp_path / "good" / "report.json"), str(tmp_path / "bad" / "report.json")]) == 1
    assert main(["eval", "compare", str(tmp_path / "good" / "report.json"),
                 str(tmp_path / "good" / "report.json")]) == 0


def test_a_system_whose_every_document_failed_fails_the_run_without_gates(eval_config: Path, tmp_path: Path,
                                                                           capsys) -> None:
    """An eval of an endpoint with nothing listening: the report records the failures, and the run exits 1 even
    with no gate configured, so a CI job that does not gate stays red on an eval that evaluated nothing."""
    from filingsum.serving.ports import free_port

    text = eval_config.read_text().replace("systems: [lead-k, extractive]", "systems: [lead-k, endpoint]")
    text = text.replace("gate_system: extractive, gates: {within_limit: 1.0}",
                        f"endpoint: 'http://127.0.0.1:{free_port()}/v1', endpoint_model: m1")
    eval_config.write_text(text)
    assert main(["eval", "--config", str(eval_config)]) == 1
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["systems"]["endpoint"]["aggregate"]["scored_fraction"] == 0
    assert report["systems"]["lead-k"]["aggregate"]["scored_fraction"] == 1
    assert "filingsum: error: endpoint: every document failed (1)" in capsys.readouterr().err
