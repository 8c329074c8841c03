"""Faults found by the fifth probe of 2026-12-03, evening (docs/reliability.md; its ids in brackets), each injected
for real: the CLI in a subprocess, real files (a byte-order mark alone, a user's own report or split), a real
OpenAI-compatible server on 127.0.0.1 answering malformed completions, and real lock files."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
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


# --- F2: a lock file stores the command redacted, readable by its owner only -----------------------------------


def test_lock_file_of_a_running_summarize_holds_no_url_password(tmp_path):
    """[F2] the lock beside summarize's journal held `--endpoint http://user:s3cret@...` in clear, mode 0644 (and
    stays on disk after a SIGKILL)."""
    out = tmp_path / "sums.jsonl"
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with FakeOpenAI(delay_s=20) as server:
        endpoint = server.base_url.replace("http://", "http://user:s3cret@")
        proc = subprocess.Popen([sys.executable, "-m", "filingsum.cli", "summarize", str(filing), "--endpoint",
                                 endpoint, "--model", "fake", "--out", str(out), "--timeout", "60"], env=ENV, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not (locks := sorted(tmp_path.glob(".*.lock"))) or server.requests == 0:
                assert proc.poll() is None and time.monotonic() < deadline, "summarize never took its lock"
                time.sleep(0.2)
            texts = {lock.name: lock.read_text(encoding="utf-8") for lock in locks}
            modes = {lock.name: stat.S_IMODE(lock.stat().st_mode) for lock in locks}
        finally:
            proc.kill()
            proc.wait(timeout=30)
    observe("lock file of a summarize whose --endpoint has a password", 0, "", wrong=int("s3cret" in str(texts)))
    for name, text in texts.items():
        command = json.loads(text)["command"]
        assert "s3cret" not in text and "http://***@127.0.0.1" in command, (name, text)
        assert modes[name] == 0o600, (name, oct(modes[name]))


def test_lock_file_masks_a_password_inside_a_set_override_and_an_api_key(tmp_path, monkeypatch):
    """[F2] `--set eval.endpoint=http://u:pw@...` (train, eval, data build's teacher) and `--api-key KEY` in the
    first words of the command line were stored in clear."""
    from filingsum.core.output_lock import OutputLock

    monkeypatch.setattr(sys, "argv", ["filingsum", "train", "--set", "eval.endpoint=http://evu:ev4lpw@127.0.0.1:1/v1",
                                      "--api-key", "sk-secret-key-1"])
    with OutputLock(tmp_path / "run") as lock:
        text = lock.path.read_text(encoding="utf-8")
        assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
    assert "ev4lpw" not in text and "sk-secret-key-1" not in text, text
    assert "eval.endpoint=http://***@127.0.0.1:1/v1 --api-key ***" in json.loads(text)["command"], text


# --- F3: eval does not replace a user's own report.md / report.json / report.html -----------------------------


def _predictions(tmp_path: Path) -> Path:
    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps(GOOD_PREDICTION) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name,own", [("report.md", "# Quarterly report - handwritten\n"),
                                      ("report.json", '{"budget": 12345}\n'),
                                      ("report.html", "<html><body>my page</body></html>\n")])
def test_eval_predictions_refuses_to_replace_a_users_own_report_file(tmp_path, name, own):
    """[F3] `eval --predictions P --out DIR` replaced a user's report.md/json/html in DIR, exit 0, no warning."""
    out = tmp_path / "reports"
    out.mkdir()
    (out / name).write_text(own, encoding="utf-8")
    args = ["eval", "--predictions", str(_predictions(tmp_path)), "--out", str(out), "--tokenizer", "tiny-random"]
    proc = _cli(args)
    observe(f"`eval --out DIR` where DIR holds the user's own {name}", proc.returncode, proc.stderr,
            lost=int((out / name).read_text(encoding="utf-8") != own))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(out / name), "not an earlier eval report")
    assert (out / name).read_text(encoding="utf-8") == own
    assert sorted(p.name for p in out.iterdir()) == [name]  # refused before any report file was written

    (out / name).unlink()  # an earlier eval report is replaced, each of its three files
    assert _cli(args).returncode == 0
    proc = _cli(args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["report.html", "report.json",
                                                                                   "report.md"]


def test_eval_config_refuses_to_replace_a_users_own_report_md(tmp_path):
    """[F3] `eval --config` (eval.out_dir) replaced a user's report.md too."""
    import yaml
    from test_faults import make_record

    from filingsum.core.io import atomic_write_jsonl

    data = tmp_path / "data"
    atomic_write_jsonl(data / "test.jsonl", [make_record(0, "crexendo_10k_2016_item1_prompt.txt", 0,
                                                         "Crexendo sells cloud services.", "test", 200)])
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("# my own notes\n", encoding="utf-8")
    config = tmp_path / "eval.yaml"
    config.write_text(yaml.safe_dump({"model": {"name": "tiny-random"}, "data": {"out_dir": str(data)},
                                      "eval": {"systems": ["lead-k"], "out_dir": str(out)}}), encoding="utf-8")
    proc = _cli(["eval", "--config", str(config)])
    observe("`eval --config` where eval.out_dir holds the user's own report.md", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(out / "report.md"), "not an earlier eval report")
    assert (out / "report.md").read_text(encoding="utf-8") == "# my own notes\n"
    assert not (out / "report.json").exists()


# --- F4: data build does not replace a user's own train.jsonl (or card.md, hf/...) in a dir that is no dataset ---


@pytest.mark.parametrize("name", ["train.jsonl", "records.jsonl", "card.md", "hf"])
def test_build_into_a_users_dir_refuses_to_replace_a_file_of_a_datasets_name(tmp_path, name):
    """[F4] `data build --out D`, D a user's dir (no card.json) with their own train.jsonl, replaced it, exit 0."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "handmade"
    out.mkdir()
    own = out / name if name != "hf" else out / "hf" / "mine.arrow"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text('{"prompt": "my curated example 1", "completion": "x"}\n', encoding="utf-8")
    (out / "notes.txt").write_text("curated notes\n", encoding="utf-8")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    proc = _cli(["data", "build", "--config", str(data_config(tmp_path / "data.yaml", [inputs], out))])
    observe(f"`data build --out D`, D a user's dir with their own {name}", proc.returncode, proc.stderr,
            lost=int(not own.exists() or "curated" not in own.read_text(encoding="utf-8")))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(out / name), "not an earlier dataset")
    assert "curated" in own.read_text(encoding="utf-8")
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before  # refused before any work


def test_build_over_an_earlier_dataset_still_replaces_it(tmp_path):
    """[F4] the refusal is for a user's dir only: a rebuild of an earlier dataset replaces its files as before."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "ds"
    config = data_config(tmp_path / "data.yaml", [inputs], out)
    assert _cli(["data", "build", "--config", str(config)]).returncode == 0
    write_filings(inputs, [3])
    proc = _cli(["data", "build", "--config", str(config)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((out / "card.json").read_text(encoding="utf-8"))["inputs"] == 4


# --- loadtest: a malformed completion is an error, as summarize counts it -----------------------------------------


MALFORMED = {
    "choices-not-a-list": {"choices": "nope"},
    "null-content-and-usage": {"id": "x", "object": "chat.completion", "usage": None,
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": None}}]},
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_loadtest_counts_a_malformed_completion_as_an_error(tmp_path, case):
    """A server answering `{"choices": "nope"}` or a null content (and usage) gave `ok 2 + errors 0`, exit 0."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    report = tmp_path / "load.json"
    with FakeOpenAI(respond=lambda body: (200, MALFORMED[case], {})) as server:
        proc = _cli(["loadtest", "--endpoint", server.base_url, "--model", "fake", "--requests", "2", "--input",
                     str(filing), "--json", str(report)])
    summary = json.loads(report.read_text(encoding="utf-8"))
    observe(f"`loadtest` against a server answering a malformed completion ({case})", proc.returncode, proc.stderr,
            wrong=summary["ok"])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert (summary["sent"], summary["ok"], summary["errors"]) == (2, 0, 2), summary
    needle = "'choices' is not a list of objects" if case == "choices-not-a-list" else "no text"
    assert all(needle in sample for sample in summary["error_samples"]), summary["error_samples"]


# --- summarize DIR names the entries it skips that are not regular files ------------------------------------------


def test_summarize_dir_names_a_link_to_a_device_and_a_broken_link_it_skips(tmp_path):
    """`summarize DIR` left out a link to /dev/zero and a dangling link without a word (named ones are refused)."""
    inputs = write_filings(tmp_path / "in", [0])
    (inputs / "zero.txt").symlink_to("/dev/zero")
    (inputs / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    with FakeOpenAI() as server:
        proc = _cli(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--out",
                     str(tmp_path / "sums.jsonl")])
    observe("`summarize DIR` with a link to /dev/zero and a broken link in DIR", proc.returncode, proc.stderr)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{inputs / 'zero.txt'}: skipped: is a device" in proc.stderr, proc.stderr[-3000:]
    assert f"{inputs / 'gone.txt'}: skipped: no such file (a broken symlink)" in proc.stderr, proc.stderr[-3000:]


def test_models_prepare_of_an_empty_spec_says_it_is_empty():
    """`models prepare ''` said `model dir . has no config.json` (the empty spec read as the current dir)."""
    proc = _cli(["models", "prepare", ""], timeout=120)
    observe("`models prepare ''`", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "the model spec is empty", "tiny-random")
