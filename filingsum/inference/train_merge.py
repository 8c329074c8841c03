"""Fold a LoRA adapter into its base model: one plain safetensors model dir that any server loads.

Serving on CPU (transformers backend) or with engines that do not take adapters uses this. The base is
loaded in float32 (never 4-bit, even for a QLoRA adapter: merging into quantized weights loses precision),
the adapter applied and `merge_and_unload()` leaves an ordinary model; the adapter dir's tokenizer (with the
training chat template) is saved beside it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from filingsum.core.errors import FilingsumError

log = logging.getLogger(__name__)


class MergeError(FilingsumError):
    """The adapter dir cannot be merged (not a peft adapter, base model missing)."""


def adapter_base_model(adapter_dir: str | Path) -> str:
    """The base model an adapter was trained on (`base_model_name_or_path` in adapter_config.json)."""
    config_path = Path(adapter_dir) / "adapter_config.json"
    if not config_path.is_file():
        raise MergeError(f"{adapter_dir}: not a peft adapter dir (no adapter_config.json)")
    base = json.loads(config_path.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise MergeError(f"{config_path}: base_model_name_or_path is empty; cannot tell which base to merge into")
    return base


def merge_adapter(adapter_dir: str | Path, out_dir: str | Path, *, base_model: str | None = None) -> Path:
    """Merge `adapter_dir` into its base and write safetensors + tokenizer to `out_dir` (atomically: a
    staging dir renamed into place, so a killed merge never leaves a half-written model)."""
    import shutil

    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    from filingsum.core.models import load_model, resolve_model

    adapter_dir, out_dir = Path(adapter_dir), Path(out_dir)
    base = resolve_model(base_model or adapter_base_model(adapter_dir))
    model = load_model(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    tokenizer_src = adapter_dir if (adapter_dir / "tokenizer_config.json").exists() else Path(base)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_src)

    staging = out_dir.with_name(f".{out_dir.name}.merging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    log.info("merged %s into %s -> %s", adapter_dir, base, out_dir)
    return out_dir
