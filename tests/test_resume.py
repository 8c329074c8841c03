"""Kill a real `filingsum train` subprocess after its first checkpoint, rerun the same command, and check it
resumed and ended with the adapter an uninterrupted run produces."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests._training_data import write_config, write_dataset

REPO = Path(__file__).resolve().parents[1]

# The real CLI, with each optimizer step slowed down so the test can kill it between checkpoints (the tiny
# model trains 4 steps in well under a second). The sleep changes timing only, never the computation.
SLOW_CLI = """
import sys, time
import transformers
_step = transformers.Trainer.training_step
def training_step(self, *args, **kwargs):
    time.sleep(float(sys.argv[1]))
    return _step(self, *args, **kwargs)
transformers.Trainer.training_step = training_step
from filingsum.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _cli(config: Path, delay: float) -> list[str]:
    return [sys.executable, "-c", SLOW_CLI, str(delay), "train", "--config", str(config)]


def _complete(checkpoint: Path) -> bool:
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
        return True
    except (OSError, ValueError):
        return False


def test_killed_run_resumes_to_the_same_adapter(tmp_path):
    data = write_dataset(tmp_path / "data", n_train=6, chars=160)
    common = dict(max_steps=4, save_steps=1, save_total_limit=10, seed=7, lora={"dropout": 0.1},
                  learning_rate=1e-2, lr_scheduler="linear", warmup_ratio=0.25)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    interrupted = write_config(tmp_path / "a.yaml", data, tmp_path / "run_a", **common)
    proc = subprocess.Popen(_cli(interrupted, 3.0), cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = tmp_path / "run_a" / "checkpoints" / "checkpoint-1"
    deadline = time.time() + 300
    while not _complete(first) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert _complete(first), "the first checkpoint never appeared"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "run_a" / "adapter").exists()  # it really died mid-run
    steps_done = max(int(p.name.split("-")[1]) for p in first.parent.glob("checkpoint-*") if _complete(p))
    assert steps_done < 4

    rerun = subprocess.run(_cli(interrupted, 0.0), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    metrics = json.loads((tmp_path / "run_a" / "metrics.json").read_text())
    assert metrics["resumed_from"].endswith(f"checkpoint-{steps_done}")
    assert metrics["global_step"] == 4
    state = json.loads((tmp_path / "run_a" / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    logged_steps = [e["step"] for e in state["log_history"] if "loss" in e]
    assert logged_steps == [1, 2, 3, 4]  # history carried over from the killed run, then continued

    straight = write_config(tmp_path / "b.yaml", data, tmp_path / "run_b", **common)
    once = subprocess.run(_cli(straight, 0.0), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert once.returncode == 0, once.stderr[-2000:]

    resumed = load_file(tmp_path / "run_a" / "adapter" / "adapter_model.safetensors")
    uninterrupted = load_file(tmp_path / "run_b" / "adapter" / "adapter_model.safetensors")
    assert resumed.keys() == uninterrupted.keys()
    for name in resumed:
        # Same seed, same sampler order (skipped batches on resume), restored optimizer/scheduler/RNG
        # (dropout masks): equal up to float reduction order.
        torch.testing.assert_close(resumed[name], uninterrupted[name], rtol=1e-5, atol=1e-6)
    losses_a = [e["loss"] for e in state["log_history"] if "loss" in e]
    state_b = json.loads((tmp_path / "run_b" / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    losses_b = [e["loss"] for e in state_b["log_history"] if "loss" in e]
    assert losses_a == pytest.approx(losses_b, rel=1e-5)
