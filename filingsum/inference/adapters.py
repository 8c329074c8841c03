"""LoRA adapters in one place: read an adapter's config (rank, base model), merge it into its base, and cache
merged dirs for servers that cannot load adapters (transformers serve on CPU, engines without LoRA).

- ``adapter_base_model`` is the one base-model lookup: ``required=True`` raises (a merge needs a base),
  the default returns None (serving falls back to the run config's model).
- ``merge_adapter`` folds an adapter into its base: the base is loaded in float32 (never 4-bit, even for a
  QLoRA adapter: merging into quantized weights loses precision), ``merge_and_unload()`` leaves a plain
  model, and the adapter dir's tokenizer (with the training chat template) is saved beside it.
- ``merged_model_dir`` caches merges under ``<cache_root>/models/merged-<adapter-hash>``: the key covers the
  adapter's files and its base model, so retraining gives a new dir and serving the same one twice merges once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from filingsum.core.contract import copy_contract
from filingsum.core.io import follow_umask, sha256_file
from filingsum.core.models import (
    ADAPTER_CONFIG,
    AdapterError,
    ModelResolutionError,
    cached_build,
    find_adapter_dir,
    load_model,
    resolve_model,
)

log = logging.getLogger(__name__)

# A merge failure is an adapter problem; the name stays for callers that catch merge errors.
MergeError = AdapterError


# --- the adapter's config --------------------------------------------------------------------------


def read_adapter_config(adapter_dir: str | Path) -> dict:
    """adapter_config.json of an adapter dir (or a run dir's adapter/); AdapterError when absent or broken."""
    path = find_adapter_dir(adapter_dir) / ADAPTER_CONFIG
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdapterError(f"{path}: unreadable adapter config ({exc})") from None


def adapter_rank(adapter_dir: str | Path) -> int:
    """The largest LoRA rank in an adapter (``r``, or any per-module ``rank_pattern`` value)."""
    config = read_adapter_config(adapter_dir)
    ranks = [int(config.get("r") or 0), *(int(v) for v in (config.get("rank_pattern") or {}).values())]
    rank = max(ranks)
    if rank < 1:
        raise AdapterError(f"{adapter_dir}: adapter_config.json has no LoRA rank 'r'")
    return rank


def adapter_base_model(adapter_dir: str | Path, *, required: bool = False) -> str | None:
    """The base model an adapter was trained on (``base_model_name_or_path``); None when unrecorded, or
    AdapterError with ``required=True``."""
    base = read_adapter_config(adapter_dir).get("base_model_name_or_path") or None
    if base is None and required:
        raise AdapterError(
            f"{find_adapter_dir(adapter_dir) / ADAPTER_CONFIG}: base_model_name_or_path is empty; "
            "cannot tell which base to merge into"
        )
    return base


def adapter_hash(adapter_dir: str | Path, base: str) -> str:
    """sha256 over the adapter's files (names and bytes) and the base model it is merged into."""
    adapter_dir = find_adapter_dir(adapter_dir)
    digest = hashlib.sha256(f"base={base}\n".encode())
    for path in sorted(p for p in adapter_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(adapter_dir)).encode() + b"\0")
        sha256_file(path, digest)
    return digest.hexdigest()


# --- merge -----------------------------------------------------------------------------------------


def merge_adapter(adapter_dir: str | Path, out_dir: str | Path, *, base_model: str | None = None) -> Path:
    """Merge `adapter_dir` into its base (``base_model``, else the recorded one) and write safetensors +
    tokenizer to `out_dir` atomically: a staging dir renamed into place, so a killed merge leaves nothing."""
    import shutil

    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    adapter_dir, out_dir = find_adapter_dir(adapter_dir), Path(out_dir)
    base = resolve_model(base_model or adapter_base_model(adapter_dir, required=True))  # type: ignore[arg-type]
    model = load_model(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    tokenizer_src = adapter_dir if (adapter_dir / "tokenizer_config.json").exists() else Path(base)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_src)

    staging = out_dir.with_name(f".{out_dir.name}.merging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        copy_contract(adapter_dir, staging)  # the merged model keeps the adapter's inference contract
        follow_umask(staging)  # safetensors writes model.safetensors 0600; every other output follows the umask
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a full disk or Ctrl-C leaves no half-written staging dir
        raise
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    log.info("merged %s into %s -> %s", adapter_dir, base, out_dir)
    return out_dir


def merged_model_dir(adapter_dir: str | Path, base: str | None = None, fallback_base: str | None = None) -> Path:
    """A cached merged model dir for an adapter (built once per adapter hash and base).

    The base is ``base`` if given, else the adapter's recorded ``base_model_name_or_path`` when it still
    resolves here, else ``fallback_base`` (the run config's model: a recorded path from another machine).
    """
    adapter_dir = find_adapter_dir(adapter_dir)
    candidates = [b for b in (base, adapter_base_model(adapter_dir), fallback_base) if b]
    base_dir = None
    for candidate in candidates:
        try:
            base_dir = resolve_model(candidate)
        except ModelResolutionError as exc:
            log.warning("base model %r for %s does not resolve here (%s)", candidate, adapter_dir, exc)
            continue
        if Path(candidate).is_absolute() and not Path(base_dir).exists():
            continue
        break
    if base_dir is None:
        raise AdapterError(f"{adapter_dir}: no usable base model (tried {', '.join(candidates) or 'none'})")
    key = adapter_hash(adapter_dir, base_dir)[:16]
    log.info("merging adapter %s into %s (cached by adapter hash %s)", adapter_dir, base_dir, key)
    return cached_build(f"merged-{key}", lambda out: merge_adapter(adapter_dir, out, base_model=base_dir))
