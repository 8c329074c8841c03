"""Faults the seventh fresh probe found in `data build` and filing reading (P7-F2, F6, F8, F9): each on real
files, through the real CLI in process or the real extraction path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_faults import (
    COMPANIES,
    CUSTOMERS,
    FILING,
    PRODUCTS,
    assert_one_line_failure,
    data_config,
    observe,
    write_filings,
)

from filingsum.cli import main
from filingsum.filings.ingest import IngestError
from filingsum.filings.prepare import extract_file

# --- P7-F9: a build that yields no record writes no dataset and says why, in one line -------------------------


def test_a_build_that_yields_no_record_into_a_new_dir_fails_in_one_line_and_writes_no_dataset(tmp_path, capsys):
    """A build with zero records exited 1 with no error line, printed "0 records (...); card: ..." and wrote an
    empty records.jsonl, splits, hf/ and card as if it were a result."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "blank_10k_2020.txt").write_text("   \n", encoding="utf-8")
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "data.yaml", [inputs], out)
    capsys.readouterr()
    status = main(["data", "build", "--config", str(config)])
    captured = capsys.readouterr()
    written = sorted(p.name for p in out.iterdir() if p.name != ".work") if out.exists() else []
    observe("`data build`: inputs yield no record, into a new dir", status, captured.err, wrong=len(written))
    line = assert_one_line_failure(status, captured.err, 1, "the build produced no records", "1 file(s) skipped",
                                   f"no dataset was written to {out}")
    assert "card.failed.md" in line and "0 records" not in captured.out
    assert written == []  # no records.jsonl, splits, hf/ or card.md
    assert "file is empty" in (out / ".work" / "card.failed.md").read_text(encoding="utf-8")


# --- P7-F6: the card's config records the --input and --out the build used -----------------------------------


def test_the_card_config_records_the_input_and_out_the_build_used(tmp_path, capsys):
    """card.md "## Config" and card.json["config"] showed the YAML's data.inputs and data.out_dir, not the
    --input / --out the build actually used."""
    config = data_config(tmp_path / "data.yaml", [tmp_path / "yaml_inputs"], tmp_path / "yaml_out")
    inputs = write_filings(tmp_path / "used_inputs", [0, 1, 2])
    out = tmp_path / "used_out"
    status = main(["data", "build", "--config", str(config), "--input", str(inputs), "--out", str(out)])
    err = capsys.readouterr().err
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    data = card["config"]["data"]
    observe("`data build --input/--out`: the card's config", status, err,
            wrong=int(data["inputs"] != [str(inputs)] or data["out_dir"] != str(out)))
    assert status == 0, err[-3000:]
    assert data["inputs"] == [str(inputs)] and data["out_dir"] == str(out)
    config_md = (out / "card.md").read_text(encoding="utf-8").split("## Config", 1)[1]
    assert str(inputs) in config_md and str(out) in config_md
    assert "yaml_inputs" not in config_md and "yaml_out" not in config_md


# --- P7-F2: HTML nested about 1,000 deep is read, not skipped with the parser's raw exception text -----------


def _deeply_nested_filing(path: Path, depth: int) -> Path:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in FILING.format(
        name=COMPANIES[0], product=PRODUCTS[0], customers=CUSTOMERS[0]).split("\n\n"))
    path.write_text(f"<html><body>{'<div>' * depth}{body}<p>Item 1A. Risk Factors</p><p>Risks.</p>"
                    f"{'</div>' * depth}</body></html>", encoding="utf-8")
    return path


def test_html_nested_a_thousand_deep_is_read_by_the_fallback_reader(tmp_path):
    """Such a file was skipped as `HTML could not be parsed: HTMLParsingError: Failed to parse HTML: maximum
    recursion depth exceeded in comparison\\nContext: {'error_type': 'RecursionError'}`."""
    path = _deeply_nested_filing(tmp_path / "acme_10k_2020.html", 1000)
    (section,) = extract_file(path, ["item_1"])
    assert section.section == "item_1" and section.text.startswith("Item 1. Business")
    assert "Acme Widgets Inc. designs and sells industrial widgets" in section.text
    assert "Risks." not in section.text  # the section ends at the next item, as in any other filing
    assert any("nested too deeply for edgartools" in w for w in section.warnings), section.warnings


def test_a_build_keeps_a_deeply_nested_html_filing(tmp_path, capsys):
    inputs = write_filings(tmp_path / "in", [1, 2])
    _deeply_nested_filing(inputs / "acme_10k_2020.html", 1000)
    out = tmp_path / "dataset"
    status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], out))])
    err = capsys.readouterr().err
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    sources = [json.loads(line)["source_path"] for line in (out / "records.jsonl").read_text().splitlines()]
    observe("`data build`: HTML nested 1,000 deep", status, err, wrong=len(card["skipped_files"]))
    assert status == 0 and "Traceback" not in err, err[-3000:]
    assert card["skipped_files"] == [] and any(s.endswith("acme_10k_2020.html") for s in sources)
    shown = err + (out / "card.md").read_text(encoding="utf-8")
    assert "RecursionError" not in shown and "HTMLParsingError" not in shown


# --- P7-F8: a present but very short section is said to be short, not missing ---------------------------------


@pytest.mark.parametrize("body, needles", [
    ("Beta sells things.\n", ["Item 1. Business found, but too short to use", "18 character(s)", "at least 20"]),
    ("", ["Item 1. Business is only a heading", "no text under it"]),
])
def test_a_short_item_is_reported_as_short_not_as_missing(tmp_path, body, needles):
    """A present but very short "Item 1. Business" was reported as "no Item 1. Business found, though the file
    has headings for Item 1"."""
    path = tmp_path / "b10k.txt"
    path.write_text(f"BETA CORP\nFORM 10-K\n\nItem 1. Business\n{body}\nItem 1A. Risk Factors\nMany risks.\n",
                    encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        extract_file(path, ["item_1"])
    reason = caught.value.reason
    assert all(needle in reason for needle in needles), reason
    assert "no Item 1. Business found" not in reason and "\n" not in reason
