"""Fault injection, outputs: where a command writes must be a place it may write, and never one of its inputs.

A device node, a FIFO, a socket, a directory or a symlink to /proc/self/fd/1 at an output path is refused in
one line (exit 2) and left exactly as it was (an atomic write used to rename a regular file over it, and `serve
--log-file` chmodded a device and blocked on a FIFO); a symlink to a regular file is written through. An
output that is one of the command's inputs (`summarize A B --out B`, `eval --predictions report.json --out .`)
is refused before any work; `summarize DIR --out DIR/sums.jsonl` never reads its own results back. `export
--name` cannot climb out of --out, and `loadtest --json DIR` is one line. Real files, FIFOs and device nodes
(made with mknod under the test's tmp dir, never the system's own), the real CLI, and the OpenAI stand-in on
127.0.0.1. Each case records what happened with `observe` (docs/reliability.md tabulates them).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from test_faults import ENV, REPO, assert_one_line_failure, observe, write_filings

from filingsum.cli import main
from filingsum.core.io import OutputPathError, atomic_write_json, atomic_write_text, read_jsonl
from filingsum.serving.ports import free_port

# The CLI in a subprocess (a FIFO must not hang the test run); the caller's PYTHONPATH kept after the repo's.
SUB_ENV = {**ENV, "PYTHONPATH": os.pathsep.join(p for p in (ENV["PYTHONPATH"], os.environ.get("PYTHONPATH")) if p)}


def _run(args: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=SUB_ENV, capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def _device(path: Path) -> Path:
    """A character device like /dev/null (1, 3) at ``path``: writing to it is harmless, replacing it is not."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _identity(path: Path) -> tuple:
    """What must not change: the entry itself (a link and its target, or the node's type, mode and device)."""
    st = os.lstat(path)
    target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    return st.st_ino, st.st_mode, st.st_rdev, target


def _summarize(server: FakeOpenAI, *inputs: Path | str, out: Path | str) -> list[str]:
    return ["summarize", *map(str, inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
            "tiny-random", "--max-retries", "0", "--out", str(out)]


# --- 1. atomic writes replace regular files only -------------------------------------------------------------


def test_atomic_writes_refuse_what_is_not_a_regular_file_and_leave_it_as_it_was(tmp_path):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "s.sock"))
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop.name)
    (tmp_path / "dir.json").mkdir()
    cases = {
        "a device": (_device(tmp_path / "null.json"), "is a device"),
        "a FIFO": (_fifo(tmp_path / "pipe.json"), "is a named pipe (FIFO)"),
        "a socket": (tmp_path / "s.sock", "is a socket"),
        "a directory": (tmp_path / "dir.json", "is an existing directory"),
        "a symlink loop": (loop, "is a symlink loop"),
        "a symlink to a FIFO": (tmp_path / "to_pipe.json", "(a symlink to pipe.json)"),
        "a symlink to /proc/self/fd/0": (tmp_path / "stdin.json", "(a symlink to /proc/self/fd/0)"),
    }
    (tmp_path / "to_pipe.json").symlink_to("pipe.json")
    (tmp_path / "stdin.json").symlink_to("/proc/self/fd/0")
    try:
        for what, (path, reason) in cases.items():
            before = _identity(path)
            with pytest.raises(OutputPathError) as raised:
                atomic_write_text(path, "replaced\n")
            observe(f"atomic write onto {what}", raised.value.exit_status, f"filingsum: {raised.value}")
            assert str(path) in str(raised.value) and reason in str(raised.value), (what, raised.value)
            assert "\n" not in str(raised.value)
            assert _identity(path) == before, what
    finally:
        sock.close()
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary left behind


def test_atomic_writes_go_through_a_symlink_to_a_regular_file(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old\n")
    real.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    atomic_write_json(link, {"a": 1})
    assert os.readlink(link) == "real.json"  # the link is kept
    assert json.loads(real.read_text()) == {"a": 1} and stat.S_IMODE(real.stat().st_mode) == 0o600

    dangling = tmp_path / "dangling.json"
    dangling.symlink_to("created.json")
    atomic_write_text(dangling, "new\n")
    assert os.readlink(dangling) == "created.json" and (tmp_path / "created.json").read_text() == "new\n"


@pytest.mark.parametrize("what", ["a device", "a FIFO", "a symlink to /proc/self/fd/1"])
def test_summarize_out_never_replaces_a_device_a_fifo_or_stdout(tmp_path, what):
    inputs = write_filings(tmp_path / "in", [0, 1])
    out = tmp_path / "sums.jsonl"
    if what == "a device":
        _device(out)
    elif what == "a FIFO":
        _fifo(out)
    else:
        out.symlink_to("/proc/self/fd/1")  # the child's stdout: a pipe here
    before = _identity(out)
    with FakeOpenAI() as server:
        proc = _run(_summarize(server, inputs, out=out))
        observe(f"`summarize --out` {what}", proc.returncode, proc.stderr, wrong=int(_identity(out) != before),
                lost=server.requests)
        assert server.requests == 0  # refused before any request
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(out), "not a regular file")
    assert _identity(out) == before


def test_loadtest_json_onto_a_device_or_a_directory_is_one_line_before_any_request(tmp_path, capsys, monkeypatch):
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    device = _device(tmp_path / "full")
    before = _identity(device)
    monkeypatch.chdir(tmp_path)
    with FakeOpenAI() as server:
        for target, reason in ((str(device), "is a device"), ("./", "is an existing directory")):
            status = main(["loadtest", "--endpoint", server.base_url, "--model", "fake", "--input", str(filing),
                           "--requests", "2", "--concurrency", "1", "--json", target])
            err = capsys.readouterr().err
            observe(f"`loadtest --json` {'a device' if target != './' else './'}", status, err,
                    wrong=int(_identity(device) != before))
            assert_one_line_failure(status, err, 2, target, reason, "--json file")
        assert server.requests == 0
    assert _identity(device) == before


# --- 2. serve --log-file -------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["a device", "a FIFO"])
def test_serve_log_file_that_is_a_device_or_a_fifo_is_refused_untouched(tmp_path, what):
    log = _device(tmp_path / "null") if what == "a device" else _fifo(tmp_path / "serve.log")
    before = _identity(log)
    proc = _run(["serve", "--set", "model.name=tiny-random", "--backend", "transformers", "--host", "127.0.0.1",
                 "--port", str(free_port()), "--log-file", str(log)], timeout=120)  # a FIFO used to block here
    observe(f"`serve --log-file` {what}", proc.returncode, proc.stderr, wrong=int(_identity(log) != before))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(log), "server log (--log-file)", "not a regular")
    assert _identity(log) == before  # the mode too: a device stays crw-r--r--
    assert "endpoint:" not in proc.stdout


def test_server_process_never_opens_a_log_that_is_not_a_regular_file(tmp_path):
    from filingsum.serving.process import ServerProcess

    device = _device(tmp_path / "null")
    before = _identity(device)
    child = ServerProcess(command=[sys.executable, "-c", "pass"], host="127.0.0.1", port=free_port(),
                          model_names=["m"], backend="transformers", log_path=device, grace_s=2)
    with pytest.raises(OutputPathError, match="is a device"):
        child.start()
    assert child.process is None and _identity(device) == before


# --- 3. summarize: --out is never one of the inputs ------------------------------------------------------------


def test_summarize_out_that_is_an_input_is_refused_and_the_filing_kept(tmp_path, capsys):
    inputs = write_filings(tmp_path / "in", [0, 1])
    a, b = sorted(inputs.iterdir())
    b_bytes = b.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(b)
    with FakeOpenAI() as server:
        for label, args, needle in (
            ("named", _summarize(server, a, b, out=b), "both an input and the --out file"),
            ("named, --out a link to it", _summarize(server, a, b, out=link), "both an input and the --out file"),
            ("found in a dir", _summarize(server, inputs, out=b), "one of the input files found in"),
        ):
            status = main(args)
            err = capsys.readouterr().err
            observe(f"`summarize --out` an input filing ({label})", status, err, lost=int(b.read_bytes() != b_bytes))
            assert_one_line_failure(status, err, 2, needle, "overwrite")
            assert b.read_bytes() == b_bytes, label
        assert server.requests == 0


def test_summarize_a_dir_into_itself_never_reads_its_own_results(tmp_path, capsys):
    inputs = write_filings(tmp_path / "in", [0, 1, 2])
    names = sorted(p.name for p in inputs.iterdir())
    out = inputs / "sums.jsonl"
    with FakeOpenAI() as server:
        assert main(_summarize(server, inputs, out=out)) == 0
        first = server.requests
        status = main(_summarize(server, inputs, out=out))  # sums.jsonl is in the dir now
        err = capsys.readouterr().err
        rows = list(read_jsonl(out))
        observe("`summarize DIR --out DIR/sums.jsonl`, rerun", status, err,
                wrong=sum(Path(r["source_path"]).name not in names for r in rows))
        assert status == 0, err[-2000:]
        assert server.requests == first == 3  # the rerun came from the journal and read no new input
        assert sorted(Path(r["source_path"]).name for r in rows) == names and all(r["summary"] for r in rows)

        journal = inputs / ".sums.jsonl.journal.jsonl"
        status = main(_summarize(server, journal, inputs / names[0], out=out))
        err = capsys.readouterr().err
        observe("`summarize` its own journal as an input", status, err)
        assert_one_line_failure(status, err, 2, str(journal), "the journal of --out")
        assert server.requests == 3


# --- 4. eval: the report never overwrites the predictions -------------------------------------------------------


def test_eval_report_never_overwrites_the_predictions_file(tmp_path, capsys):
    predictions = tmp_path / "report.json"
    predictions.write_text(json.dumps({"id": "a", "source": "We sell widgets.", "prediction": "Widgets."}) + "\n")
    before = predictions.read_bytes()
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "report.md").symlink_to(predictions)
    for out in (tmp_path, tmp_path / "rep"):
        status = main(["eval", "--predictions", str(predictions), "--out", str(out), "--tokenizer", "tiny-random"])
        err = capsys.readouterr().err
        observe(f"`eval --predictions report.json --out` {'its dir' if out == tmp_path else 'a link to it'}",
                status, err, lost=int(predictions.read_bytes() != before))
        assert_one_line_failure(status, err, 2, "would overwrite the input", str(predictions))
        assert predictions.read_bytes() == before
    assert not (tmp_path / "report.html").exists()  # refused before any report file


@pytest.mark.parametrize("how", ["--predictions", "--config"])
def test_a_second_eval_into_a_report_dir_in_use_refuses_naming_the_first(tmp_path, how):
    """Run A (a live process: a sleeping child holding the lock, as a running eval does) writes into rep/; B is
    the real CLI with the same --out. B used to write its report.json/md/html over A's mid-way."""
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text(json.dumps({"id": "a", "source": "We sell widgets.", "prediction": "Widgets."}) + "\n")
    rep = tmp_path / "rep"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom filingsum.core.output_lock import OutputLock\n"
         "with OutputLock(sys.argv[1], 'report directory'):\n    print('held', flush=True)\n    time.sleep(120)",
         str(rep)], env=SUB_ENV, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "held"
        config = tmp_path / "c.yaml"
        config.write_text(f"model:\n  name: tiny-random\ndata:\n  out_dir: {tmp_path / 'nodata'}\n"
                          f"eval:\n  systems: [lead-k]\n  out_dir: {rep}\n", encoding="utf-8")
        args = (["eval", "--predictions", str(predictions), "--out", str(rep), "--tokenizer", "tiny-random"]
                if how == "--predictions" else ["eval", "--config", str(config)])
        proc = _run(args)
    finally:
        holder.kill()
        holder.wait()
    observe(f"`eval {how}`: a second eval into a report dir in use", proc.returncode, proc.stderr,
            wrong=int((rep / "report.json").exists()))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(rep), f"in use by process {holder.pid}")
    assert not (rep / "report.json").exists()


# --- 5. export --name --------------------------------------------------------------------------------------------


def test_export_name_cannot_leave_out_or_be_empty(tmp_path, capsys):
    from test_export import _run_dir

    run = _run_dir(tmp_path)
    out = tmp_path / "exports" / "x"
    for name, reason in (("../escaped_x", "path separator"), ("..", "starts with a dot"), ("", "is empty"),
                         ("a\\b", "path separator"), ("bad\nname", "control character"), ("x" * 201, "200 bytes")):
        status = main(["export", str(run), "--out", str(out), "--gguf", "--name", name])
        err = capsys.readouterr().err
        observe(f"`export --gguf --name {name[:20]!r}`", status, err,
                wrong=len(list(tmp_path.rglob("*.gguf"))))
        assert_one_line_failure(status, err, 2, "--name", reason)
        assert not out.exists()  # refused before any work
    assert not list(tmp_path.rglob("*.gguf"))


def test_export_overwrite_never_removes_the_users_files_or_the_current_dir(tmp_path, capsys, monkeypatch):
    """`cd victim/sub && filingsum export RUN --out .. --overwrite` used to delete all of victim/ (the current
    dir included), then fail with a traceback and write nothing."""
    from test_export import _run_dir

    run = _run_dir(tmp_path / "r")
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "precious.txt").write_text("precious")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    monkeypatch.chdir(victim / "sub")
    for out, needle in (("..", "is the current directory, one above it"), (".", "is the current directory"),
                        (str(tmp_path / "mine"), "--overwrite replaces an earlier export only")):
        status = main(["export", str(run), "--out", out, "--overwrite"])
        err = capsys.readouterr().err
        observe(f"`export --out {out if out in ('.', '..') else 'a dir of own files'} --overwrite`", status, err,
                lost=int(not (victim / "precious.txt").exists() or not (tmp_path / "mine" / "notes.txt").exists()))
        assert_one_line_failure(status, err, 2, needle)
    assert (victim / "precious.txt").read_text() == "precious" and (victim / "sub").is_dir()
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"
    out = tmp_path / "export"  # a previous export is replaced
    assert main(["export", str(run), "--out", str(out)]) == 0
    assert main(["export", str(run), "--out", str(out), "--overwrite"]) == 0, capsys.readouterr().err


def test_outputs_that_would_replace_the_cwd_overwrite_an_input_or_a_data_file_are_refused(tmp_path, capsys,
                                                                                        monkeypatch):
    """The 2026-12-03 afternoon probe: `data build --out .` swapped the current dir away, `loadtest --json` onto
    its --input replaced the filing, `serve --log-file` onto a data file appended to it and made it 0600."""
    from test_faults import data_config

    inputs = write_filings(tmp_path / "in", [0, 1])
    config = data_config(tmp_path / "c.yaml", [inputs], tmp_path / "ds")
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    status = main(["data", "build", "--config", str(config), "--out", "."])
    err = capsys.readouterr().err
    observe("`data build --out .`", status, err, lost=int(not (work / "notes.txt").exists()))
    assert_one_line_failure(status, err, 2, "is the current directory")
    assert (work / "notes.txt").read_text() == "mine"

    filing = next(inputs.iterdir())
    before = filing.read_bytes()
    status = main(["loadtest", "--endpoint", f"http://127.0.0.1:{free_port()}/v1", "--model", "m", "--input",
                   str(filing), "--json", str(filing)])
    err = capsys.readouterr().err
    observe("`loadtest --json` onto its --input", status, err, lost=int(filing.read_bytes() != before))
    assert_one_line_failure(status, err, 2, "is one of the --input filings")
    assert filing.read_bytes() == before

    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    data.chmod(0o644)
    proc = _run(["serve", "--set", "model.name=tiny-random", "--backend", "transformers", "--port",
                 str(free_port()), "--log-file", str(data)], timeout=120)
    observe("`serve --log-file` onto an existing data file", proc.returncode, proc.stderr,
            wrong=int(data.read_text() != "a,b\n1,2\n"))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "exists and is not a server log")
    assert data.read_text() == "a,b\n1,2\n" and stat.S_IMODE(data.stat().st_mode) == 0o644


def test_a_second_export_into_an_out_in_use_refuses_naming_the_first(tmp_path):
    from test_export import _run_dir

    from filingsum.core.output_lock import OutputLock

    run = _run_dir(tmp_path)
    out = tmp_path / "export"
    with OutputLock(out, "export directory (--out)"):  # as a first export (this process) holds it
        proc = _run(["export", str(run), "--out", str(out)])
    observe("two `export`s into one --out at once", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "in use")
    assert not out.exists()


def test_summarize_out_that_held_other_inputs_results_says_so(tmp_path, caplog):
    """The probe: `summarize B --out F` replaced F's results of A without a word (they survive in the journal)."""
    import logging

    a, b = sorted(write_filings(tmp_path / "in", [0, 1]).iterdir())
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI() as server:
        assert main(_summarize(server, a, out=out)) == 0
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="filingsum.inference.batch"):
            assert main(_summarize(server, b, out=out)) == 0
    said = caplog.text
    observe("`summarize B --out F` where F held A's results", 0, said, wrong=int("held 1 result" not in said))
    assert "replacing" in said and "held 1 result(s) of other inputs" in said
    assert [r["source_path"] for r in read_jsonl(out)] == [str(b)]


@pytest.mark.parametrize("victim", ["config.yaml", "train.jsonl", "filing.txt"])
def test_summarize_out_onto_a_file_that_is_not_a_summaries_file_is_refused_and_kept(tmp_path, capsys, victim):
    """Fresh probe of 2026-12-03 evening (OW1, OW2): `summarize F --out cfg.yaml` replaced a config, and `--out
    train.jsonl` a dataset split, with exit 0 (and a warning that the journal held the split's rows: it did
    not). An existing file is replaced only when it is an earlier summaries file (JSONL rows or Markdown)."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    contents = {"config.yaml": "model:\n  name: tiny-random\n",
                "train.jsonl": json.dumps({"id": "acme#item_1", "source_path": "a.txt", "text": "Acme sells.",
                                           "reference": "Acme sells widgets."}) + "\n",
                "filing.txt": filing.read_text(encoding="utf-8")}
    target = tmp_path / victim
    target.write_text(contents[victim], encoding="utf-8")
    with FakeOpenAI() as server:
        status = main(_summarize(server, filing, out=target))
        err = capsys.readouterr().err
        observe(f"`summarize --out` onto an existing {victim}", status, err,
                wrong=int(target.read_text(encoding="utf-8") != contents[victim]))
        assert_one_line_failure(status, err, 2, str(target), "is not an earlier summaries file")
        assert server.requests == 0
        assert target.read_text(encoding="utf-8") == contents[victim]
        # an earlier summaries file (JSONL, then Markdown) is still replaced as before
        sums = tmp_path / "sums.jsonl"
        assert main(_summarize(server, filing, out=sums)) == 0
        assert main(_summarize(server, filing, out=sums)) == 0
        notes = tmp_path / "sums.md"
        assert main(_summarize(server, filing, out=notes)) == 0
        assert main(_summarize(server, filing, out=notes)) == 0


def test_loadtest_json_onto_a_config_is_refused_and_kept_and_an_earlier_report_is_replaced(tmp_path, capsys):
    """OW3: `loadtest --json tiny.yaml` replaced the config with its report, exit 0."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    config = tmp_path / "tiny.yaml"
    config.write_text("model:\n  name: tiny-random\n", encoding="utf-8")
    report = tmp_path / "load.json"
    with FakeOpenAI() as server:
        args = ["loadtest", "--endpoint", server.base_url, "--model", "fake", "--input", str(filing),
                "--requests", "2", "--concurrency", "1", "--json"]
        status = main([*args, str(config)])
        err = capsys.readouterr().err
        observe("`loadtest --json` onto an existing config", status, err,
                wrong=int(config.read_text(encoding="utf-8") != "model:\n  name: tiny-random\n"))
        assert_one_line_failure(status, err, 2, str(config), "is not an earlier load-test report")
        assert server.requests == 0 and config.read_text(encoding="utf-8") == "model:\n  name: tiny-random\n"
        assert main([*args, str(report)]) == 0
        assert main([*args, str(report)]) == 0  # its own earlier report is replaced
        assert json.loads(report.read_text())["requests"] == 2
