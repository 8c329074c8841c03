"""Fault injection, inputs and outputs (issue 20.2-20.3, 22.6): inputs that are not what they claim to be,
config and flag mistakes, and two runs on one output. Each case asserts the exit status, the one line the user
sees (never a traceback) and that nothing was silently summarized, replaced or read twice. The helpers and the
`observe` record for benchmarks/fault_table.py come from tests/test_faults.py; docs/reliability.md lists the
cases. Real components throughout: the real CLI (in process, or a subprocess where it must not hang), real
files, FIFOs and /proc, `tiny-random`'s tokenizer, and the OpenAI stand-in on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from test_faults import ENV, REPO, assert_one_line_failure, data_config, last_line, observe, run_cli, write_filings

from filingsum.cli import main
from filingsum.core.config import ConfigError
from filingsum.core.errors import FilingsumError
from filingsum.core.io import OutputLock, lock_path, read_jsonl
from filingsum.filings.ingest import IngestError, read_text_file

# A PDF as a filer's tool writes it, with readable text streams: it must not pass as a text filing.
PDF = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"4 0 obj << /Length 90 >> stream\nBT /F1 12 Tf 72 712 Td (Acme Widgets Inc. makes widgets for "
       b"manufacturers and sells them online.) Tj ET\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def _build(tmp_path: Path, inputs: list[Path], out: Path, *extra: str) -> tuple[int, str, str]:
    config = data_config(tmp_path / "build.yaml", inputs, out)
    proc = run_cli(["data", "build", "--config", str(config), *extra], timeout=240)
    return proc.returncode, proc.stdout, proc.stderr


def _card(out: Path) -> dict:
    return json.loads((out / "card.json").read_text())


# --- inputs are what they claim to be ----------------------------------------------------------------------


@pytest.mark.parametrize("name, data, fmt", [
    ("report.html", PDF, "PDF document"),
    ("filing.txt", b"PK\x03\x04\x14\x00\x06\x00" + b"word/document.xml Acme Widgets sells widgets " * 20, "ZIP"),
    ("filing.txt", b"\x1f\x8b\x08\x00" + b"x" * 200, "gzip"),
    ("filing.htm", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "ELF"),
    ("filing.txt", b"\x89PNG\r\n\x1a\n" + b"IHDR" * 50, "PNG"),
    ("filing.txt", b"\xff\xd8\xff\xe0" + b"JFIF" * 50, "JPEG"),
    ("filing.txt", b"{\\rtf1\\ansi Acme Widgets Inc. designs and sells industrial widgets " * 5, "RTF"),
])
def test_binary_formats_are_known_by_their_content(tmp_path, name, data, fmt):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError, match=fmt) as caught:
        read_text_file(path)
    assert caught.value.path == str(path) and "not a text or HTML filing" in caught.value.reason


def test_a_pdf_renamed_html_is_skipped_by_build_and_never_summarized(tmp_path):
    inputs = write_filings(tmp_path / "in", [0, 1])
    (inputs / "widgets_10k_2020.html").write_bytes(PDF)
    out = tmp_path / "dataset"
    status, _, err = _build(tmp_path, [inputs], out)
    card = _card(out)
    from_pdf = [r for r in read_jsonl(out / "records.jsonl") if r["source_path"].endswith(".html")]
    observe("`data build`: a PDF renamed .html among the inputs", status, err, wrong=len(from_pdf))
    assert status == 0 and "Traceback" not in err
    assert not from_pdf and card["inputs"] == 3
    assert any(s["path"].endswith("widgets_10k_2020.html") and "PDF document" in s["reason"]
               for s in card["skipped_files"])

    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "report.html").write_bytes(PDF)
    with FakeOpenAI() as server:
        proc = run_cli(["summarize", str(tmp_path / "one" / "report.html"), "--endpoint", server.base_url,
                        "--model", "fake", "--tokenizer", "tiny-random", "--max-retries", "0"], timeout=120)
        observe("`summarize`: a PDF renamed .html", proc.returncode, proc.stderr, wrong=server.requests)
        assert server.requests == 0 and not proc.stdout.strip()  # nothing summarized
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "filingsum: report: ingest: binary content: a PDF document" in proc.stderr  # its error record


def test_proc_files_fifos_and_symlink_loops_are_refused_naming_the_path(tmp_path):
    fifo = tmp_path / "filing_10k.txt"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    out = tmp_path / "dataset"
    cases = {"a FIFO": (fifo, "named pipe"), "a symlink loop": (loop, "symlink loop"),
             "a /proc file": (Path("/proc/self/status"), "pseudo-file")}
    for what, (path, reason) in cases.items():
        status, _, err = _build(tmp_path, [path], out)  # a FIFO read would block: the subprocess would time out
        observe(f"`data build --input` {what}", status, err)
        line = assert_one_line_failure(status, err, 2, str(path), reason)
        assert "no input found" in line, line

    with FakeOpenAI() as server:
        proc = run_cli(["summarize", "/proc/self/status", "--endpoint", server.base_url, "--model", "fake",
                        "--tokenizer", "tiny-random", "--max-retries", "0"], timeout=120)
        observe("`summarize /proc/self/status`", proc.returncode, proc.stderr, wrong=server.requests)
        assert server.requests == 0 and not proc.stdout.strip()
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "/proc/self/status", "kernel pseudo-file")


def test_an_empty_input_dir_is_warned_about(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.pdf").write_bytes(PDF)  # not an input suffix: the dir holds no inputs
    out = tmp_path / "dataset"
    status, _, err = _build(tmp_path, [write_filings(tmp_path / "in", [0, 1, 2]), empty], out)
    observe("`data build`: one input dir is empty", status, err)
    assert status == 0 and "Traceback" not in err
    assert f"input directory {empty} holds no input files" in err
    assert any(s["path"] == str(empty) for s in _card(out)["skipped_files"])

    status, _, err = _build(tmp_path, [empty], out)
    observe("`data build`: the only input dir is empty", status, err)
    assert_one_line_failure(status, err, 2, str(empty), "no input files", "unchanged")

    proc = run_cli(["summarize", str(empty), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m",
                    "--tokenizer", "tiny-random"], timeout=120)
    observe("`summarize` an empty dir", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(empty), "no input files")
    assert "holds no input files" in proc.stderr  # the warning naming the dir, then the error


def test_the_size_cap_holds_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big_10k.txt"
    big.write_text("Acme Widgets sells widgets to manufacturers. " * 2000)  # ~90 KB
    read = []
    real_open = open

    def spying_open(file, mode="r", *args, **kwargs):
        if str(file) == str(big):
            read.append(mode)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spying_open)
    with pytest.raises(IngestError, match="over the 0.0488 MB limit"):
        read_text_file(big, max_bytes=50 * 1024)
    assert read == []  # refused from its size, never opened


# --- config and flags ----------------------------------------------------------------------------------------


def test_config_error_is_a_filingsum_error_and_a_value_error():
    assert issubclass(ConfigError, FilingsumError) and issubclass(ConfigError, ValueError)
    assert ConfigError.exit_status == 2


def test_a_duplicate_yaml_key_is_refused_naming_key_and_line(tmp_path, capsys):
    config = tmp_path / "dup.yaml"
    config.write_text("run_name: dup\nmodel:\n  name: tiny-random\ndata:\n  workers: 0\nmodel:\n"
                      "  max_source_tokens: 256\n")
    status = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err
    observe("config: `model:` written twice", status, err)
    assert_one_line_failure(status, err, 2, str(config), "duplicate key 'model'", "line 6", "line 2")

    config.write_text("run_name: dup\nmodel:\n  name: tiny-random\n  name: embedded:smollm2-135m-instruct\n")
    status = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err
    assert_one_line_failure(status, err, 2, "duplicate key 'name'", "line 4")


def test_a_malformed_set_value_and_several_errors_are_one_line(tmp_path):
    config = data_config(tmp_path / "c.yaml", [tmp_path], tmp_path / "out")
    proc = run_cli(["data", "build", "--config", str(config), "--set", "train.lora.target_modules=[q_proj"])
    observe("config: malformed --set value (`[q_proj`)", proc.returncode, proc.stderr)
    line = assert_one_line_failure(proc.returncode, proc.stderr, 2, "train.lora.target_modules", "'[q_proj'",
                                   "not a valid YAML value", "expected")
    assert "list[str]" in line
    assert len([ln for ln in proc.stderr.splitlines() if ln.strip()]) == 1

    proc = run_cli(["data", "build", "--config", str(config), "--set", "train.lora.target_modules=[q_proj",
                    "--set", "model.max_source_tokens=lots", "--set", "train.learning_rat=1e-4",
                    "--set", "eval.systems=7"])
    observe("config: four errors at once", proc.returncode, proc.stderr)
    line = assert_one_line_failure(proc.returncode, proc.stderr, 2, "4 problems")
    for key, expected in [("train.lora.target_modules", "list[str]"), ("model.max_source_tokens", "expected int"),
                          ("train.learning_rat", "did you mean 'learning_rate'"), ("eval.systems", "expected")]:
        assert key in line and expected in line, (key, line)
    assert "more)" not in line


def test_budgets_past_the_models_context(tmp_path, capsys):
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "c.yaml", [inputs], out)
    status = main(["data", "build", "--config", str(config), "--set", "model.max_source_tokens=100000000"])
    err = capsys.readouterr().err
    observe("`--set model.max_source_tokens=100000000` (8,192-token model)", status, err)
    assert_one_line_failure(status, err, 2, "100000000", "cannot fit", "8192-token context", "tiny-random")
    assert not out.exists()  # refused before any work

    status = main(["data", "build", "--config", str(config), "--set", "model.max_source_tokens=7600"])
    err = capsys.readouterr().err
    observe("`--set model.max_source_tokens=7600`: the prompt tips it over the context", status, err,
            wrong=int("warning" not in err))
    assert status == 0 and "Traceback" not in err
    assert "filingsum: warning: model.max_source_tokens (7600)" in err and "8192-token context" in err


SUMMARIZE = ["summarize", "f.txt", "--endpoint", "http://127.0.0.1:9/v1"]


@pytest.mark.parametrize("args, flag", [
    (SUMMARIZE + ["--max-summary-tokens", "0"], "--max-summary-tokens"),
    (SUMMARIZE + ["--max-source-tokens", "-5"], "--max-source-tokens"),
    (SUMMARIZE + ["--max-file-mb", "0"], "--max-file-mb"),
    (SUMMARIZE + ["--max-retries", "-1"], "--max-retries"),
    (SUMMARIZE + ["--timeout", "0"], "--timeout"),
    (SUMMARIZE + ["--concurrency", "0"], "--concurrency"),
    (SUMMARIZE + ["--max-chunks", "0"], "--max-chunks"),
    (SUMMARIZE + ["--timeout", "nan"], "--timeout"),
    (["serve", "--port", "0"], "--port"),
    (["serve", "--port", "70000"], "--port"),
    (["data", "build", "--workers", "-1"], "--workers"),
    (["loadtest", "--endpoint", "http://127.0.0.1:9/v1", "--requests", "0"], "--requests"),
])
def test_zero_or_negative_numeric_flags_are_refused_at_parse_time(capsys, args, flag):
    with pytest.raises(SystemExit) as caught:
        main(args)
    err = capsys.readouterr().err
    shown = " ".join(a for a in args if a not in SUMMARIZE[1:])
    observe(f"`{shown}`", int(caught.value.code or 0), err)
    assert caught.value.code == 2 and "Traceback" not in err
    assert f"argument {flag}" in last_line(err) and "error:" in last_line(err)


def test_zero_retries_is_allowed(capsys):
    from filingsum.cli import build_parser

    args = build_parser().parse_args(SUMMARIZE + ["--max-retries", "0"])
    assert args.max_retries == 0


# --- one writer per output -----------------------------------------------------------------------------------


HOLD = ("import sys, time; from filingsum.core.io import OutputLock; lock = OutputLock(sys.argv[1]).acquire(); "
        "print('held', flush=True); time.sleep(120)")


def _hold(target: Path) -> subprocess.Popen:
    """A live process holding the lock of ``target`` (as a running build or summarize would)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(target)], env=ENV, cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_build_into_the_same_out_refuses_and_a_stale_lock_is_taken_over(tmp_path):
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    out = tmp_path / "dataset"
    holder = _hold(out)
    try:
        status, stdout, err = _build(tmp_path, [inputs], out)
    finally:
        holder.kill()
        holder.wait()
    observe("`data build`: a second build into the same --out", status, err, wrong=int(out.exists()))
    assert_one_line_failure(status, err, 2, str(out), f"in use by process {holder.pid}")
    assert not (out / "records.jsonl").exists()  # nothing written by the refused run

    # the holder is dead now: its lock is stale and taken over, with a warning
    assert lock_path(out).exists()
    status, stdout, err = _build(tmp_path, [inputs], out)
    observe("`data build`: stale lock of a killed build", status, err)
    assert status == 0, err[-2000:]
    assert f"taking over the stale lock {lock_path(out)} of process {holder.pid}" in err
    assert not lock_path(out).exists()  # released at the end


def test_two_builds_really_racing_one_out_one_refuses(tmp_path):
    inputs = write_filings(tmp_path / "in", range(6))
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "c.yaml", [inputs], out)
    command = [sys.executable, "-m", "filingsum.cli", "data", "build", "--config", str(config)]
    procs = [subprocess.Popen(command, env=ENV, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [p.communicate(timeout=240) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    refused = [r for r in results if r[2] == 2]
    observe("`data build`: two builds started together into one --out", codes[-1], refused[0][1] if refused else "",
            wrong=int(codes != [0, 2]))
    if codes == [0, 0]:  # the first finished before the second started: then both are right
        pytest.skip("the builds did not overlap on this machine")
    assert codes == [0, 2], results
    assert "is in use by process" in last_line(refused[0][1]) and "Traceback" not in refused[0][1]
    assert _card(out)["inputs"] == 6


def test_summarize_into_an_out_in_use_refuses(tmp_path):
    inputs = write_filings(tmp_path / "in", [0, 1])
    out = tmp_path / "sums.jsonl"
    holder = _hold(tmp_path / ".sums.jsonl.journal.jsonl")
    try:
        with FakeOpenAI() as server:
            proc = run_cli(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake",
                            "--tokenizer", "tiny-random", "--max-retries", "0", "--out", str(out)], timeout=120)
            sent = server.requests
    finally:
        holder.kill()
        holder.wait()
    observe("`summarize --out` a file another summarize writes", proc.returncode, proc.stderr, wrong=int(out.exists()))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, f"in use by process {holder.pid}")
    assert sent == 0 and not out.exists()


def test_the_lock_is_exclusive_and_reentrant(tmp_path):
    target = tmp_path / "out"
    with OutputLock(target) as first:
        assert json.loads(lock_path(target).read_text())["pid"] == os.getpid()
        with OutputLock(target):  # the same process: shared
            pass
        assert first.held
    assert not lock_path(target).exists()


def test_build_never_reads_its_own_output(tmp_path):
    folder = write_filings(tmp_path / "d", [0, 1, 2])
    counts = []
    for _ in range(2):  # --input D --out D, twice
        status, _, err = _build(tmp_path, [folder], folder)
        assert status == 0, err[-2000:]
        counts.append(len(list(read_jsonl(folder / "records.jsonl"))))
    observe("`data build --input D --out D` twice", status, err, wrong=int(counts[0] != counts[1]))
    assert counts == [3, 3] and _card(folder)["inputs"] == 3

    parent = tmp_path / "p"
    write_filings(parent, [0, 1])
    status, _, err = _build(tmp_path, [parent], parent / "built")
    status, _, err = _build(tmp_path, [parent], parent / "built")  # the out dir, inside the input dir
    observe("`data build --input P --out P/built` twice", status, err)
    assert status == 0 and _card(parent / "built")["inputs"] == 2
    assert f"input {parent} contains the output" in err


def test_record_ids_are_unique_across_inputs_sharing_a_stem(tmp_path):
    from test_faults import COMPANIES, CUSTOMERS, FILING, PRODUCTS

    folder = tmp_path / "in"
    folder.mkdir()
    text = FILING.format(name=COMPANIES[0], product=PRODUCTS[0], customers=CUSTOMERS[0])
    (folder / "x.txt").write_text(text)
    (folder / "x.html").write_text("<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
                                   + "</body></html>")
    other = FILING.format(name=COMPANIES[1], product=PRODUCTS[1], customers=CUSTOMERS[1])
    (folder / "y.txt").write_text(other)
    (folder / "y.htm").write_text("<html><body><p>" + other.replace("\n\n", "</p><p>") + " Also gift cards.</p>"
                                  "</body></html>")
    out = tmp_path / "dataset"
    status, _, err = _build(tmp_path, [folder], out)
    assert status == 0, err[-2000:]
    ids = [r["id"] for r in read_jsonl(out / "records.jsonl")] + [d["id"] for d in _card(out)["drops"]]
    observe("`data build`: x.html and x.txt (same stem, same text)", status, err, wrong=len(ids) - len(set(ids)))
    assert len(ids) == 4 and len(set(ids)) == 4, ids


# --- eval --predictions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("predictions, reason", [("missing.jsonl", "no such file"), ("/dev/zero", "device")])
def test_eval_predictions_that_are_missing_or_endless(tmp_path, predictions, reason):
    path = predictions if predictions.startswith("/") else str(tmp_path / predictions)
    proc = run_cli(["eval", "--predictions", path, "--out", str(tmp_path / "rep")], timeout=60)
    observe(f"`eval --predictions {predictions}`", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, path, reason)


def test_a_lock_of_a_reused_pid_is_stale_and_a_live_holder_is_named(tmp_path, caplog):
    import socket

    import psutil

    from filingsum.core.io import OutputBusyError

    target = tmp_path / "out"
    parent = os.getppid()  # alive, not us
    holder = {"pid": parent, "host": socket.gethostname(), "command": "filingsum data build",
              "started": psutil.Process(parent).create_time()}
    lock_path(target).write_text(json.dumps(holder))
    with pytest.raises(OutputBusyError, match=f"in use by process {parent} on .* \\(filingsum data build\\)"):
        OutputLock(target).acquire()

    lock_path(target).write_text(json.dumps({**holder, "started": holder["started"] - 3600}))  # an older process
    with caplog.at_level("WARNING"), OutputLock(target):
        assert json.loads(lock_path(target).read_text())["pid"] == os.getpid()
    assert f"stale lock {lock_path(target)} of process {parent}" in caplog.text


def test_summarize_budget_flags_past_the_context_are_refused_before_any_request(tmp_path):
    inputs = write_filings(tmp_path / "in", [0])
    with FakeOpenAI() as server:
        proc = run_cli(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                        "tiny-random", "--max-source-tokens", "100000000"], timeout=120)
        sent = server.requests
    observe("`summarize --max-source-tokens 100000000` (8,192-token tokenizer)", proc.returncode, proc.stderr,
            wrong=sent)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "100000000", "cannot fit", "8192-token context")
    assert sent == 0

    with FakeOpenAI() as server:  # under model.max_source_tokens' minimum (64): the flag is named, no traceback
        proc = run_cli(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                        "tiny-random", "--max-source-tokens", "10"], timeout=120)
        sent = server.requests
    observe("`summarize --max-source-tokens 10` (under the minimum)", proc.returncode, proc.stderr, wrong=sent)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "--max-source-tokens 10", "model.max_source_tokens")
    assert sent == 0


def test_summarize_never_reads_a_file_over_the_cap(tmp_path, monkeypatch, capsys):
    from filingsum.inference import batch as summarize_cli

    inputs = write_filings(tmp_path / "in", [0])
    big = inputs / "big_10k_2020.txt"
    big.write_text("Acme Widgets sells widgets to manufacturers. " * 3000)  # ~135 KB, over a 0.1 MB cap
    hashed: list[str] = []
    real_digest = summarize_cli.sha256_file
    monkeypatch.setattr(summarize_cli, "sha256_file", lambda p: hashed.append(Path(p).name) or real_digest(p))
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI() as server:
        status = main(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                       "tiny-random", "--max-retries", "0", "--max-file-mb", "0.1", "--out", str(out)])
        sent = server.requests
    err = capsys.readouterr().err
    rows = {Path(r["source_path"]).name: r for r in read_jsonl(out)}
    observe("`summarize --max-file-mb 0.1` with a 135 KB input", status, err,
            wrong=int(bool(rows[big.name]["summary"])))
    assert status == 1 and "Traceback" not in err and sent == 1  # only the small filing was sent
    assert "over the 0.1 MB limit" in rows[big.name]["error"] and rows[big.name]["summary"] is None
    assert hashed == ["acme_10k_2020.txt"]  # the big one was not even hashed for the journal


@pytest.mark.parametrize("content, needle", [
    ("", "no predictions"), ('{"id": "a", "source": "x"\n', "invalid JSON"), ("[1, 2]\n", "expected a JSON object"),
    ('{"id": "a", "source": "We sell widgets."}\n', "not a prediction record"),
    ('{"id": "a", "source": "x", "prediction": "y"}\n{"id": "a", "source": "x", "prediction": "z"}\n', "duplicate"),
])
def test_malformed_predictions_are_usage_errors(tmp_path, capsys, content, needle):
    path = tmp_path / "preds.jsonl"
    path.write_text(content, encoding="utf-8")
    status = main(["eval", "--predictions", str(path), "--out", str(tmp_path / "rep"), "--tokenizer", "tiny-random"])
    err = capsys.readouterr().err
    observe(f"`eval --predictions` with {needle}", status, err)
    assert_one_line_failure(status, err, 2, needle)
