"""Multi-process training on CPU: `accelerate launch --num_processes 2` with the DDP config trains tiny-random
through the real CLI, and matches one process with the same effective batch (2 x 1 = 1 x 2): the same loss at
every step and an adapter that loads on a fresh base and gives the same logits.

FSDP is not tested here because accelerate 1.15 does not run it on CPU: its AcceleratorState only switches to
FSDP from a GPU-type setup, so an FSDP config on CPU trains as plain DDP (docs/scaling.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from filingsum.core.config import load_config
from filingsum.core.models import load_tokenizer, resolve_model
from filingsum.core.prompt import prompt_ids
from filingsum.serving.launcher import free_port
from filingsum.training.data import load_records
from filingsum.training.trainer import train
from tests._training_data import write_config, write_dataset

REPO = Path(__file__).resolve().parents[1]
# Two examples and an effective batch of two: every step sees the whole set in both runs, so the runs differ
# only in how the work is split. LoRA dropout off: its masks would depend on the process layout.
COMMON = dict(max_steps=8, seed=7, learning_rate=0.05, lora={"dropout": 0.0}, group_by_length=False)


def _losses(run: Path) -> list[float]:
    metrics = json.loads((run / "metrics.json").read_text())
    return [e["loss"] for e in metrics["log_history"] if "loss" in e]


def _launch(accelerate_config: str, config: Path, cwd: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(REPO / "configs" / accelerate_config),
        "--num_processes", "2", "--main_process_port", str(free_port()),
        "-m", "filingsum.cli", "train", "--config", str(config),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _logits(adapter: Path, ids: torch.Tensor) -> torch.Tensor:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random"))
    model = PeftModel.from_pretrained(base, str(adapter)).eval()
    with torch.no_grad():
        return model(input_ids=ids).logits


@pytest.mark.slow  # a one-process run and a 2-process launch: ~1 min on 2 busy CPU cores
def test_two_ddp_processes_train_like_one_with_the_same_effective_batch(tmp_path):
    data = write_dataset(tmp_path / "data", n_train=2, chars=200)
    single = train(load_config(write_config(tmp_path / "one.yaml", data, tmp_path / "one", batch_size=2, **COMMON)))

    config = write_config(tmp_path / "two.yaml", data, tmp_path / "two", batch_size=1, **COMMON)
    launched = _launch("accelerate-ddp-cpu.yaml", config, tmp_path)
    assert launched.returncode == 0, launched.stderr[-3000:]
    run = tmp_path / "two"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["distributed_type"] == "MULTI_CPU"
    assert metrics["train_examples"] == 2 and metrics["global_step"] == 8

    losses_one, losses_two = _losses(single.run_dir), _losses(run)
    assert len(losses_two) == 8
    assert losses_two == pytest.approx(losses_one, rel=1e-4)  # gradients averaged across processes
    assert min(losses_two[-3:]) < losses_two[0]  # and it learns

    tok = load_tokenizer("tiny-random")
    rec = load_records(data / "train.jsonl")[0]
    ids = torch.tensor([prompt_ids(tok, rec.text, rec.instruction)])
    two = _logits(run / "adapter", ids)
    torch.testing.assert_close(two, _logits(single.adapter_dir, ids), rtol=1e-3, atol=1e-3)
    from transformers import AutoModelForCausalLM

    with torch.no_grad():
        base = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random")).eval()(input_ids=ids).logits
    assert not torch.allclose(two, base, atol=1e-3)  # a trained adapter, not the untouched base
