"""Faults found by the short probe of 2026-12-03, late (docs/reliability.md; its ids in brackets), each injected for
real: the CLI in a subprocess, real files (a symlink, JSON nested 100,000 deep, a lone surrogate), real signals
(SIGTERM, SIGKILL) and a real two-process `accelerate launch` on the CPU."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from test_faults import ENV, FAULT_CLI, REPO, assert_one_line_failure, observe, write_filings

DEEP = "[" * 100_000 + "]" * 100_000  # legal JSON; json.loads raises RecursionError on it
GOOD_PREDICTION = {"id": "acme", "source": "Acme Widgets Inc. sells industrial widgets to manufacturers. Revenue was "
                   "$12.5 million in 2020.", "prediction": "Acme sells widgets to manufacturers.",
                   "reference": "Acme sells industrial widgets to manufacturers."}


def _cli(args: list[str], timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=env or ENV, capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def _jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _with_surrogate(row: dict, key: str) -> str:
    """``row`` as one JSON line whose ``key`` holds a lone surrogate, escaped as JSON allows (``\\ud800``)."""
    return json.dumps({**row, key: f"{row[key]} SURROGATE"}).replace("SURROGATE", "\\ud800")


# --- G3 / G4: a lone surrogate or JSON nested 100,000 deep is one line or a logged skip, never a traceback -------


@pytest.mark.parametrize("case", ["surrogate", "deep"])
def test_eval_predictions_with_unusable_json_is_one_line_naming_the_line(tmp_path, case):
    """[G3, G4] a lone \\ud800 was a tokenizers TypeError traceback; 100,000-deep nesting a RecursionError one."""
    bad = _with_surrogate(GOOD_PREDICTION, "prediction") if case == "surrogate" else DEEP
    predictions = _jsonl(tmp_path / "preds.jsonl", json.dumps(GOOD_PREDICTION), bad)
    proc = _cli(["eval", "--predictions", str(predictions), "--out", str(tmp_path / "report"), "--tokenizer",
                 "tiny-random"])
    observe(f"`eval --predictions` with a row that has {case} JSON", proc.returncode, proc.stderr)
    needle = "'prediction' holds a lone UTF-16 surrogate" if case == "surrogate" else "nested more than"
    assert_one_line_failure(proc.returncode, proc.stderr, 2, f"{predictions}, line 2", needle)
    assert not (tmp_path / "report" / "report.json").exists()


def _report(tmp_path: Path) -> Path:
    predictions = _jsonl(tmp_path / "preds.jsonl", json.dumps(GOOD_PREDICTION))
    proc = _cli(["eval", "--predictions", str(predictions), "--out", str(tmp_path / "report"), "--tokenizer",
                 "tiny-random"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    return tmp_path / "report" / "report.json"


def test_eval_compare_of_a_deep_report_is_one_line_and_a_surrogate_name_is_printed_escaped(tmp_path):
    """[G3, G4] `eval compare` of a report.json nested 100,000 deep was a RecursionError traceback; one whose system
    name holds \\ud800 (legal JSON) a UnicodeEncodeError traceback on a C-locale console (surrogateescape)."""
    report = _report(tmp_path)
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    proc = _cli(["eval", "compare", str(report), str(deep)])
    observe("`eval compare` of a report.json nested 100,000 deep", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(deep), "nested more than")

    text = report.read_text(encoding="utf-8")
    odd = tmp_path / "odd.json"
    odd.write_text(text.replace('"preds"', '"preds\\ud800"'), encoding="utf-8")
    assert odd.read_text() != text
    (tmp_path / "odd2.json").write_text(odd.read_text(), encoding="utf-8")
    for markdown in ([], ["--markdown"]):
        proc = _cli(["eval", "compare", str(odd), str(tmp_path / "odd2.json"), *markdown],
                    env={**ENV, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": ""})
        observe("`eval compare` of reports whose system name holds a lone surrogate", proc.returncode, proc.stderr)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert "preds\\ud800" in proc.stdout and "no regressions" in proc.stdout.lower()


def test_data_build_skips_unusable_jsonl_rows_and_gold_rows_with_a_warning(tmp_path):
    """[G3, G4] a JSONL input row or a data.gold row with \\ud800 was a UnicodeEncodeError traceback; a gold file
    with a row nested 100,000 deep a RecursionError one. The row (the deep gold file) is skipped with a warning."""
    import yaml
    from test_faults import CUSTOMERS, FILING, PRODUCTS

    texts = [FILING.format(name=n, product=PRODUCTS[i], customers=CUSTOMERS[i])  # distinct: none is a near-duplicate
             for i, n in enumerate(("Acme", "Bolt", "Cato"))]
    inputs = tmp_path / "in"
    inputs.mkdir()
    _jsonl(inputs / "filings.jsonl", json.dumps({"text": texts[0], "company": "Acme"}),
           _with_surrogate({"text": texts[1], "company": "Bolt"}, "text"),
           json.dumps({"text": texts[2], "company": "Cato"}))
    gold = _jsonl(tmp_path / "gold.jsonl",
                  _with_surrogate({"source_file": "filings.jsonl#1", "summary": "Acme sells widgets."}, "summary"),
                  json.dumps({"source_file": "filings.jsonl#3", "summary": "Cato sells widgets to manufacturers."}))
    deep_gold = _jsonl(tmp_path / "deep_gold.jsonl", DEEP)
    out = tmp_path / "dataset"
    config = tmp_path / "data.yaml"
    config.write_text(yaml.safe_dump({
        "model": {"name": "tiny-random", "max_source_tokens": 512},
        "data": {"inputs": [str(inputs)], "out_dir": str(out), "references": ["gold", "extractive"],
                 "gold": [str(gold), str(deep_gold)], "sections": ["item_1"], "workers": 0,
                 "filters": {"min_label_chars": 0},  # the gold summaries here are one short sentence
                 "split": {"validation": 0.0, "test": 0.0, "seed": 1}}}), encoding="utf-8")
    proc = _cli(["data", "build", "--config", str(config)])
    observe("`data build` with a lone surrogate in a JSONL input and a gold file, and a deep gold file",
            proc.returncode, proc.stderr)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "skipped line 2: not usable JSON ('text' holds a lone UTF-16 surrogate" in proc.stderr
    assert "row 1: skipped, 'summary' holds a lone UTF-16 surrogate" in proc.stderr
    assert f"gold file {deep_gold} is unreadable" in proc.stderr and "nested more than" in proc.stderr
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert sorted(r["company"] for r in records) == ["Acme", "Cato"]
    origins = {r["company"]: r["reference_origin"] for r in records}
    assert origins == {"Acme": "extractive", "Cato": "gold"}  # Acme's gold row was the one skipped


def test_a_summarize_journal_nested_100000_deep_is_one_line_on_resume(tmp_path):
    """[G4] a journal row nested 100,000 deep was a RecursionError traceback when summarize resumed."""
    inputs = write_filings(tmp_path / "in", [0])
    out = tmp_path / "sums.jsonl"
    journal = tmp_path / ".sums.jsonl.journal.jsonl"
    _jsonl(journal, json.dumps({"key": "k", "value": []}), DEEP)
    with FakeOpenAI() as server:
        proc = _cli(["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                     "tiny-random", "--out", str(out)])
        requests = server.requests
    observe("`summarize` resuming a journal with a row nested 100,000 deep", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 1, str(journal), "damaged journal", "nested more than",
                            "line 2", "delete it")
    assert requests == 0 and not out.exists()


def test_train_on_a_split_with_a_row_nested_100000_deep_is_one_line(tmp_path):
    """[G4] train.jsonl with a row nested 100,000 deep was a RecursionError traceback from `train`."""
    from _training_data import write_config, write_dataset

    data = write_dataset(tmp_path / "data", n_train=2, chars=200)
    with open(data / "train.jsonl", "a", encoding="utf-8") as fh:
        fh.write(DEEP + "\n")
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=1)
    proc = _cli(["train", "--config", str(config)])
    observe("`train` on a train.jsonl with a row nested 100,000 deep", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(data / "train.jsonl"), "nested more than", "line 3")


def test_json_rows_refuse_what_breaks_later_and_keep_what_does_not():
    """The shared reader (`core.json_rows`): a surrogate pair is text; a file name's PEP 383 surrogate is kept where
    names are allowed; a torn last line of a journal is still ignored, but a deep one is not."""
    from filingsum.core.json_rows import UnusableJsonError, loads, loads_text, lone_surrogate

    assert loads_text('{"t": "\\ud83d\\ude00"}') == {"t": "\U0001f600"}  # a pair: an emoji
    assert loads_text('{"source_file": "bad\\udcff.txt", "t": "x"}', skip=("source_file",))["t"] == "x"
    with pytest.raises(UnusableJsonError, match="'t' holds a lone UTF-16 surrogate"):
        loads_text('{"t": "a\\udcffb"}')
    assert lone_surrogate({"a": [{"b": "x\ud800"}]}) == "'a[0].b'"
    with pytest.raises(UnusableJsonError, match="nested more than"):
        loads(DEEP)
    assert loads("[[1]]") == [[1]]


def test_read_jsonl_names_the_line_and_never_takes_a_deep_row_for_a_torn_one(tmp_path):
    from filingsum.core.io import read_jsonl

    torn = _jsonl(tmp_path / "torn.jsonl", '{"a": 1}', '{"a": ')
    assert list(read_jsonl(torn)) == [{"a": 1}]
    deep_last = _jsonl(tmp_path / "deep.jsonl", '{"a": 1}', DEEP)
    with pytest.raises(json.JSONDecodeError, match="nested more than .*: line 2"):
        list(read_jsonl(deep_last))
    bad_middle = _jsonl(tmp_path / "bad.jsonl", '{"a": 1}', "{oops", '{"a": 2}')
    with pytest.raises(json.JSONDecodeError, match="line 2 column 2"):
        list(read_jsonl(bad_middle))


# --- G2: two spellings of one --out file (a symlink) share one journal and its lock --------------------------------


def test_summarize_into_a_symlink_of_a_running_runs_out_refuses_and_keeps_its_results(tmp_path):
    """[G2] `summarize --out A.jsonl` and `--out L.jsonl` (L -> A) at once were not locked against each other (the
    journal and its lock were named by the spelling): the second replaced the first's results."""
    from filingsum.core.io import lock_path

    inputs = write_filings(tmp_path / "in", range(3))
    out, link = tmp_path / "A.jsonl", tmp_path / "L.jsonl"
    link.symlink_to(out.name)
    args = ["summarize", str(inputs), "--endpoint", "", "--model", "fake", "--tokenizer", "tiny-random",
            "--concurrency", "1"]
    second_done = threading.Event()  # the first run's requests are answered once the second one has run

    def answer(body: dict) -> str:
        second_done.wait(60)
        return "The company sells its products to manufacturers."

    with FakeOpenAI(respond=answer) as server:
        args[3] = server.base_url
        first = subprocess.Popen([sys.executable, "-m", "filingsum.cli", *args, "--out", str(out)], env=ENV, cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lock = lock_path(tmp_path / ".A.jsonl.journal.jsonl")  # taken before the first request
        deadline = time.monotonic() + 120
        while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        second = _cli([*args, "--out", str(link)])
        second_done.set()
        _, first_err = first.communicate(timeout=120)
    observe("`summarize --out L` (a symlink to A) while `summarize --out A` runs", second.returncode, second.stderr,
            lost=int(first.returncode != 0))
    assert_one_line_failure(second.returncode, second.stderr, 2, "in use by process", str(first.pid))
    assert first.returncode == 0, first_err[-2000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and all(r["summary"] and not r["error"] for r in rows)
    assert link.is_symlink() and not (tmp_path / ".L.jsonl.journal.jsonl").exists()


# --- G5: report.html shows a bounded part of a runaway prediction; an interrupt names the report files written ---


def test_report_html_of_a_multi_megabyte_prediction_is_bounded_and_says_what_it_left_out(tmp_path):
    """[G5] one 21 MB prediction: report.json and report.md were written, then report.html took minutes (the claim
    check of the whole prediction). The page shows its first part, checked, with a note of the rest."""
    prediction = " ".join(f"Acme sold {i} widgets to Bolt Corp for ${i}.5 million in {2000 + i % 25}."
                          for i in range(30_000))
    assert len(prediction) > 1_500_000
    predictions = _jsonl(tmp_path / "preds.jsonl", json.dumps({**GOOD_PREDICTION, "prediction": prediction}))
    out = tmp_path / "report"
    proc = _cli(["eval", "--predictions", str(predictions), "--out", str(out), "--tokenizer", "tiny-random"],
                timeout=240)
    observe("`eval --predictions` with one prediction of 1.6 MB", proc.returncode, proc.stderr)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert len(page) < 600_000 < len(prediction)  # 20,000 characters shown, marked up, and its claims table
    from filingsum.eval.report_html import MAX_SHOWN_SUMMARY_CHARS

    assert f"[… {len(prediction) - MAX_SHOWN_SUMMARY_CHARS:,} more characters]" in page
    assert "<mark" in page and 'class="claims"' in page  # the part shown is still checked


def test_eval_interrupted_while_writing_report_html_names_the_report_files_it_wrote(tmp_path):
    """[G5] SIGTERM while report.html was written said "no report was written" although report.json and report.md
    were. The SIGTERM is sent by the process to itself as report.html's rendering starts (tests/_fault_cli.py)."""
    predictions = _jsonl(tmp_path / "preds.jsonl", json.dumps(GOOD_PREDICTION))
    out = tmp_path / "report"
    fault = {"target": "filingsum.eval.report:render_html", "after": 0, "fault": "sigterm"}
    proc = subprocess.run([sys.executable, str(FAULT_CLI), json.dumps(fault), "--", "eval", "--predictions",
                           str(predictions), "--out", str(out), "--tokenizer", "tiny-random"], env=ENV,
                          capture_output=True, text=True, timeout=240, cwd=REPO)
    observe("`eval --predictions`: SIGTERM while report.html is written", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 143, "terminated (SIGTERM)",
                            f"report.json and report.md were written to {out}; report.html was not",
                            "rerun the same command")
    assert (out / "report.json").is_file() and (out / "report.md").is_file() and not (out / "report.html").exists()


def test_eval_interrupted_before_any_report_file_says_none_was_written_even_beside_an_old_report(tmp_path):
    """The note counts only what this run wrote: an earlier run's report in --out is not taken for this one's."""
    predictions = _jsonl(tmp_path / "preds.jsonl", json.dumps(GOOD_PREDICTION))
    out = tmp_path / "report"
    out.mkdir()
    earlier = {"report.json": '{"schema_version": 1, "systems": {}}', "report.md": "# filingsum eval report\n"}
    for name, text in earlier.items():  # an earlier run's report (eval replaces only that: a user's file is refused)
        (out / name).write_text(text, encoding="utf-8")
        os.utime(out / name, (time.time() - 3600, time.time() - 3600))
    fault = {"target": "filingsum.eval.report:atomic_write_json", "after": 0, "fault": "sigterm"}
    proc = subprocess.run([sys.executable, str(FAULT_CLI), json.dumps(fault), "--", "eval", "--predictions",
                           str(predictions), "--out", str(out), "--tokenizer", "tiny-random"], env=ENV,
                          capture_output=True, text=True, timeout=240, cwd=REPO)
    assert_one_line_failure(proc.returncode, proc.stderr, 143, "no report was written; rerun the same command")


# --- G1 / G6: a distributed training's workers never outlive their launcher; SIGTERM is one line and exit 143 ----


def _ddp_train(tmp_path: Path, launch: list[str]) -> tuple[subprocess.Popen, Path, Path]:
    """A 2-process DDP training of tiny-random on the CPU that would run for hours, started by ``launch`` (its
    stderr in a file: the workers hold it too). Returns once the workers train (rank 0 holds the run dir's lock)."""
    from _training_data import write_config, write_dataset

    data = write_dataset(tmp_path / "data", n_train=2, chars=200)
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "run", batch_size=1, max_steps=100_000, save_steps=5,
                          group_by_length=False, lora={"dropout": 0.0})
    err = tmp_path / "stderr.txt"
    with open(err, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen([*launch, "--config", str(config)], env={**ENV, "OMP_NUM_THREADS": "1"}, cwd=tmp_path,
                                stdout=fh, stderr=fh, text=True)
    lock = tmp_path / ".run.lock"
    deadline = time.monotonic() + 240
    while not (tmp_path / "run" / "checkpoints" / "checkpoint-5").is_dir() and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lock.exists() and proc.poll() is None, err.read_text()[-3000:]
    return proc, lock, err


def _workers(launcher: subprocess.Popen) -> list:
    import psutil

    workers = [p for p in psutil.Process(launcher.pid).children(recursive=True)
               if "filingsum.cli" in " ".join(p.cmdline())]
    assert len(workers) == 2, workers
    return workers


def _gone(workers: list, within_s: float) -> bool:
    import psutil

    def running(p: psutil.Process) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + within_s
    while any(running(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [p for p in workers if running(p)]
    for p in alive:  # never leave a worker behind, whatever the test found
        p.kill()
    return not alive


def _accelerate(*extra: str) -> list[str]:
    from filingsum.serving.launcher import free_port

    return [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
            str(REPO / "configs" / "accelerate-ddp-cpu.yaml"), "--num_processes", "2", "--main_process_port",
            str(free_port()), *extra, "-m", "filingsum.cli", "train"]


@pytest.mark.slow  # a 2-process launch: ~20 s on 2 busy CPU cores
def test_kill_9_of_the_accelerate_launcher_stops_its_training_workers(tmp_path):
    """[G1] `kill -9` of `accelerate launch ... -m filingsum.cli train` left both DDP workers training under PID 1,
    and a rerun was refused as "in use" until they finished. Each worker asks the kernel for SIGTERM when its
    launcher dies (PR_SET_PDEATHSIG) and unwinds as on any SIGTERM: checkpoints kept, the lock released."""
    launcher, lock, err = _ddp_train(tmp_path, _accelerate())
    workers = _workers(launcher)
    launcher.kill()
    launcher.wait(30)
    gone = _gone(workers, within_s=30)
    stderr = err.read_text()
    observe("`kill -9` of the `accelerate launch` of a 2-process training", -9, stderr, lost=int(not gone))
    assert gone, stderr[-3000:]
    assert not lock.exists()  # released: a rerun resumes at once
    assert stderr.count("filingsum: terminated (SIGTERM); checkpoints saved so far are kept") == 2, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]


def test_a_sigterm_that_lands_in_a_finalizer_still_stops_the_command(tmp_path):
    """[G1] the first try of the fix: the workers' SIGTERM landed in a ``__del__`` run by the garbage collector, where
    Python prints "Exception ignored" and goes on, and they trained on. The interrupt is delivered again."""
    program = (
        "import os, signal, sys, time\n"
        "from filingsum.cli import main\n"
        "import filingsum.cli.models as stage\n"
        "class Finalized:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        for _ in range(100000): pass  # the handler runs here, inside __del__\n"
        "def run(args):\n"
        "    Finalized()\n"
        "    time.sleep(30)\n"
        "    return 0\n"
        "stage.run = run\n"
        "sys.exit(main(['models', 'check', 'x']))\n"
    )
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", program], env=ENV, capture_output=True, text=True, timeout=60,
                          cwd=REPO)
    observe("SIGTERM landing in a finalizer (__del__)", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 143, "terminated (SIGTERM)")
    assert time.monotonic() - started < 20


@pytest.mark.slow  # a 2-process launch: ~20 s on 2 busy CPU cores
def test_sigterm_to_filingsum_train_launch_is_one_line_exit_143_and_keeps_the_checkpoints(tmp_path):
    """[G6] SIGTERM to `accelerate launch` training: the workers said their line, then torch's launcher printed its
    SignalException traceback and exited 1. `filingsum train --launch ACCELERATE_CONFIG` runs the same launcher in
    the filingsum process: the workers stop with their checkpoints, and it exits 143 with one line."""
    import yaml

    from filingsum.serving.launcher import free_port

    accelerate = yaml.safe_load((REPO / "configs" / "accelerate-ddp-cpu.yaml").read_text())
    accelerate_config = tmp_path / "accelerate.yaml"
    accelerate_config.write_text(yaml.safe_dump({**accelerate, "main_process_port": free_port()}))
    launcher, lock, err = _ddp_train(tmp_path, [sys.executable, "-m", "filingsum.cli", "train", "--launch",
                                                str(accelerate_config)])
    workers = _workers(launcher)
    launcher.send_signal(signal.SIGTERM)
    status = launcher.wait(60)
    gone = _gone(workers, within_s=30)
    stderr = err.read_text()
    observe("SIGTERM to `filingsum train --launch` (a 2-process training)", status, stderr, lost=int(not gone))
    assert_one_line_failure(status, stderr, 143, "terminated (SIGTERM)", "checkpoints saved so far are kept in",
                            "rerun the same command to resume")
    assert gone and not lock.exists()
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-5").is_dir()


def test_train_launch_starts_its_workers_without_its_own_options():
    from filingsum.cli.train_launch import worker_argv

    argv = ["-v", "train", "--launch", "a.yaml", "--config", "c.yaml", "--num-processes=4", "--set", "train.x=1"]
    assert worker_argv(argv) == ["-v", "train", "--config", "c.yaml", "--set", "train.x=1"]
    proc = _cli(["train", "--config", str(REPO / "configs" / "smollm2-quality-cpu.yaml"), "--num-processes", "2"])
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "--num-processes needs --launch")


def test_eval_of_a_dataset_split_with_a_row_nested_100000_deep_is_one_line(tmp_path):
    """[G4, beside the probe's list] `eval --config` read the split with read_jsonl and caught nothing: a row nested
    100,000 deep in test.jsonl was a traceback."""
    from _training_data import write_dataset

    data = write_dataset(tmp_path / "data", n_train=1)
    _jsonl(data / "test.jsonl", DEEP)
    config = tmp_path / "eval.yaml"
    config.write_text(f"model: {{name: tiny-random}}\ndata: {{out_dir: {data}}}\n"
                      f"eval: {{systems: [lead-k], out_dir: {tmp_path / 'report'}}}\n", encoding="utf-8")
    proc = _cli(["eval", "--config", str(config)])
    observe("`eval --config` on a test.jsonl with a row nested 100,000 deep", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, str(data / "test.jsonl"), "nested more than", "line 1")
