"""Fault injection, runs (issue 20.4): numbers a config must not take, a training run that diverges, LoRA target
modules the model does not have, two `train` runs on one run directory, gold references that would be dropped
without a word, a build killed with SIGKILL, and file names that are not UTF-8. Each case asserts the exit
status, the one line the user sees (never a traceback), and that no finished work was lost or silently
replaced. Real components throughout: the real CLI (in process, or a subprocess where processes or the console
are the point), real files, `tiny-random`, real training steps and the OpenAI stand-in on 127.0.0.1.
docs/reliability.md lists the cases.
"""

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
import yaml
from _fake_openai import FakeOpenAI
from _training_data import write_config, write_dataset
from test_faults import ENV, REPO, assert_one_line_failure, data_config, last_line, observe, write_filings

from filingsum.cli import main
from filingsum.core.io import lock_path, read_jsonl

# Subprocesses see this worktree's code, and whatever the test run itself was given (PYTHONPATH) after it.
RUN_ENV = {**ENV, "PYTHONPATH": os.pathsep.join(p for p in (ENV["PYTHONPATH"], os.environ.get("PYTHONPATH")) if p)}


class _CurrentStderr:
    """sys.stderr as it is at each write (pytest swaps it per test)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture(autouse=True)
def _transformers_logs_to_this_tests_stderr(monkeypatch):
    """transformers' log handler keeps the stderr it was created with (pytest's capture of the test that first
    logged, closed since): it writes to the current one instead, or a later test's first transformers warning is
    a '--- Logging error ---' traceback on the console that no user would see."""
    import logging

    from transformers.utils import logging as transformers_logging

    transformers_logging.get_logger("transformers")  # its handler exists from here on
    for handler in logging.getLogger("transformers").handlers:
        if type(handler) is logging.StreamHandler:  # not pytest's own capture handlers
            monkeypatch.setattr(handler, "stream", _CurrentStderr())


def _cli(args: list[str], timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=env or RUN_ENV, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def _build_config(path: Path, inputs: list[Path], out: Path, **data: object) -> Path:
    config = {
        "run_name": "runs",
        "model": {"name": "tiny-random", "max_source_tokens": 512},
        "data": {"inputs": [str(p) for p in inputs], "out_dir": str(out), "references": ["extractive"],
                 "sections": ["item_1"], "split": {"validation": 0.0, "test": 0.2, "seed": 1}, "workers": 0, **data},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


# --- 1. numbers a config must not take --------------------------------------------------------------------------


@pytest.mark.parametrize("command, override, needle", [
    ("train", "train.learning_rate=.inf", "train.learning_rate"),  # trained an all-NaN adapter, exit 0
    ("train", "train.epochs=.inf", "train.epochs"),
    ("train", "train.seed=-1", "train.seed"),  # ValueError traceback from set_seed
    ("train", "train.seed=4294967296", "train.seed"),
    ("train", "train.max_steps=0", "train.max_steps"),  # trained 1 step
    ("train", "train.max_steps=-5", "train.max_steps"),  # trained for train.epochs
    ("data", "serve.startup_timeout_s=.inf", "serve.startup_timeout_s"),  # every section: one config
    ("data", "data.max_file_mb=.inf", "data.max_file_mb"),  # OverflowError traceback
    ("data", "data.max_file_mb=1e300", "data.max_file_mb"),  # every file skipped
    ("data", "eval.gates={rougeL: .nan}", "eval.gates"),  # a gate no score can pass or fail
])
def test_numbers_that_are_not_finite_or_out_of_range_are_config_errors(tmp_path, capsys, command, override, needle):
    inputs = write_filings(tmp_path / "in", [0])
    config = _build_config(tmp_path / "c.yaml", [inputs], tmp_path / "out")
    args = {"train": ["train"], "data": ["data", "build"]}[command]
    status = main([*args, "--config", str(config), "--set", override, "--set", f"train.output_dir={tmp_path}/run"])
    err = capsys.readouterr().err
    observe(f"config: `--set {override}`", status, err)
    assert_one_line_failure(status, err, 2, "config error", needle)
    assert not (tmp_path / "out").exists() and not (tmp_path / "run").exists()


def test_the_bounds_keep_every_sensible_value(tmp_path):
    from filingsum.core.config import load_config

    config = _build_config(tmp_path / "c.yaml", [tmp_path], tmp_path / "out")
    loaded = load_config(config, ["train.seed=0", "train.max_steps=-1", "data.max_file_mb=1000000"])
    assert (loaded.train.seed, loaded.train.max_steps, loaded.data.max_file_mb) == (0, -1, 1_000_000)
    loaded = load_config(config, ["train.seed=4294967295", "train.max_steps=1", "train.learning_rate=1e39"])
    assert loaded.train.seed == 2**32 - 1 and loaded.train.max_steps == 1  # a huge finite rate: see below


def test_summarize_max_file_mb_past_the_limit_is_refused_at_parse_time(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["summarize", "x.txt", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--max-file-mb", "1e300"])
    err = capsys.readouterr().err
    observe("`summarize --max-file-mb 1e300`", int(caught.value.code or 0), err)
    assert caught.value.code == 2 and "Traceback" not in err
    assert "argument --max-file-mb" in last_line(err) and "at most 1,000,000" in last_line(err)


# --- 2. training that diverges ----------------------------------------------------------------------------------


def _run_dir_state(run_dir: Path) -> tuple[list[str], bool, bool]:
    checkpoints = run_dir / "checkpoints"
    names = sorted(p.name for p in checkpoints.iterdir()) if checkpoints.is_dir() else []
    return names, (run_dir / "adapter").exists(), (run_dir / "finished.json").exists()


def test_a_learning_rate_that_overflows_stops_at_step_1_without_an_adapter(tmp_path, capsys):
    """1e39 is a finite number (the config takes it) but no float32 weight survives a step of it: the run
    stopped with exit 0, "finished", and an adapter of NaN tensors."""
    data = write_dataset(tmp_path / "data", n_train=4, chars=120)
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=3, save_steps=1, batch_size=2,
                          learning_rate=1e39)
    status = main(["train", "--config", str(config)])
    err = capsys.readouterr().err
    checkpoints, adapter, finished = _run_dir_state(tmp_path / "run")
    observe("`train`: learning rate 1e39 (the weights overflow at step 1)", status, err,
            wrong=int(adapter) + int(finished))
    line = assert_one_line_failure(status, err, 1, "training diverged at step 1", "NaN or infinite",
                                   "no checkpoint was saved", "train.learning_rate")
    assert "1e+39" in line
    assert (checkpoints, adapter, finished) == ([], False, False)


def test_a_run_that_diverges_mid_way_keeps_the_checkpoints_before_it(tmp_path, capsys, monkeypatch):
    """A learning-rate spike at step 3 (the optimizer's rate set to 1e39 for that step, as a bad schedule or
    a loss blow-up does): steps 1-2 were saved; step 3 must not be, nor any adapter or finished.json."""
    import transformers

    data = write_dataset(tmp_path / "data", n_train=4, chars=120)
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=5, save_steps=1,
                          save_total_limit=10, batch_size=1)
    original = transformers.Trainer.training_step

    def training_step(self, *args, **kwargs):
        if self.state.global_step == 2:
            for group in self.optimizer.param_groups:
                group["lr"] = 1e39  # the scheduler sets it back after this step
        return original(self, *args, **kwargs)

    monkeypatch.setattr(transformers.Trainer, "training_step", training_step)
    status = main(["train", "--config", str(config)])
    err = capsys.readouterr().err
    checkpoints, adapter, finished = _run_dir_state(tmp_path / "run")
    observe("`train`: the weights turn NaN at step 3 (checkpoints 1-2 saved)", status, err,
            wrong=int(adapter) + int(finished), lost=2 - len(checkpoints))
    line = assert_one_line_failure(status, err, 1, "training diverged at step 3", "checkpoint-2 the latest")
    assert "lower train.learning_rate" in line
    assert (checkpoints, adapter, finished) == (["checkpoint-1", "checkpoint-2"], False, False)

    from filingsum.training.checkpoints import checkpoint_problem

    assert checkpoint_problem(tmp_path / "run" / "checkpoints" / "checkpoint-2") is None  # whole, resumable


# --- 3. LoRA target modules the model does not have ----------------------------------------------------------


@pytest.mark.parametrize("modules, missing", [
    ("[nonexistent_proj]", "nonexistent_proj is not a module"),
    ("[q_proj, v_prj]", "v_prj is not a module"),  # one typo: peft would adapt q_proj alone, silently
])
def test_target_modules_the_model_lacks_are_one_line_naming_them_and_the_choices(tmp_path, capsys, modules,
                                                                                 missing):
    data = write_dataset(tmp_path / "data", n_train=2, chars=120)
    config = write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=1)
    status = main(["train", "--config", str(config), "--set", f"train.lora.target_modules={modules}"])
    err = capsys.readouterr().err
    observe(f"`train`: train.lora.target_modules={modules}", status, err)
    line = assert_one_line_failure(status, err, 2, "config error", "train.lora.target_modules", missing,
                                   "model.named_modules()", "all-linear")
    assert "q_proj" in line.split("linear layers")[1]  # the names to choose from
    assert _run_dir_state(tmp_path / "run")[1:] == (False, False)


# --- 4. two `train` runs on one run directory -------------------------------------------------------------------


def test_a_second_train_on_a_run_dir_in_use_refuses_naming_the_first(tmp_path, monkeypatch, capsys):
    """Run A trains in this process (held at its first step until B is done); B is the real CLI on the same
    train.output_dir with another learning rate. B used to resume from A's checkpoints and mix the outputs."""
    import transformers

    import filingsum.training.trainer  # noqa: F401 (imported before A starts: A's thread only trains)

    data = write_dataset(tmp_path / "data", n_train=4, chars=120)
    run_dir = tmp_path / "run"
    first = write_config(tmp_path / "a.yaml", data, run_dir, max_steps=3, save_steps=1)
    second = write_config(tmp_path / "b.yaml", data, run_dir, max_steps=3, save_steps=1, learning_rate=0.5)
    b_done, a_training = threading.Event(), threading.Event()
    original = transformers.Trainer.training_step

    def training_step(self, *args, **kwargs):
        a_training.set()
        b_done.wait(timeout=300)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(transformers.Trainer, "training_step", training_step)
    outcome: dict[str, int] = {}
    a = threading.Thread(target=lambda: outcome.update(a=main(["train", "--config", str(first)])))
    a.start()
    try:
        assert a_training.wait(timeout=300), "run A never reached its first step"
        assert lock_path(run_dir).exists()
        b = _cli(["train", "--config", str(second)])
    finally:
        b_done.set()
        a.join(timeout=600)
    capsys.readouterr()
    resolved = yaml.safe_load((run_dir / "config.resolved.yaml").read_text())
    observe("`train`: a second run on a run dir in use", b.returncode, b.stderr,
            wrong=int(resolved["train"]["learning_rate"] != 1e-2))
    assert_one_line_failure(b.returncode, b.stderr, 2, str(run_dir), f"in use by process {os.getpid()}")
    assert outcome.get("a") == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert resolved["train"]["learning_rate"] == 1e-2 and metrics["global_step"] == 3  # A's run, A's settings
    assert metrics["resumed_from"] is None
    assert not lock_path(run_dir).exists()  # released at the end


@pytest.mark.parametrize("part, kind", [("adapter", "symlink"), ("merged", "file"),
                                        ("adapter/adapter_model.safetensors", "symlink")])
def test_train_never_writes_through_a_symlinked_or_file_output_part(tmp_path, capsys, part, kind):
    """A run dir whose adapter/ (or a file in it) links to another adapter: saving would overwrite that one."""
    data = write_dataset(tmp_path / "data", n_train=2, chars=120)
    run_dir = tmp_path / "run"
    other = tmp_path / "shipped"
    other.mkdir()
    (other / "adapter_model.safetensors").write_bytes(b"shipped weights")
    entry = run_dir / part
    entry.parent.mkdir(parents=True, exist_ok=True)
    if kind == "symlink":
        entry.symlink_to(other / entry.name if entry.parent != run_dir else other)
    else:
        entry.write_text("not a directory")
    config = write_config(tmp_path / "c.yaml", data, run_dir, max_steps=1)
    status = main(["train", "--config", str(config)])
    err = capsys.readouterr().err
    observe(f"`train`: run dir {part} is a {kind}", status, err,
            lost=int((other / "adapter_model.safetensors").read_bytes() != b"shipped weights"))
    assert_one_line_failure(status, err, 2, str(entry), "would write through it")
    assert (other / "adapter_model.safetensors").read_bytes() == b"shipped weights"
    assert not (run_dir / "checkpoints").exists()  # refused before any work


# --- 5. gold references that would be dropped without a word ------------------------------------------------------


GOLD_SUMMARY = ("Acme Widgets designs and sells industrial widgets to manufacturers in North America, earning "
                "revenue from product sales and from service subscriptions billed monthly, and it sells through "
                "a direct sales force, an online store and independent dealers.")
NO_FILTERS = {"min_label_chars": 0, "drop_unsupported_numbers": False, "drop_non_prose": False}


def _gold_build(tmp_path: Path, gold: list[str]) -> tuple[int, str, Path]:
    inputs = write_filings(tmp_path / "in", [0, 1])
    out = tmp_path / "out"
    config = _build_config(tmp_path / "c.yaml", [inputs], out, gold=gold, references=["gold", "extractive"],
                           filters=NO_FILTERS)
    proc = _cli(["data", "build", "--config", str(config)])
    return proc.returncode, proc.stderr, out


def test_a_gold_file_with_a_byte_order_mark_is_read(tmp_path):
    gold = tmp_path / "gold" / "summaries.jsonl"
    gold.parent.mkdir()
    row = {"source_file": "acme_10k_2020.txt", "section": "item_1", "summary": GOLD_SUMMARY}
    gold.write_text(json.dumps(row) + "\n", encoding="utf-8-sig")  # as Notepad and Excel write it
    status, err, out = _gold_build(tmp_path, [str(gold.parent)])
    origins = {r["source_path"].rsplit("/", 1)[-1]: r["reference_origin"] for r in read_jsonl(out / "records.jsonl")}
    observe("`data build`: gold JSONL with a UTF-8 byte-order mark", status, err,
            wrong=int(origins.get("acme_10k_2020.txt") != "gold"))
    assert status == 0, err[-2000:]
    assert origins == {"acme_10k_2020.txt": "gold", "borealis_10k_2020.txt": "extractive"}


def test_a_mistyped_gold_path_is_a_usage_error_before_any_work(tmp_path):
    (tmp_path / "gold").mkdir()
    status, err, out = _gold_build(tmp_path, [str(tmp_path / "glod")])
    observe("`data build`: data.gold names a path that does not exist", status, err, wrong=int(out.exists()))
    assert_one_line_failure(status, err, 2, "data.gold", str(tmp_path / "glod"), "no such file or directory")
    assert not out.exists()  # stopped before the output dir was touched


def test_a_gold_file_without_a_usable_row_is_a_warning_on_the_console(tmp_path):
    gold = tmp_path / "gold" / "summaries.jsonl"
    gold.parent.mkdir()
    gold.write_text(json.dumps({"file": "acme_10k_2020.txt", "text": GOLD_SUMMARY}) + "\n", encoding="utf-8")
    status, err, out = _gold_build(tmp_path, [str(gold.parent)])
    warned = [line for line in err.splitlines() if "WARNING" in line and str(gold) in line]
    observe("`data build`: a gold file without one usable row", status, err, wrong=int(not warned))
    assert status == 0, err[-2000:]
    assert warned and "no usable row" in warned[0] and "'summary'" in warned[0]


# --- 6. a build killed with SIGKILL leaves no process behind ----------------------------------------------------


SLOW_BUILD = """
import sys
sys.path.insert(0, sys.argv[1])
import _extractors
import filingsum.dataset.build as build
build.extract_file = _extractors.slow_extract
from filingsum.cli import main
if __name__ == "__main__":
    sys.exit(main(sys.argv[2:]))
"""


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_kill_9_of_a_build_leaves_no_worker_forkserver_or_tracker(tmp_path):
    """Workers parse (here: sleep 60 s in) a filing each when the build is killed with SIGKILL: the forkserver,
    the resource tracker and both workers used to stay for as long as the parse took (ppid 1)."""
    import psutil

    inputs = write_filings(tmp_path / "in", range(6))
    config = _build_config(tmp_path / "c.yaml", [inputs], tmp_path / "out", workers=2)
    pids = tmp_path / "pids.txt"
    env = {**RUN_ENV, "FILINGSUM_TEST_PIDS": str(pids), "FILINGSUM_TEST_DELAY": "60"}
    log = (tmp_path / "build.log").open("wb")  # a file, not a pipe: orphans would hold a pipe open
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(REPO / "tests"), "data", "build", "--config",
                             str(config)], env=env, cwd=REPO, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if pids.exists() and len(pids.read_text().split()) >= 2:
                break
            time.sleep(0.1)
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert len(pids.read_text().split()) >= 2, "the two workers never started a file"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)
        log.close()
    try:
        deadline = time.monotonic() + 10
        while (alive := [p for p in descendants if _alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [(p.pid, " ".join(p.cmdline()[:4])[:80]) for p in alive]
    finally:
        for p in descendants:  # never leave them to the rest of the suite
            if _alive(p):
                p.kill()
    assert len(descendants) >= 3  # the forkserver and two workers at least (and the resource tracker)
    seen = (f"(killed: no message) {len(descendants) - len(left)} of {len(descendants)} helper processes "
            "(forkserver, resource tracker, workers) gone within 10 s")
    observe("`data build --workers 2` killed with SIGKILL mid-extraction", -9, seen, wrong=len(left),
            user_caused=False)
    assert not left, left


# --- 7. file names that are not UTF-8 -------------------------------------------------------------------------------


def _with_latin1_name(folder: Path) -> Path:
    """``folder`` with a filing named in Latin-1 bytes (b'caf\\xe9_10k_2020.txt'), as a tool on another system
    names it; returns its path (a str with a surrogate, as Python reads it)."""
    text = (folder / "acme_10k_2020.txt").read_text(encoding="utf-8").replace("Acme Widgets", "Cafe Provisions")
    path = Path(os.fsdecode(os.fsencode(str(folder)) + b"/caf\xe9_10k_2020.txt"))
    path.write_text(text, encoding="utf-8")
    return path


def test_build_with_a_file_name_that_is_not_utf8_keeps_it_and_resumes(tmp_path):
    inputs = write_filings(tmp_path / "in", range(3))
    odd = _with_latin1_name(inputs)
    out = tmp_path / "out"
    config = _build_config(tmp_path / "c.yaml", [inputs], out)
    proc = _cli(["data", "build", "--config", str(config)])
    observe("`data build`: an input file named in Latin-1 bytes", proc.returncode, proc.stderr)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    records = list(read_jsonl(out / "records.jsonl"))
    assert len(records) == 4
    shown = [r["source_path"] for r in records if "caf" in r["source_path"]]
    assert len(shown) == 1 and shown[0].endswith("/caf\\xe9_10k_2020.txt"), shown  # escaped, readable
    journal = [row["path"] for row in read_jsonl(out / ".work" / "extract.jsonl")]
    assert str(odd) in journal  # the name itself, byte for byte: the rerun finds the file's row

    proc = _cli(["data", "build", "--config", str(config)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "0 file(s) extracted, 4 resumed" in proc.stdout


def test_summarize_with_a_file_name_that_is_not_utf8_keeps_its_summary(tmp_path):
    inputs = write_filings(tmp_path / "in", range(2))
    _with_latin1_name(inputs)
    out = tmp_path / "sums.jsonl"
    with FakeOpenAI() as server:
        args = ["summarize", str(inputs), "--endpoint", server.base_url, "--model", "fake", "--tokenizer",
                "tiny-random", "--max-retries", "0", "--out", str(out)]
        proc = _cli(args)
        sent = server.requests
        observe("`summarize DIR --out`: an input file named in Latin-1 bytes", proc.returncode, proc.stderr,
                lost=3 - len(list(read_jsonl(out))) if out.exists() else 3)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        rows = list(read_jsonl(out))
        assert len(rows) == 3 and all(r["summary"] and not r["error"] for r in rows)
        assert [r["source_path"] for r in rows if "caf" in r["source_path"]][0].endswith("/caf\\xe9_10k_2020.txt")

        md = _cli([*args[:-1], str(tmp_path / "sums.md")])  # Markdown results, printed names
        assert md.returncode == 0 and "Traceback" not in md.stderr, md.stderr[-2000:]
        assert "caf\\xe9_10k_2020" in (tmp_path / "sums.md").read_text(encoding="utf-8")

        rerun = _cli(args)  # the journal holds all three: nothing is requested again
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert "resuming: 3 of 3" in rerun.stderr and server.requests == sent + 3  # (+3: the Markdown run)


# --- 6. configs that explode, outputs that cannot be, arguments out of range (fresh probe, 2026-12-03) -----------


def test_a_yaml_alias_bomb_or_absurd_nesting_is_one_config_error_at_once(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    lines = ["x0: &a0 [aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 8)]
    bomb.write_text("\n".join([*lines, "data:", "  inputs: *a7"]) + "\n", encoding="utf-8")
    nested = tmp_path / "nested.yaml"
    nested.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    for path, needle in ((bomb, "expands to more than 100,000 values"), (nested, "nested too deeply")):
        started = time.monotonic()
        status = main(["data", "preview", "--config", str(path)])
        err = capsys.readouterr().err
        observe(f"a config that is {'an alias bomb' if path == bomb else 'nested 5,000 deep'}", status, err,
                wrong=int(time.monotonic() - started > 30))
        assert_one_line_failure(status, err, 2, needle)


def test_the_filesystem_root_as_out_and_an_unknown_lr_scheduler_are_usage_errors(tmp_path, capsys):
    inputs = write_filings(tmp_path / "in", [0, 1])
    config = data_config(tmp_path / "build.yaml", [inputs], tmp_path / "ds")
    status = main(["data", "build", "--config", str(config), "--out", "/"])
    err = capsys.readouterr().err
    observe("`data build --out /`", status, err)
    assert_one_line_failure(status, err, 2, "the filesystem root cannot be an output")
    data = write_dataset(tmp_path / "data", n_train=2, chars=120)
    train = write_config(tmp_path / "t.yaml", data, tmp_path / "run", max_steps=1, lr_scheduler="bogus")
    status = main(["train", "--config", str(train)])
    err = capsys.readouterr().err
    observe("`train.lr_scheduler=bogus`", status, err)
    assert_one_line_failure(status, err, 2, "train.lr_scheduler", "'cosine'")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_data_fetch_without_network_or_with_an_impossible_year_is_one_line(tmp_path, capsys, monkeypatch):
    import edgar
    import httpx

    def unreachable(ticker):
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(edgar, "Company", unreachable)
    status = main(["data", "fetch", "--ticker", "CXDO", "--year", "2016", "--out", str(tmp_path / "f"),
                   "--identity", "Jane Doe jane@example.com"])
    err = capsys.readouterr().err
    observe("`data fetch` without network", status, err)
    assert_one_line_failure(status, err, 1, "cannot reach SEC EDGAR", "network access")
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "fetch", "--ticker", "CXDO", "--year", "20166", "--identity", "Jane Doe jane@example.com"])
    assert exit_info.value.code == 2 and "is not a year of EDGAR filings" in capsys.readouterr().err


def test_a_bad_set_key_is_blamed_on_set_not_the_config_file(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  name: tiny-random\n", encoding="utf-8")
    for override, needle in (("max_steps=2", "--set: max_steps: unknown key"),
                             ("train.max_step=3", "--set: train.max_step: unknown key (did you mean 'max_steps'?)"),
                             ("=2", "has an empty key")):
        status = main(["data", "preview", "--config", str(config), "--set", override])
        err = capsys.readouterr().err
        observe(f"`--set {override}`", status, err)
        line = assert_one_line_failure(status, err, 2, needle)
        assert str(config) not in line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_loadtest_stops_sending_on_sigterm_or_ctrl_c(tmp_path, sig):
    """The probe: loadtest kept sending every queued request after two SIGTERMs (the executor's exit waited on
    them all)."""
    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with FakeOpenAI(delay_s=0.3) as server:
        proc = subprocess.Popen([sys.executable, "-m", "filingsum.cli", "loadtest", "--endpoint", server.base_url,
                                 "--model", "fake", "--requests", "300", "--concurrency", "2", "--input", str(filing),
                                 "--json", str(tmp_path / "load.json")],
                                env=ENV, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while server.requests < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("loadtest kept running after the signal")
        sent = server.requests
    observe(f"`loadtest` stopped with {sig.name}", proc.returncode, err, wrong=int(sent > 40))
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err[-2000:]
    assert sent < 40 and "Traceback" not in err
