"""Digests of files and of settings: the sha256 of a file's bytes, and stable keys for journals."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

_HASH_BLOCK = 1 << 22


def sha256_file(path: str | os.PathLike[str], digest: Any = None) -> str:
    """Hex sha256 of a file's bytes, read in 4 MiB blocks; with ``digest``, the file is fed into it (for a
    hash over several files) and its running hex digest is returned."""
    digest = digest if digest is not None else hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def stable_hash(*parts: Any) -> str:
    """sha256 of JSON-serialised parts (sorted keys): a journal key."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
