"""Faults the ninth probe (2026-12-05) found in reading inputs, each on real files written to disk through the real
CLI in process (against a stand-in OpenAI-compatible server on 127.0.0.1 for `summarize`) or the real decoder and
input discovery. docs/reliability.md lists them.

- P9-F1: a JSONL row with a number (or a list) for its fiscal_period/company/form/instruction lost the whole file
  with a pydantic traceback; an unexpected per-file error in a build printed its traceback without -v.
- P9-F4/F5: one broken sequence in a UTF-8 filing skipped it ("neither UTF-8 nor Windows-1252") or decoded it whole
  as Windows-1252 (mojibake).
- P9-F6: a symlink to a directory inside an input dir was left out without a word.
- P9-F7: control characters in file names were escaped in the data too (source_path of no file, shared ids).
- P9-F13: files of other suffixes (.txt.gz, .xml) in an input dir were left out without a word; a dir of them "held
  no input files".
"""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from fixtures_text import SAMPLES
from test_faults import COMPANIES, CUSTOMERS, FILING, PRODUCTS, data_config, last_line, observe, write_filings

import filingsum.dataset.build as build_module
from filingsum.cli import main
from filingsum.filings.ingest import IngestError, load_documents

ANSWER = "The company sells widgets to manufacturers and earns revenue from product sales and subscriptions."


def _filing(i: int) -> str:
    return FILING.format(name=COMPANIES[i], product=PRODUCTS[i], customers=CUSTOMERS[i])


def _summarize(server: FakeOpenAI, *args: str) -> int:
    return main(["summarize", *args, "--endpoint", server.base_url, "--model", "fake", "--tokenizer", "tiny-random",
                 "--max-retries", "0"])


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def _messages(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


# --- P9-F1: JSONL metadata that is not a string ------------------------------------------------------------------


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_numbers_for_a_year_or_a_name_are_taken_as_text(tmp_path, capsys, caplog):
    """P9-F1: `"fiscal_period": 2016` gave a pydantic traceback in `data build` and lost the file's good rows."""
    batch = _jsonl(tmp_path / "in" / "batch.jsonl", [
        {"text": _filing(0), "company": "Acme Widgets"},
        {"text": _filing(1), "company": "Borealis Freight", "fiscal_period": 2016},
        {"text": _filing(2), "company": 5, "form": 10, "fiscal_period": 2019.0},
    ])
    docs = load_documents(batch)
    assert [(d.company, d.fiscal_period) for d in docs][1:] == [("Borealis Freight", "2016"), ("5", "2019")]
    out = tmp_path / "dataset"
    with caplog.at_level(logging.INFO):
        status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [batch.parent], out))])
    err = capsys.readouterr().err + _messages(caplog)
    records = _records(out) if (out / "records.jsonl").exists() else []
    observe("`data build`: JSONL rows with a number for fiscal_period/company/form", status, err,
            lost=3 - len(records))
    assert status == 0 and "Traceback" not in err, err[-3000:]
    assert sorted(r["fiscal_period"] or "" for r in records) == ["", "2016", "2019"], records


def test_jsonl_row_with_a_list_or_object_field_is_skipped_naming_line_and_field(tmp_path, capsys, caplog):
    """P9-F1: a list or an object is no name or period: that row is skipped in one line naming its line and
    field; the file's other rows are built and summarized."""
    batch = _jsonl(tmp_path / "in" / "batch.jsonl", [
        {"text": _filing(0), "company": "Acme Widgets"},
        {"text": _filing(1), "instruction": ["a", "b"]},
        {"text": _filing(2), "fiscal_period": {"y": 2020}},
    ])
    out = tmp_path / "dataset"
    with caplog.at_level(logging.INFO):
        status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [batch.parent], out))])
    err = capsys.readouterr().err + _messages(caplog)
    observe("`data build`: JSONL rows with a list/object for instruction/fiscal_period", status, err)
    assert status == 0 and "Traceback" not in err, err[-3000:]
    assert [r["company"] for r in _records(out)] == ["Acme Widgets"]
    assert 'line 2: instruction is ["a", "b"], not a string' in err, err[-3000:]
    assert 'line 3: fiscal_period is {"y": 2020}, not a string' in err, err[-3000:]

    results = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(batch), "--out", str(results))
    err = capsys.readouterr().err
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert status == 0 and "ValidationError" not in err, err[-3000:]
    assert [(r["summary"], r["error"]) for r in rows] == [(ANSWER, None)], rows


def _failing_extractor(real):
    def extract(path, wanted, max_bytes):
        if "borealis" in str(path):
            raise RuntimeError("a parser bug\nwith a second line")
        return real(path, wanted, max_bytes)

    return extract


def test_an_unexpected_error_in_a_build_is_one_line_and_its_traceback_only_with_v(tmp_path, capsys, caplog,
                                                                                 monkeypatch):
    """P9-F1 (the rest): a parser bug on one file printed its whole traceback at the default verbosity."""
    monkeypatch.setattr(build_module, "extract_file", _failing_extractor(build_module.extract_file))
    inputs = write_filings(tmp_path / "in", [0, 1, 2, 3, 4])
    config = data_config(tmp_path / "data.yaml", [inputs], tmp_path / "dataset")
    with caplog.at_level(logging.INFO):
        status = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err + _messages(caplog)
    observe("`data build`: an unexpected error on one file", status, err)
    assert status == 0 and "Traceback" not in err, err[-3000:]
    (line,) = [m for m in err.splitlines() if "unexpected error" in m]
    assert "borealis_10k_2020.txt" in line and "RuntimeError: a parser bug with a second line" in line, line

    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert main(["-v", "data", "build", "--config", str(config)]) == 0
    debug = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback (most recent call last)" in debug and "a parser bug" in debug


# --- P9-F4, P9-F5: UTF-8 with a few broken bytes stays UTF-8 ------------------------------------------------------

CREXENDO_BODY = (SAMPLES / "crexendo_10k_2016_item1_prompt.txt").read_bytes().split(b"\n", 3)[3][:6000]


def test_utf8_with_one_cut_character_and_curly_quotes_is_read_as_utf8(tmp_path, capsys, caplog):
    """P9-F4: one cut character (b"\\xe2\\x80") in a UTF-8 filing whose curly quote holds 0x9D (undefined in
    cp1252) skipped the whole file as "neither UTF-8 nor Windows-1252"; it is UTF-8 with the cut one replaced."""
    head = b"FORM 10-K\nACO INC\n\nITEM 1. BUSINESS\n\n" + CREXENDO_BODY + b" revenue "
    path = tmp_path / "in" / "aco_10k_2016.txt"
    path.parent.mkdir()
    path.write_bytes(head + b"\xe2\x80 grew.\n\nITEM 2. PROPERTIES\nWe lease.\n")
    (doc,) = load_documents(path)
    assert "\u201d" in doc.text and "revenue \ufffd grew." in doc.text
    assert f"not valid UTF-8 at byte {len(head)} (1 bad sequence)" in " ".join(doc.warnings), doc.warnings

    out = tmp_path / "dataset"
    with caplog.at_level(logging.INFO):
        status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [path.parent], out))])
    err = capsys.readouterr().err + _messages(caplog)
    observe("`data build`: a UTF-8 filing with one cut character", status, err)
    assert status == 0, err[-3000:]
    (record,) = _records(out)
    text = record["text"]
    assert "Crexendo is a CLEC cloud services company" in text and "\u00e2" not in text  # no mojibake of its quotes
    assert f"aco_10k_2016.txt: not valid UTF-8 at byte {len(head)}" in err, err[-3000:]


def test_utf8_with_one_stray_latin1_byte_is_not_mojibake(tmp_path):
    """P9-F5: one stray 0xA0 sent the whole UTF-8 file through cp1252: "BCO’s ... €5" became "BCOâ€™s ... â‚¬5"."""
    ascii_body = CREXENDO_BODY.decode("utf-8").encode("ascii", "ignore")
    path = tmp_path / "bco_10k_2016.txt"
    path.write_bytes(b"FORM 10-K\nBCO INC\n\nITEM 1. BUSINESS\n\nBCO\xe2\x80\x99s customers pay \xe2\x82\xac5 per "
                     b"month. " + ascii_body + b" Price\xa0list.\n\nITEM 2. PROPERTIES\nWe lease.\n")
    (doc,) = load_documents(path)
    assert "BCO\u2019s customers pay \u20ac5 per month." in doc.text and "Price\ufffdlist." in doc.text
    assert "\u00e2\u20ac" not in doc.text
    assert not any("Windows-1252" in w for w in doc.warnings) and "1 bad sequence" in doc.warnings[0], doc.warnings


def test_windows_1252_files_and_too_many_bad_bytes_are_not_taken_for_broken_utf8(tmp_path):
    """The rule's other side: a cp1252 file (its quotes bad UTF-8, no UTF-8 character in it) is still cp1252; UTF-8
    with a bad sequence every few hundred bytes is not "mostly UTF-8"."""
    legacy = tmp_path / "legacy_10k_2001.txt"
    legacy.write_bytes(b"ITEM 1. BUSINESS\n\n" + b"The Company\x92s caf\xe9 sells coffee. " * 5)
    (doc,) = load_documents(legacy)
    assert "Company\u2019s caf\u00e9" in doc.text and "\ufffd" not in doc.text
    assert any("Windows-1252" in w for w in doc.warnings), doc.warnings

    noisy = tmp_path / "noisy_10k_2016.txt"
    noisy.write_bytes(b"ITEM 1. BUSINESS\n\n" + b"We sell \xe2\x80\x9cwidgets\xe2\x80\x9d to \xe2\x80 shops. " * 200)
    with pytest.raises(IngestError, match=r"neither UTF-8 \(200 bad sequence\(s\), the first at byte 43\)"):
        load_documents(noisy)


# --- P9-F6: a link to a directory inside an input dir ------------------------------------------------------------


def _linked_inputs(tmp_path: Path) -> Path:
    """in/real/acme.txt, and in/linked -> elsewhere/ with two filings and a link back up to in/ (a loop)."""
    write_filings(tmp_path / "in" / "real", [0])
    write_filings(tmp_path / "elsewhere", [1, 2])
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere" / "up").symlink_to(tmp_path / "in", target_is_directory=True)
    return tmp_path / "in"


def test_links_to_directories_in_an_input_dir_are_followed_once(tmp_path, capsys, caplog):
    """P9-F6: a symlink to a directory in an input dir was left out without a word (links to files were followed);
    it is searched, once, and a link back up (a loop) is named and not followed."""
    inputs = _linked_inputs(tmp_path)
    out = tmp_path / "dataset"
    with caplog.at_level(logging.INFO):
        status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], out))])
    err = capsys.readouterr().err + _messages(caplog)
    records = _records(out) if (out / "records.jsonl").exists() else []
    observe("`data build`: a symlinked sub-directory of the input dir", status, err, lost=3 - len(records))
    assert status == 0, err[-3000:]
    assert sorted(Path(r["source_path"]).name for r in records) == [
        "acme_10k_2020.txt", "borealis_10k_2020.txt", "cobalt_10k_2020.txt"]
    assert "3 input file(s) from 1 spec(s)" in err
    assert f"{inputs / 'linked' / 'up'}: not followed: a link to {inputs}, a directory above it (a loop)" in err

    results = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(inputs), "--out", str(results))
    err = capsys.readouterr().err
    assert status == 0 and "3 summarized, 0 failed" in err, err[-3000:]
    assert server.requests == 3


# --- P9-F13: files of other suffixes in an input dir are counted and named ------------------------------------


def _gzip_filing(path: Path, i: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(_filing(i).encode("utf-8")))
    return path


def test_files_of_other_suffixes_in_an_input_dir_are_counted_in_the_log_and_the_card(tmp_path, capsys, caplog):
    """P9-F13: a .txt.gz and an .xml in an input dir were left out without a word (not in the card, not counted)."""
    inputs = write_filings(tmp_path / "in", [0])
    _gzip_filing(inputs / "borealis_10k_2020.txt.gz", 1)
    (inputs / "cobalt-20201231.xml").write_text("<xbrl></xbrl>\n", encoding="utf-8")
    (inputs / ".hidden.gz").write_bytes(b"not counted")
    out = tmp_path / "dataset"
    with caplog.at_level(logging.INFO):
        status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], out))])
    err = capsys.readouterr().err + _messages(caplog)
    observe("`data build`: a .txt.gz and an .xml beside a filing in the input dir", status, err)
    assert status == 0, err[-3000:]
    (line,) = {m for m in err.splitlines() if "left out for their suffix" in m}
    assert f"input {inputs}: left out for their suffix: 2 files (1 .gz, 1 .xml)" in line, line
    skipped = json.loads((out / "card.json").read_text(encoding="utf-8"))["skipped_files"]
    assert {"path": str(inputs), "reason": line.split(f"input {inputs}: ")[1].removesuffix(" (skipped)")} in skipped
    assert "2 files (1 .gz, 1 .xml)" in (out / "card.md").read_text(encoding="utf-8")


def test_a_dir_of_only_gzipped_filings_is_said_to_hold_them(tmp_path, capsys):
    """P9-F13: a dir of .txt.gz filings "holds no input files"; the error names what it holds."""
    only = tmp_path / "gzonly"
    _gzip_filing(only / "acme_10k_2020.txt.gz", 0)
    status = main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [only], tmp_path / "ds"))])
    err = capsys.readouterr().err
    observe("`data build`: a dir of only .txt.gz filings", status, err)
    assert status == 2 and "it holds 1 .gz file" in last_line(err), err[-3000:]

    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(only))
    err = capsys.readouterr().err
    assert status == 2 and server.requests == 0
    assert last_line(err) == (f"filingsum: error: {only}: no input files (.txt, .text, .htm, .html, .xhtml, .jsonl); "
                              "it holds 1 .gz file; nothing to summarize")


# --- P9-F7: control characters in file names: escaped on the console, not in the data ---------------------------


def test_a_file_name_with_a_newline_keeps_its_real_name_in_the_data_and_ids_stay_apart(tmp_path, capsys):
    """P9-F7: `new<LF>line_10k.txt` was stored as `new\\x0aline_10k.txt` (no such file) and shared its id and
    source_path with a real file of that escaped name."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    newline, lookalike = inputs / "new\nline_10k.txt", inputs / "new\\x0aline_10k.txt"
    newline.write_text(_filing(0), encoding="utf-8")
    lookalike.write_text(_filing(1), encoding="utf-8")
    results = tmp_path / "sums.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(inputs), "--out", str(results))
        assert status == 0, capsys.readouterr().err[-3000:]
        rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
        observe("`summarize DIR`: a file name with a newline beside one of its escaped name", status, "",
                wrong=sum(not Path(r["source_path"]).exists() for r in rows) + (len({r["id"] for r in rows}) < 2))
        assert sorted(r["source_path"] for r in rows) == sorted([str(newline), str(lookalike)])
        assert len({r["id"] for r in rows}) == 2, rows
        assert {"new\nline_10k#item_1", "new\\x0aline_10k#item_1"} == {r["id"] for r in rows}

        capsys.readouterr()
        status = _summarize(server, str(newline), "--out", "-", "--format", "md")
    out = capsys.readouterr().out
    assert status == 0 and "## new\\x0aline_10k#item_1\n" in out and "new\nline" not in out, out

    dataset = tmp_path / "dataset"
    assert main(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], dataset))]) == 0
    assert sorted(r["source_path"] for r in _records(dataset)) == sorted([str(newline), str(lookalike)])
