"""Cheap integrity checks of a local model dir, before a long run fails on it with a library traceback: its JSON
configs parse, and each safetensors file's header fits the file (a torn copy, a truncated download)."""

from __future__ import annotations

import json
from pathlib import Path


def model_dir_problem(path: Path) -> str | None:
    """Why a local model dir cannot be loaded, found cheaply (its JSON configs parsed, each safetensors file's
    header read and checked against the file's size), before a long run fails on it with a library traceback:
    a torn config.json, a truncated model.safetensors. None when nothing is wrong that these checks see."""
    for name in ("config.json", "adapter_config.json", "tokenizer_config.json", "generation_config.json"):
        file = path / name
        if file.is_file():
            try:
                json.loads(file.read_text(encoding="utf-8"))
            except (ValueError, OSError) as exc:
                return f"{name} is not valid JSON ({exc})"
    for file in sorted(path.glob("*.safetensors")):
        problem = _safetensors_problem(file)
        if problem:
            return f"{file.name}: {problem}"
    return None


def _safetensors_problem(file: Path) -> str | None:
    """A safetensors file's layout checked without reading its tensors: an 8-byte header length, a JSON header
    that fits the file, and tensor data that ends within it."""
    try:
        size = file.stat().st_size
        with open(file, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return f"{size} bytes, shorter than a safetensors header"
            length = int.from_bytes(head, "little")
            if length > size - 8:
                return f"header of {length} bytes in a file of {size} (truncated)"
            header = json.loads(fh.read(length))
    except (OSError, ValueError) as exc:
        return f"unreadable safetensors header ({exc})"
    ends = [int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__" and isinstance(t, dict)
            and isinstance(t.get("data_offsets"), list) and len(t["data_offsets"]) == 2]
    if ends and 8 + length + max(ends) > size:
        return f"tensors end at byte {8 + length + max(ends)} of a {size}-byte file (truncated)"
    return None
