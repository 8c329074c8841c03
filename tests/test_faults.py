"""Fault injection: what a user (or the machine) does to a long command, and what must hold afterwards.

Each case asserts the exit status, the one-line message (never a traceback), and that nothing finished was
lost (or silently replaced): Ctrl-C at several points of `data build`, `summarize`, `eval` and `train`; output
locations that are files, under files, unwritable or full; a full disk while the final outputs are written;
a busy port for `serve`; damaged checkpoints. Ctrl-C is a real SIGINT: sent to a `filingsum` subprocess
(summarize), sent by the process to itself at a chosen call (tests/_fault_cli.py), or raised in-process by
the same signal (training). Models: `tiny-random`; endpoint: a real HTTP server on 127.0.0.1
(tests/_fake_openai.py). docs/reliability.md tabulates these cases.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from _fake_openai import FakeOpenAI
from _training_data import make_record, write_config, write_dataset

from filingsum.cli import main
from filingsum.core.io import atomic_write_jsonl, read_jsonl

REPO = Path(__file__).resolve().parents[1]
FAULT_CLI = REPO / "tests" / "_fault_cli.py"
ENV = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'tests'}", "HF_HUB_OFFLINE": "1",
       "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
DATASET_FILES = ("records.jsonl", "train.jsonl", "validation.jsonl", "test.jsonl", "card.json", "card.md")

COMPANIES = ["Acme Widgets", "Borealis Freight", "Cobalt Clinics", "Delta Seeds", "Ember Software", "Fjord Foods"]
FILING = (
    "Item 1. Business\n\n"
    "{name} Inc. designs and sells {product} to {customers} in North America. The Company generates revenue "
    "from product sales and from annual service subscriptions, billed monthly. Customers are {customers}, "
    "most of them under multi-year contracts.\n\n"
    "Products are sold through a direct sales force, an online store and a network of independent dealers. "
    "{name} also earns fees from installation, training and maintenance of its {product}.\n\n"
    "The Company finances its operations with cash from operations and a revolving credit facility with a "
    "commercial bank, and it issued common stock in its initial public offering.\n"
)
PRODUCTS = ["industrial widgets", "freight logistics services", "outpatient clinic software", "crop seeds",
            "accounting software", "frozen meals"]
CUSTOMERS = ["manufacturers", "retail chains", "hospitals", "farmers", "small businesses", "grocery stores"]


# --- helpers ------------------------------------------------------------------------------------------------


def write_filings(folder: Path, indexes: range | list[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in indexes:
        text = FILING.format(name=COMPANIES[i], product=PRODUCTS[i], customers=CUSTOMERS[i])
        (folder / f"{COMPANIES[i].split()[0].lower()}_10k_2020.txt").write_text(text, encoding="utf-8")
    return folder


def data_config(path: Path, inputs: list[Path], out: Path) -> Path:
    config = {
        "run_name": "faults",
        "model": {"name": "tiny-random", "max_source_tokens": 512},
        # workers 0: faults are injected into this process's functions, which a process pool would not see
        "data": {"inputs": [str(p) for p in inputs], "out_dir": str(out), "references": ["extractive"],
                 "sections": ["item_1"], "split": {"validation": 0.0, "test": 0.2, "seed": 1}, "workers": 0},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def snapshot(out: Path) -> dict[str, bytes]:
    """Every byte of a dataset's outputs (hf/ included), by relative path."""
    files = [out / n for n in DATASET_FILES] + sorted((out / "hf").rglob("*"))
    return {str(f.relative_to(out)): f.read_bytes() for f in files if f.is_file()}


def run_cli(args: list[str], fault: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, with one fault injected (tests/_fault_cli.py) when given."""
    command = ([sys.executable, str(FAULT_CLI), json.dumps(fault), "--"] if fault
               else [sys.executable, "-m", "filingsum.cli"])
    return subprocess.run(command + args, env=ENV, capture_output=True, text=True, timeout=timeout, cwd=REPO)


REPORT = os.environ.get("FILINGSUM_FAULT_REPORT")  # benchmarks/fault_table.py collects these observations


def _short(line: str, limit: int = 220) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def observe(fault: str, status: int, stderr: str, *, lost: int = 0, wrong: int = 0, user_caused: bool = True) -> None:
    """Record what a fault did, before it is asserted (so the table counts what happened, not what was hoped):
    tracebacks on the console, silent wrong results and pieces of finished work lost."""
    if not REPORT:
        return
    row = {"fault": fault, "status": status, "tracebacks": stderr.count("Traceback"), "wrong": wrong, "lost": lost,
           "message": _short(last_line(stderr)), "user_caused": user_caused}
    with open(REPORT, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def last_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def assert_one_line_failure(status: int, stderr: str, expected_status: int, *needles: str) -> str:
    """The failure is one `filingsum:` line with ``needles`` in it, and no traceback anywhere."""
    assert "Traceback" not in stderr, stderr[-3000:]
    line = last_line(stderr)
    assert status == expected_status, f"status {status}: {stderr[-2000:]}"
    assert line.startswith("filingsum: "), line
    for needle in needles:
        assert needle in line, line
    return line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- every command: output locations checked before any work (exit 2, one line) ------------------------------


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "a_file"
    path.write_text("not a directory")
    return path


def _commands(tmp_path: Path, bad_dir: Path, bad_file: Path) -> dict[str, list[str]]:
    """Each command with an unusable output location: ``bad_dir`` where it wants a directory, ``bad_file``
    where it wants a file (everything else in order)."""
    inputs = write_filings(tmp_path / "in", [0])
    data = write_dataset(tmp_path / "data", n_train=2)
    run_config = write_config(tmp_path / "run.yaml", data, bad_dir)
    eval_config = tmp_path / "eval.yaml"
    eval_config.write_text(yaml.safe_dump({"model": {"name": "tiny-random"}, "data": {"out_dir": str(data)},
                                           "eval": {"systems": ["lead-k"], "split": "train"}}))
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text(json.dumps({"id": "a", "source": "We sell widgets.", "prediction": "Widgets."}) + "\n")
    demo_config = tmp_path / "demo.yaml"
    demo_config.write_text(yaml.safe_dump({"model": {"name": "tiny-random"}, "data": {"out_dir": str(bad_dir)}}))
    build_config = data_config(tmp_path / "d.yaml", [inputs], tmp_path / "x")
    return {
        "data build": ["data", "build", "--config", str(build_config), "--out", str(bad_dir)],
        "data fetch": ["data", "fetch", "--ticker", "X", "--year", "2020", "--identity", "a b@c.d", "--out",
                       str(bad_dir)],
        "train": ["train", "--config", str(run_config)],
        "eval --config": ["eval", "--config", str(eval_config), "--out", str(bad_dir)],
        "eval --predictions": ["eval", "--predictions", str(predictions), "--out", str(bad_dir)],
        "summarize": ["summarize", str(inputs), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m",
                      "--tokenizer", "tiny-random", "--out", str(bad_file)],
        "serve": ["serve", "--set", "model.name=tiny-random", "--backend", "transformers", "--port",
                  str(free_port()), "--log-file", str(bad_file)],
        "demo": ["demo", "--config", str(demo_config)],
    }


@pytest.mark.parametrize("where", ["is a file (or a dir)", "under a file"])
def test_every_command_checks_its_output_location_first(tmp_path, a_file, capsys, where):
    if where == "under a file":
        bad_dir, bad_file = a_file / "sub", a_file / "sub" / "out.jsonl"
    else:
        bad_dir, bad_file = a_file, tmp_path  # a file where a dir is wanted, a dir where a file is
    for name, args in _commands(tmp_path, bad_dir, bad_file).items():
        started = time.monotonic()
        status = main(args)
        err = capsys.readouterr().err
        observe(f"`{name}`: output location {where}", status, err)
        line = assert_one_line_failure(status, err, 2)
        assert str(bad_dir) in line or str(bad_file) in line, (name, line)
        assert time.monotonic() - started < 60, f"{name}: the check came after expensive work"


def test_models_prepare_checks_the_cache_dir(a_file, capsys, monkeypatch):
    monkeypatch.setenv("FILINGSUM_CACHE", str(a_file))
    status, err = main(["models", "prepare", "tiny-random"]), capsys.readouterr().err
    observe("`models prepare`: model cache is a file", status, err)
    assert_one_line_failure(status, err, 2, "model cache")


def test_report_path_that_is_a_directory_and_a_full_disk_fail_before_work(tmp_path, capsys, monkeypatch):
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("\ufeff" + json.dumps({"id": "a", "source": "We sell widgets.", "prediction": "W."}) + "\n")
    (tmp_path / "rep" / "report.json").mkdir(parents=True)
    status = main(["eval", "--predictions", str(predictions), "--out", str(tmp_path / "rep")])
    err = capsys.readouterr().err
    observe("`eval`: report.json is a directory", status, err)
    assert_one_line_failure(status, err, 2, "report.json", "is a directory")

    from filingsum.core import io as io_module

    monkeypatch.setattr(io_module, "free_bytes", lambda path: 4096)  # a full disk
    status = main(["eval", "--predictions", str(predictions), "--out", str(tmp_path / "rep2")])
    err = capsys.readouterr().err
    observe("`eval`: no free space for the report", status, err, user_caused=False)
    assert_one_line_failure(status, err, 2, "4.0 KB free", "needed")


# --- data build ------------------------------------------------------------------------------------------------


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    """A finished dataset from filings 0-2: (config, out dir, its bytes)."""
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "data.yaml", [write_filings(tmp_path / "first", range(3))], out)
    assert main(["data", "build", "--config", str(config)]) == 0
    return config, out, snapshot(out)


def test_build_with_missing_inputs_keeps_the_dataset(built, tmp_path, capsys):
    config, out, before = built
    capsys.readouterr()
    status = main(["data", "build", "--config", str(config), "--input", str(tmp_path / "fisrt")])  # a typo
    err = capsys.readouterr().err
    observe("`data build`: mistyped --input over an existing dataset", status, err, lost=int(snapshot(out) != before))
    assert_one_line_failure(status, err, 2, "fisrt", "no such file", "unchanged")
    assert snapshot(out) == before


def test_build_interrupted_during_extraction_keeps_the_dataset_and_resumes(built, tmp_path):
    config, out, before = built
    more = write_filings(tmp_path / "more", range(3, 6))
    args = ["data", "build", "--config", str(config), "--input", str(tmp_path / "first"), str(more)]
    # Ctrl-C while the second of the three new filings is being extracted
    proc = run_cli(args, {"target": "filingsum.dataset.build:extract_file", "after": 1, "fault": "sigint"})
    extracted = len(list(read_jsonl(out / ".work" / "extract.jsonl")))
    observe("`data build`: Ctrl-C during extraction", proc.returncode, proc.stderr,
            lost=int(snapshot(out) != before) + max(0, 4 - extracted))
    line = assert_one_line_failure(proc.returncode, proc.stderr, 130, "interrupted", "rerun the same command")
    assert "unchanged" in line
    assert snapshot(out) == before  # the old dataset is whole, not mixed with the new build
    journal = list(read_jsonl(out / ".work" / "extract.jsonl"))
    assert len(journal) == 4  # the 3 files of the first build and the 1 new one finished before Ctrl-C

    proc = run_cli(args)
    observe("`data build`: rerun after Ctrl-C (resumes)", proc.returncode, proc.stderr,
            lost=int("4 resumed" not in proc.stdout))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "4 resumed" in proc.stdout and "2 file(s) extracted" in proc.stdout  # nothing extracted twice
    card = json.loads((out / "card.json").read_text())
    assert card["inputs"] == 6 and snapshot(out) != before  # the new dataset, complete
    assert not list(tmp_path.glob(".dataset.*"))  # no staging dir left beside it


def test_build_interrupted_with_a_process_pool_keeps_the_dataset_and_resumes(built, tmp_path):
    """The default build extracts in worker processes (data.workers); they ignore SIGINT and the parent
    stops them: Ctrl-C lands while the parent journals a finished file."""
    config, out, before = built
    config.write_text(config.read_text().replace("workers: 0", "workers: 2"))
    more = write_filings(tmp_path / "more", range(3, 6))
    args = ["data", "build", "--config", str(config), "--input", str(tmp_path / "first"), str(more)]
    proc = run_cli(args, {"target": "filingsum.core.io:JsonlAppender.append", "after": 1, "fault": "sigint"})
    journalled = len(list(read_jsonl(out / ".work" / "extract.jsonl")))
    observe("`data build`: Ctrl-C during extraction in 2 worker processes", proc.returncode, proc.stderr,
            lost=int(snapshot(out) != before) + max(0, 4 - journalled))
    line = assert_one_line_failure(proc.returncode, proc.stderr, 130, "interrupted", "rerun the same command")
    assert "unchanged" in line and snapshot(out) == before
    assert 4 <= journalled <= 6  # the first build's 3 files and the new one(s) journalled before Ctrl-C

    proc = run_cli(args)
    resumed = f"{6 - journalled} file(s) extracted, {journalled} resumed"
    observe("`data build`: rerun after Ctrl-C (2 worker processes)", proc.returncode, proc.stderr,
            lost=int(resumed not in proc.stdout))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert resumed in proc.stdout  # nothing extracted twice
    assert json.loads((out / "card.json").read_text())["inputs"] == 6


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.usefixtures("sighup_as_in_a_terminal")
@pytest.mark.parametrize("signame", ["sigterm", "sighup"])
def test_sigterm_stops_the_build_and_its_worker_processes(built, tmp_path, signame):
    """SIGTERM (CI timeouts, `timeout`, service managers) or SIGHUP (a closed terminal) reaches the parent only; the
    build unwinds as after Ctrl-C: exit 143 (129) with one line and the resume sentence, the old dataset kept, and
    no worker, forkserver or resource tracker left. SIGHUP used to end the build at once, without that line."""
    import psutil

    config, out, before = built
    config.write_text(config.read_text().replace("workers: 0", "workers: 2"))
    more = write_filings(tmp_path / "more", range(3, 6))
    args = ["data", "build", "--config", str(config), "--input", str(tmp_path / "first"), str(more)]
    fault = {"target": "filingsum.core.io:JsonlAppender.append", "after": 1, "fault": signame}
    proc = subprocess.Popen([sys.executable, str(FAULT_CLI), json.dumps(fault), "--", *args], env=ENV, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent, descendants = psutil.Process(proc.pid), set()
    while proc.poll() is None:
        try:
            descendants.update(parent.children(recursive=True))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    _, stderr = proc.communicate(timeout=300)
    observe(f"`data build`: {signame.upper()} during extraction in 2 worker processes", proc.returncode, stderr,
            lost=int(snapshot(out) != before))
    status = 143 if signame == "sigterm" else 129
    assert_one_line_failure(proc.returncode, stderr, status, f"terminated ({signame.upper()})",
                            "rerun the same command")
    assert snapshot(out) == before
    assert descendants, "the build started no worker process: the test saw nothing"
    deadline = time.monotonic() + 15
    while (alive := [p for p in descendants if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive, [(p.pid, p.cmdline()[:3]) for p in alive]


@pytest.mark.parametrize("fault", [
    {"target": "filingsum.dataset.build:write_hf", "after": 0, "fault": "sigint"},
    {"target": "filingsum.dataset.build:atomic_write_jsonl", "after": 2, "fault": "enospc"},  # 3rd split file
])
def test_fault_while_writing_the_outputs_leaves_the_old_dataset_whole(built, tmp_path, fault):
    config, out, before = built
    args = ["data", "build", "--config", str(config), "--input", str(tmp_path / "first"),
            str(write_filings(tmp_path / "more", [3]))]
    proc = run_cli(args, fault)
    what = "Ctrl-C while writing hf/" if fault["fault"] == "sigint" else "disk full while writing the splits"
    observe(f"`data build`: {what}", proc.returncode, proc.stderr, lost=int(snapshot(out) != before),
            user_caused=fault["fault"] == "sigint")
    if fault["fault"] == "sigint":
        assert_one_line_failure(proc.returncode, proc.stderr, 130, "interrupted", "unchanged")
    else:
        assert_one_line_failure(proc.returncode, proc.stderr, 1, "cannot write", "No space left on device")
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".dataset.*")) and not list(out.glob(".*tmp*"))  # no temporaries left


def test_build_that_yields_nothing_keeps_the_dataset(built, tmp_path, capsys):
    config, out, before = built
    empty = tmp_path / "empties"
    empty.mkdir()
    (empty / "blank_10k_2020.txt").write_text("   \n")
    capsys.readouterr()
    status = main(["data", "build", "--config", str(config), "--input", str(empty)])
    err = capsys.readouterr().err
    observe("`data build`: inputs yield no record, over an existing dataset", status, err,
            lost=int(snapshot(out) != before))
    line = assert_one_line_failure(status, err, 1, "no records", "was kept")
    assert snapshot(out) == before and "card.failed.md" in line
    assert "file is empty" in (out / ".work" / "card.failed.md").read_text()


# --- summarize -------------------------------------------------------------------------------------------------


def _summarize_args(server: FakeOpenAI, inputs: Path, out: Path, *extra: str) -> list[str]:
    return ["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer", "tiny-random",
            "--max-retries", "0", "--out", str(out), *extra]


def test_summarize_ctrl_c_cancels_at_once_keeps_finished_and_resumes(tmp_path):
    inputs = write_filings(tmp_path / "in", range(6))
    out = tmp_path / "sums.jsonl"
    journal = tmp_path / ".sums.jsonl.journal.jsonl"
    with FakeOpenAI(delay_s=1.5) as server:
        command = [sys.executable, "-m", "filingsum.cli",
                   *_summarize_args(server, inputs, out, "--concurrency", "1")]
        proc = subprocess.Popen(command, env=ENV, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and len(journal.read_text().splitlines()) >= 2:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)  # Ctrl-C with a request in flight and 3 not sent
        _, stderr = proc.communicate(timeout=60)
        sent_before = server.requests
        kept = len(list(read_jsonl(journal)))
        observe("`summarize`: Ctrl-C with requests in flight and pending", proc.returncode, stderr)
        line = assert_one_line_failure(proc.returncode, stderr, 130, "interrupted", "rerun the same command")
        assert kept >= 2 and f"{kept} of 6 input(s) summarized and kept" in line
        assert sent_before < 6  # pending requests were cancelled, not sent
        assert not out.exists()  # the output file is complete or absent

        status = main(_summarize_args(server, inputs, out, "--concurrency", "2"))
        rows = list(read_jsonl(out))
        observe("`summarize`: rerun after Ctrl-C (resumes)", status, "",
                lost=(server.requests - sent_before) - (6 - kept), wrong=6 - sum(bool(r["summary"]) for r in rows))
        assert status == 0
        assert server.requests - sent_before == 6 - kept  # finished inputs were not requested again
    assert len(rows) == 6 and all(r["summary"] and not r["error"] for r in rows)
    assert sorted(Path(r["source_path"]).name for r in rows) == sorted(p.name for p in inputs.iterdir())


@pytest.mark.usefixtures("sighup_as_in_a_terminal")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_summarize_stopped_before_anything_finished_names_no_journal(tmp_path, sig):
    """SIGTERM or SIGHUP (a closed terminal) with the first request still in flight: the line said the finished
    inputs were kept in a journal that was never written; SIGHUP ended the command at once, with no line."""
    inputs = write_filings(tmp_path / "in", range(3))
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI(delay_s=30) as server:
        command = [sys.executable, "-m", "filingsum.cli", *_summarize_args(server, inputs, out, "--concurrency", "1")]
        proc = subprocess.Popen(command, env=ENV, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None and not server.requests:
            time.sleep(0.1)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    name = signal.Signals(sig).name
    observe(f"`summarize`: {name} before any input finished", proc.returncode, stderr)
    line = assert_one_line_failure(proc.returncode, stderr, 128 + int(sig), f"terminated ({name})",
                                   "none of 3 input(s) had finished", "rerun the same command")
    assert "kept in" not in line and not out.exists()


def test_summarize_full_disk_at_the_end_keeps_every_summary(tmp_path, capsys, monkeypatch):
    from filingsum.core import io as io_module

    inputs = write_filings(tmp_path / "in", range(3))
    out = tmp_path / "sums.jsonl"
    real = io_module.atomic_write_jsonl

    def full_disk(path, rows):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    with FakeOpenAI() as server:
        monkeypatch.setattr(io_module, "atomic_write_jsonl", full_disk)
        status = main(_summarize_args(server, inputs, out))
        err = capsys.readouterr().err
        assert server.requests == 3 and not out.exists()
        monkeypatch.setattr(io_module, "atomic_write_jsonl", real)
        assert main(_summarize_args(server, inputs, out)) == 0
        observe("`summarize`: disk full writing --out", status, err, lost=server.requests - 3, user_caused=False)
        assert_one_line_failure(status, err, 1, "No space left on device", "kept in", "rerun")
        assert server.requests == 3  # all three came from the journal
    assert len(list(read_jsonl(out))) == 3


def test_summarize_chunk_caps_the_requests_of_a_huge_filing(tmp_path, caplog):
    from filingsum.core.models import load_tokenizer
    from filingsum.core.tokens import token_counter
    from filingsum.filings.fit import chunk_text

    paragraphs = [FILING.format(name=f"Company {i}", product=PRODUCTS[i % 6], customers=CUSTOMERS[i % 6])
                  .replace("Item 1. Business\n\n", "") for i in range(120)]
    huge = tmp_path / "huge_10k_2020.txt"
    huge.write_text("Item 1. Business\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    budget = 256
    uncapped = len(chunk_text(huge.read_text(), token_counter(load_tokenizer("tiny-random")), budget))
    assert uncapped > 40
    with FakeOpenAI() as server:
        args = _summarize_args(server, huge, tmp_path / "s.jsonl", "--fit", "chunk", "--max-chunks", "6",
                               "--max-source-tokens", str(budget))
        status = main(args)
        requests = server.requests
    observe(f"`summarize --fit chunk`: {uncapped}-chunk filing, --max-chunks 6 ({requests} requests)", status, "")
    assert status == 0
    assert requests <= 6 + 2  # the capped map, then the reduce round(s)
    assert any("--max-chunks 6" in r.getMessage() and f"{uncapped} chunks" in r.getMessage() for r in caplog.records)


# --- eval --------------------------------------------------------------------------------------------------------


def _eval_setup(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    rows = [make_record(i, *spec, "test", 200) for i, spec in enumerate(
        [("crexendo_10k_2016_item1_prompt.txt", 0, "Crexendo sells cloud services."),
         ("crexendo_10k_2016_item1_prompt.txt", 900, "Crexendo earns recurring revenue."),
         ("fusion_10k_2016_item1_prompt.txt", 0, "Fusion sells cloud communications."),
         ("fusion_10k_2016_item1_prompt.txt", 900, "Fusion serves businesses."),
         ("crexendo_10q_2020q3_mdna.txt", 1000, "Crexendo has two segments."),
         ("crexendo_10q_2020q3_mdna.txt", 2000, "Crexendo reports web services revenue.")])]
    atomic_write_jsonl(data / "test.jsonl", rows)
    config = tmp_path / "eval.yaml"
    config.write_text(yaml.safe_dump({
        "model": {"name": "tiny-random"}, "data": {"out_dir": str(data)},
        "eval": {"systems": ["lead-k", "zero-shot"], "max_summary_tokens": 16, "out_dir": str(tmp_path / "report")},
    }))
    return config, tmp_path / "report"


def test_eval_ctrl_c_during_generation_keeps_summaries_and_resumes(tmp_path, caplog):
    config, report = _eval_setup(tmp_path)
    # Ctrl-C while the second batch (of 4 + 2 records) is being generated
    fault = {"target": "filingsum.inference.local:LocalSummarizer.summarize", "after": 1, "fault": "sigint"}
    proc = run_cli(["eval", "--config", str(config)], fault)
    journal = report / ".work" / "generations-zero-shot.jsonl"
    observe("`eval`: Ctrl-C during generation", proc.returncode, proc.stderr,
            lost=max(0, 4 - len(list(read_jsonl(journal)))) if journal.exists() else 4)
    assert_one_line_failure(proc.returncode, proc.stderr, 130, "interrupted", "journalled", "rerun the same command")
    assert len(list(read_jsonl(journal))) == 4 and not (report / "report.json").exists()

    # tiny-random's greedy summaries are empty, each a failed document: with every document of a system failed
    # the run exits 1 (it evaluated nothing), after the report is written, the same resumed or not
    with caplog.at_level("INFO"):
        assert main(["eval", "--config", str(config)]) == 1
    assert any("4 of 6 summaries resumed" in r.getMessage() for r in caplog.records)
    # The resumed run equals one uninterrupted run (greedy generation): same summaries, same scores.
    straight = tmp_path / "straight"
    assert main(["eval", "--config", str(config), "--out", str(straight)]) == 1

    def predictions(folder: Path) -> list:
        return sorted(row["value"]["prediction"] for row in read_jsonl(folder / ".work" / journal.name))

    observe("`eval`: rerun after Ctrl-C (resumes)", 0, "", wrong=int(predictions(report) != predictions(straight)))
    assert predictions(report) == predictions(straight) and len(predictions(report)) == 6
    first = json.loads((report / "report.json").read_text())["systems"]["zero-shot"]
    assert first == json.loads((straight / "report.json").read_text())["systems"]["zero-shot"]


# --- train -------------------------------------------------------------------------------------------------------


def test_train_ctrl_c_past_the_first_epoch_resumes_exactly_even_from_a_damaged_checkpoint(tmp_path, capsys,
                                                                                        monkeypatch, caplog):
    """group_by_length (the default) included: the resumed adapter equals an uninterrupted run's."""
    import torch
    import transformers
    from safetensors.torch import load_file

    data = write_dataset(tmp_path / "data", n_train=4, chars=120)
    common = dict(max_steps=5, save_steps=1, save_total_limit=10, seed=7, lora={"dropout": 0.1}, batch_size=2,
                  group_by_length=True)
    interrupted = write_config(tmp_path / "a.yaml", data, tmp_path / "run_a", **common)
    original = transformers.Trainer.training_step
    stop_at = {"step": 4}

    def training_step(self, *args, **kwargs):
        if self.state.global_step == stop_at["step"]:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, after checkpoint-4 (epoch 2 of 2-step epochs)
            time.sleep(0.2)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(transformers.Trainer, "training_step", training_step)
    status = main(["train", "--config", str(interrupted)])
    err = capsys.readouterr().err
    checkpoints = tmp_path / "run_a" / "checkpoints"
    observe("`train`: Ctrl-C in epoch 2 (after checkpoint-4)", status, err, lost=4 - len(list(checkpoints.iterdir())))
    assert_one_line_failure(status, err, 130, "interrupted", "checkpoints", "rerun")
    assert sorted(p.name for p in checkpoints.iterdir()) == [f"checkpoint-{i}" for i in range(1, 5)]
    # The newest checkpoint is damaged (a disk filling up while it was saved): truncated adapter weights.
    weights = checkpoints / "checkpoint-4" / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])

    stop_at["step"] = -1
    with caplog.at_level("WARNING"):
        assert main(["train", "--config", str(interrupted)]) == 0
    assert any("checkpoint-4 is damaged" in r.getMessage() and "truncated" in r.getMessage() for r in caplog.records)
    metrics = json.loads((tmp_path / "run_a" / "metrics.json").read_text())
    assert metrics["resumed_from"].endswith("checkpoint-3") and metrics["global_step"] == 5
    assert (checkpoints / "damaged-checkpoint-4").is_dir()  # set aside, not deleted

    straight = write_config(tmp_path / "b.yaml", data, tmp_path / "run_b", **common)
    assert main(["train", "--config", str(straight)]) == 0
    resumed = load_file(tmp_path / "run_a" / "adapter" / "adapter_model.safetensors")
    uninterrupted = load_file(tmp_path / "run_b" / "adapter" / "adapter_model.safetensors")
    differs = any(not torch.allclose(resumed[k], uninterrupted[k], rtol=1e-5, atol=1e-6) for k in resumed)
    observe("`train`: resume past epoch 1 (group_by_length) from a truncated newest checkpoint", 0, "",
            wrong=int(differs))
    for name in resumed:
        torch.testing.assert_close(resumed[name], uninterrupted[name], rtol=1e-5, atol=1e-6)

    # A finished run reruns as a no-op: no step, no checkpoint, outputs untouched.
    stamp = (tmp_path / "run_a" / "metrics.json").stat().st_mtime_ns
    capsys.readouterr()
    status = main(["train", "--config", str(interrupted)])
    observe("`train`: rerun of a finished run", status, capsys.readouterr().err,
            wrong=int((checkpoints / "checkpoint-6").exists()))
    assert status == 0
    assert (tmp_path / "run_a" / "metrics.json").stat().st_mtime_ns == stamp
    assert not (checkpoints / "checkpoint-6").exists()

    # Resuming onto other data stops with a clear message; --force-resume continues on purpose.
    other = write_dataset(tmp_path / "other", n_train=3, chars=100)
    moved = write_config(tmp_path / "c.yaml", other, tmp_path / "run_a", **common)
    status = main(["train", "--config", str(moved)])
    err = capsys.readouterr().err
    observe("`train`: resume onto other data", status, err,
            wrong=int((tmp_path / "run_a" / "metrics.json").stat().st_mtime_ns != stamp))
    assert_one_line_failure(status, err, 2, "train data differs", "--force-resume")
    assert (tmp_path / "run_a" / "metrics.json").stat().st_mtime_ns == stamp


def test_damaged_checkpoint_files_are_recognised(tmp_path, caplog):
    import torch
    from safetensors.torch import save_file

    from filingsum.training.checkpoints import checkpoint_problem, usable_checkpoint

    def checkpoint(step: int) -> Path:
        path = tmp_path / f"checkpoint-{step}"
        path.mkdir()
        save_file({"w": torch.ones(64, 64)}, path / "adapter_model.safetensors")
        torch.save({"state": {0: torch.zeros(64)}}, path / "optimizer.pt")
        (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
        return path

    good, garbage, truncated, torn = checkpoint(1), checkpoint(2), checkpoint(3), checkpoint(4)
    assert checkpoint_problem(good) is None
    (garbage / "optimizer.pt").write_bytes(os.urandom(4096))
    assert "optimizer.pt: not a readable torch file" in checkpoint_problem(garbage)
    data = (truncated / "adapter_model.safetensors").read_bytes()
    (truncated / "adapter_model.safetensors").write_bytes(data[: len(data) // 2])
    assert "adapter_model.safetensors: truncated" in checkpoint_problem(truncated)
    (torn / "trainer_state.json").write_text('{"global_st')
    assert checkpoint_problem(torn) == "trainer_state.json: unreadable"
    with caplog.at_level("WARNING"):
        chosen = usable_checkpoint(tmp_path)
    observe("`train`: garbage optimizer.pt / truncated safetensors / torn trainer_state.json", 0, "",
            wrong=int(chosen != str(good)), user_caused=False)
    assert chosen == str(good)
    assert len([r for r in caplog.records if "damaged" in r.getMessage()]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint-1", "damaged-checkpoint-2", "damaged-checkpoint-3", "damaged-checkpoint-4"]


# --- serve ---------------------------------------------------------------------------------------------------------


def test_serve_on_a_busy_port_fails_in_one_line_and_never_says_ready(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status = main(["serve", "--set", "model.name=tiny-random", "--backend", "transformers",
                       "--host", "127.0.0.1", "--port", str(port)])
    captured = capsys.readouterr()
    observe("`serve`: port already in use", status, captured.err, wrong=int("endpoint:" in captured.out))
    assert_one_line_failure(status, captured.err, 2, f"127.0.0.1:{port} is already in use", "--port")
    assert "endpoint:" not in captured.out and "model names" not in captured.out  # never announced


def test_a_server_answering_on_our_port_is_not_taken_for_ours(tmp_path, monkeypatch):
    """The port taken between the check and the child's bind: /health answers, from someone else."""
    from filingsum.serving import process as launcher
    from filingsum.serving.process import ServerProcess, ServerStartError

    with FakeOpenAI() as other:
        monkeypatch.setattr(launcher, "check_port", lambda host, port: None)
        child = ServerProcess(command=[sys.executable, "-c", "import time; time.sleep(60)"], host="127.0.0.1",
                              port=other.port, model_names=["ours"], backend="transformers",
                              log_path=tmp_path / "serve.log", grace_s=2)
        with pytest.raises(ServerStartError, match="listening socket is not this server's") as raised:
            child.start().wait_ready(timeout=30)
        observe("`serve`: another server answers /health on our port", 1, f"filingsum: error: {raised.value}",
                user_caused=False)
        assert not child.is_running()
