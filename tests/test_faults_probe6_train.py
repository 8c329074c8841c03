"""Two faults the sixth probe found in rerunning a finished `filingsum train` with changed settings, injected for
real: the CLI in a subprocess on tiny-random, on a copy of one finished 4-step run (checkpoints 2 and 4).

- A new LoRA rank (or target modules, or method) could not load the checkpoints: a traceback, exit 1, and a run
  dir left corrupted (config.resolved.yaml rewritten, finished.json deleted). Now: one line, exit 2, before the
  run dir is touched.
- Another setting (learning rate) on a finished run trained no step, exit 0, yet rewrote config.resolved.yaml,
  metrics and the adapter as if the new setting had made them. Now: one line, exit 2, the run left as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from _training_data import write_config, write_dataset
from test_faults import ENV, REPO, assert_one_line_failure, observe


def _cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a run dir by relative path (config.resolved.yaml, data.json, finished.json, metrics.json,
    adapter/, checkpoints/, logs/, ...)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """(config, run dir) of a finished run: 4 steps over 2 examples (2 epochs), checkpoints at steps 2 and 4."""
    root = tmp_path_factory.mktemp("finished")
    data = write_dataset(root / "data", n_train=2, chars=160)
    config = write_config(root / "run.yaml", data, root / "run", max_steps=4, save_steps=2, save_total_limit=10)
    done = _cli(["train", "--config", str(config)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert (root / "run" / "finished.json").is_file()
    return config, root / "run"


def _copy(finished: tuple[Path, Path], tmp_path: Path) -> tuple[list[str], Path]:
    """The train command on a copy of the finished run dir, and that copy."""
    config, run = finished
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    return ["train", "--config", str(config), "--set", f"train.output_dir={copy}"], copy


@pytest.mark.parametrize(("setting", "named"), [
    ("train.lora.r=8", "train.lora.r 16, now 8"),
    ("train.lora.target_modules=[q_proj, v_proj]", "train.lora.target_modules all-linear, now q_proj,v_proj"),
    ("train.method=full", "train.method lora, now full"),
])
def test_a_shape_changing_setting_stops_before_the_run_dir_is_touched(finished, tmp_path, setting, named):
    """The checkpoints hold weights of another shape: loading them failed with a traceback (size mismatch) after
    config.resolved.yaml had been rewritten and finished.json deleted. Now one line (exit 2) naming the setting
    and the way on, and every file of the run dir byte for byte as it was; a plain rerun is still the no-op."""
    train, run = _copy(finished, tmp_path)
    before = _files(run)
    proc = _cli([*train, "--set", setting])
    observe(f"`train`: finished run rerun with {setting}", proc.returncode, proc.stderr,
            wrong=int(_files(run) != before))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "change the shape of the trained weights", named,
                            "--no-resume to start over", "another train.output_dir")
    assert _files(run) == before

    again = _cli(train)  # the original settings: a no-op, without a "settings differ" warning
    assert again.returncode == 0, again.stderr[-3000:]
    assert "settings differ" not in again.stderr and "already finished" in again.stderr
    assert _files(run) == before


def test_a_shape_changing_setting_stops_an_unfinished_run_too(finished, tmp_path):
    """Killed after checkpoint-2: a resume with another rank would load checkpoint-2 and fail the same way."""
    train, run = _copy(finished, tmp_path)
    for part in ("finished.json", "metrics.json", "run_card.md", "loss.png"):
        (run / part).unlink()
    shutil.rmtree(run / "adapter")
    shutil.rmtree(run / "checkpoints" / "checkpoint-4")
    before = _files(run)
    proc = _cli([*train, "--set", "train.lora.r=4"])
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "train.lora.r 16, now 4", "--no-resume")
    assert _files(run) == before


@pytest.mark.parametrize("settings", [
    ["train.learning_rate=0.05"],
    ["train.learning_rate=0.05", "train.max_steps=-1", "train.epochs=2"],  # 2 epochs of 2 steps: step 4 again
])
def test_another_setting_on_a_finished_run_trains_nothing_and_keeps_its_record(finished, tmp_path, settings):
    """Resuming from the final checkpoint trained no step, exited 0 and rewrote config.resolved.yaml (the new
    learning rate), finished.json, metrics.json and the adapter as if the new settings had made them. Now one line
    (exit 2: the command cannot do what it was given) saying nothing was trained, and every file as it was."""
    train, run = _copy(finished, tmp_path)
    before = _files(run)
    proc = _cli([*train, *(arg for s in settings for arg in ("--set", s))])
    observe(f"`train`: finished run rerun with {' '.join(settings)}", proc.returncode, proc.stderr,
            wrong=int(_files(run) != before))
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "already finished (step 4)",
                            "train.learning_rate 0.01, now 0.05", "nothing was trained", "--no-resume",
                            "train.max_steps")
    assert _files(run) == before
    for part in ("config.resolved.yaml", "finished.json", "metrics.json", "adapter/adapter_model.safetensors"):
        assert part in before


def test_changed_settings_still_resume_when_there_is_more_to_train(finished, tmp_path):
    """A finished run given more steps goes on from its final checkpoint with the new settings; an unfinished one
    resumes with them, as before (with the warning)."""
    train, run = _copy(finished, tmp_path)
    more = _cli([*train, "--set", "train.max_steps=6", "--set", "train.learning_rate=0.05"])
    assert more.returncode == 0, more.stderr[-3000:]
    assert "resuming with the new ones" in more.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["resumed_from"].endswith("checkpoint-4") and metrics["global_step"] == 6
    assert yaml.safe_load((run / "config.resolved.yaml").read_text())["train"]["learning_rate"] == 0.05
    assert json.loads((run / "finished.json").read_text())["global_step"] == 6

    train, run = _copy(finished, tmp_path / "unfinished")
    (run / "finished.json").unlink()
    shutil.rmtree(run / "checkpoints" / "checkpoint-4")
    resumed = _cli([*train, "--set", "train.learning_rate=0.05"])
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming with the new ones" in resumed.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["resumed_from"].endswith("checkpoint-2") and metrics["global_step"] == 4
