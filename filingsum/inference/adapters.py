"""Merge a LoRA adapter into its base for servers that cannot load adapters (transformers serve on CPU).

The merge itself is the training stage's (``training.merge.merge_adapter``); this module adds the cache.

Merged dirs are cached under ``<cache_root>/merged/<adapter-hash>``: the key covers the adapter's files and
its base model, so retraining the adapter gives a new dir and serving the same one twice merges once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from filingsum.core.models import ADAPTER_CONFIG, AdapterError, find_adapter_dir

log = logging.getLogger(__name__)

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


def merged_model_dir(adapter_dir: str | Path, base: str | None = None, fallback_base: str | None = None) -> Path:
    """A cached merged model dir for an adapter (built once per adapter hash and base).

    The base is ``base`` if given, else the adapter's recorded ``base_model_name_or_path`` when it still
    resolves here, else ``fallback_base`` (the run config's model: a recorded path from another machine).
    """
    from filingsum.core.models import ModelResolutionError, _cached_build, resolve_model
    from filingsum.inference.train_merge import merge_adapter

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
    return _cached_build(f"merged-{key}", lambda out: merge_adapter(adapter_dir, out, base_model=base_dir))
