"""GPU training paths: bf16/fp16 autocast, QLoRA 4-bit, flash-attention. Skipped cleanly without CUDA."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from filingsum.core.config import load_config
from tests._training_data import write_config, write_dataset

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def _run(tmp_path, **train_settings):
    from filingsum.training.trainer import train

    data = write_dataset(tmp_path / "data", n_train=2, chars=200)
    config = load_config(write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=4, **train_settings))
    return train(config)


def test_auto_precision_uses_the_gpu(tmp_path):
    result = _run(tmp_path, gradient_checkpointing=True)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    assert metrics["precision"] == expected and metrics["device"] != "cpu"
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes")
def test_qlora_trains_and_saves_a_plain_adapter(tmp_path):
    result = _run(tmp_path, method="qlora")
    config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA"


@pytest.mark.skipif(importlib.util.find_spec("flash_attn") is None, reason="needs flash-attn")
def test_flash_attention_with_packing(tmp_path):
    from filingsum.training.hardware import resolve_attn_implementation

    assert resolve_attn_implementation("auto", cuda=True, seq2seq=False) == "flash_attention_2"
    result = _run(tmp_path, packing=True)
    assert result.metrics["train_loss"] > 0
