"""Faults the sixth fresh probe (2026-12-04) found, outside training and summarize (those are in
test_faults_probe6_train.py and test_faults_probe6_summarize.py): each injected for real through the CLI in a
subprocess, on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_faults import ENV, REPO, data_config, observe, write_filings


def _cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def _records(dataset: Path) -> list[dict]:
    return [json.loads(line) for line in (dataset / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def test_an_earlier_dataset_inside_an_input_dir_is_not_read_as_filings(tmp_path):
    """F7: `data build --input data` where data/built/old is an earlier build read its records.jsonl, train.jsonl
    and test.jsonl as JSONL filings (6 records from 3 filings, near-duplicates the dedup missed). A dir holding a
    dataset (card.json + records.jsonl) is left out, in one logged line."""
    data = tmp_path / "data"
    write_filings(data / "filings", [0, 1, 2])
    config = data_config(tmp_path / "data.yaml", [data / "filings"], data / "built" / "old")
    assert _cli(["data", "build", "--config", str(config)]).returncode == 0
    proc = _cli(["data", "build", "--config", str(config), "--input", str(data), "--out", str(tmp_path / "new")])
    records = _records(tmp_path / "new")
    observe("`data build --input DIR` where DIR holds an earlier dataset", proc.returncode, proc.stderr,
            wrong=int(len(records) != 3))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(Path(r["source_path"]).name for r in records) == sorted(
        p.name for p in (data / "filings").iterdir())
    notes = [line for line in proc.stderr.splitlines() if "holds an earlier filingsum dataset" in line]
    assert len(notes) == 1 and str(data / "built" / "old") in notes[0], proc.stderr[-3000:]
    skipped = json.loads((tmp_path / "new" / "card.json").read_text(encoding="utf-8"))
    assert str(data / "built" / "old") in json.dumps(skipped)  # the card lists it among the skipped inputs


def test_a_build_with_no_input_leaves_no_output_dir_behind(tmp_path):
    """F9: `data build --input /nonexistent/x.txt --out built/ne` said "nothing was built and built/ne is
    unchanged" but had made an empty built/ne."""
    config = data_config(tmp_path / "data.yaml", [tmp_path / "missing.txt"], tmp_path / "built" / "ne")
    proc = _cli(["data", "build", "--config", str(config)])
    observe("`data build` of a missing input into a new --out", proc.returncode, proc.stderr,
            wrong=int((tmp_path / "built" / "ne").exists()))
    assert proc.returncode == 2 and "is unchanged" in proc.stderr, proc.stderr[-3000:]
    assert not (tmp_path / "built" / "ne").exists()
