"""Merge a LoRA adapter into its base for servers that cannot load adapters (transformers serve on CPU).

Merged dirs are cached under ``<cache_root>/merged/<adapter-hash>``: the key covers the adapter's files and
its base model, so retraining the adapter gives a new dir and serving the same one twice merges once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

from filingsum.errors import FilingsumError

log = logging.getLogger(__name__)

ADAPTER_CONFIG = "adapter_config.json"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")


class AdapterError(FilingsumError):
    """An adapter dir that cannot be served: missing, unreadable, or without a usable base model."""


def find_adapter_dir(path: str | Path) -> Path:
    """The dir holding adapter_config.json: the path itself, or a training run dir's ``adapter/``."""
    path = Path(path).expanduser()
    for candidate in (path, path / "adapter"):
        if (candidate / ADAPTER_CONFIG).is_file():
            return candidate.resolve()
    raise AdapterError(f"{path}: no {ADAPTER_CONFIG} (expected a peft adapter dir or a run dir with adapter/)")


def read_adapter_config(adapter_dir: str | Path) -> dict:
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


def adapter_base_model(adapter_dir: str | Path) -> str | None:
    return read_adapter_config(adapter_dir).get("base_model_name_or_path") or None


def adapter_hash(adapter_dir: str | Path, base: str) -> str:
    """sha256 over the adapter's files (names and bytes) and the base model it is merged into."""
    adapter_dir = find_adapter_dir(adapter_dir)
    digest = hashlib.sha256(f"base={base}\n".encode())
    for path in sorted(p for p in adapter_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(adapter_dir)).encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def merge_adapter_into(adapter_dir: Path, out_dir: Path, base: str) -> None:
    """Write base + adapter merged (``merge_and_unload``) as a plain safetensors model dir with a tokenizer."""
    import torch
    from peft import PeftModel

    from filingsum.models import load_model, load_tokenizer

    model = load_model(base, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(out_dir, safe_serialization=True)
    # The tokenizer saved with the run (chat template included) wins over the base's.
    has_own = any((adapter_dir / name).exists() for name in ("tokenizer.json", "tokenizer_config.json"))
    tokenizer = load_tokenizer(str(adapter_dir) if has_own else base)
    tokenizer.save_pretrained(out_dir)
    if (adapter_dir / "chat_template.jinja").exists():
        shutil.copy2(adapter_dir / "chat_template.jinja", out_dir / "chat_template.jinja")


def merged_model_dir(adapter_dir: str | Path, base: str | None = None) -> Path:
    """A cached merged model dir for an adapter (built once per adapter hash)."""
    from filingsum.models import _cached_build, resolve_model

    adapter_dir = find_adapter_dir(adapter_dir)
    base = base or adapter_base_model(adapter_dir)
    if not base:
        raise AdapterError(f"{adapter_dir}: adapter_config.json names no base_model_name_or_path; give the base")
    base_dir = resolve_model(base)
    key = adapter_hash(adapter_dir, base_dir)[:16]

    def build(out: Path) -> None:
        try:  # the training stage's merge, when present, is the one source of truth
            from training.merge import merge_adapter
        except ImportError:
            merge_adapter = None
        if merge_adapter is not None:
            merge_adapter(adapter_dir, out)
            if not (out / "config.json").exists():
                raise AdapterError(f"training.merge.merge_adapter wrote no config.json to {out}")
        else:
            merge_adapter_into(adapter_dir, out, base_dir)

    log.info("merging adapter %s into %s (cached by adapter hash %s)", adapter_dir, base_dir, key)
    return _cached_build(f"merged-{key}", build)
