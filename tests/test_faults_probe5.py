"""Faults found by the fifth probe of 2026-12-03, evening (docs/reliability.md; its ids in brackets), each injected
for real: the CLI in a subprocess, real files (a byte-order mark alone, a user's own report or split), a real
OpenAI-compatible server on 127.0.0.1 answering malformed completions, and real lock files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from test_faults import ENV, REPO, assert_one_line_failure, data_config, observe, write_filings

BOMS = {"utf8": b"\xef\xbb\xbf", "utf16le": b"\xff\xfe", "utf16be": b"\xfe\xff"}
GOOD_PREDICTION = {"id": "acme", "source": "Acme Widgets Inc. sells industrial widgets to manufacturers. Revenue was "
                   "$12.5 million in 2020.", "prediction": "Acme sells widgets to manufacturers.",
                   "reference": "Acme sells industrial widgets to manufacturers."}


def _cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


# --- F1: a file holding only a byte-order mark is an empty file, never a ZeroDivisionError ---------------------


@pytest.mark.parametrize("bom", sorted(BOMS))
def test_loadtest_input_of_a_bare_byte_order_mark_is_an_empty_file(tmp_path, bom):
    """[F1] `loadtest --input` of a file holding only a BOM was a ZeroDivisionError traceback (demo's too)."""
    filing = tmp_path / "bomonly.txt"
    filing.write_bytes(BOMS[bom])
    with FakeOpenAI() as server:
        proc = _cli(["loadtest", "--endpoint", server.base_url, "--model", "fake", "--requests", "2", "--input",
                     str(filing)])
        assert server.requests == 0
    observe(f"`loadtest --input` of a file holding only a {bom} byte-order mark", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(filing), "file is empty")


def test_build_and_summarize_of_a_bare_byte_order_mark_skip_it_as_empty(tmp_path):
    """[F1] data build logged a ZeroDivisionError traceback for a BOM-only file; summarize called it internal."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    (inputs / "bomonly.txt").write_bytes(BOMS["utf8"])
    out = tmp_path / "ds"
    proc = _cli(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], out))])
    observe("`data build` of a dir with a file holding only a byte-order mark", proc.returncode, proc.stderr)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "ZeroDivisionError" not in proc.stderr, proc.stderr[-3000:]
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    skipped = {Path(s["path"]).name: s["reason"] for s in card["skipped_files"]}
    assert "file is empty" in skipped["bomonly.txt"], skipped

    with FakeOpenAI() as server:
        proc = _cli(["summarize", str(inputs / "bomonly.txt"), "--endpoint", server.base_url, "--model", "fake",
                     "--out", str(tmp_path / "sums.jsonl")])
    observe("`summarize` of a file holding only a byte-order mark", proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "ZeroDivisionError" not in proc.stderr, proc.stderr[-3000:]
    assert "file is empty" in proc.stderr, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "sums.jsonl").read_text().splitlines() if line.strip()]
    assert [row.get("error_kind") for row in rows] == ["input"], rows
