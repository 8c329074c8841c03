"""The run directory (train.output_dir): where its parts go, and whether it has room for the checkpoints.

Layout (docs/training.md): adapter/ (lora, qlora) or model/ (full), checkpoints/, logs/, merged/,
config.resolved.yaml, data.json, metrics.json, loss.png, run_card.md, finished.json.
"""

from __future__ import annotations

import os
from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.core.errors import UsageError
from filingsum.core.preflight import require_free_space

CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"
FULL_MODEL = "model"
MERGED = "merged"
LOGS = "logs"
RESOLVED_CONFIG = "config.resolved.yaml"  # the config as run (training.outputs.stored_config), read on resume
WRITTEN_PARTS = (ADAPTER, FULL_MODEL, MERGED, CHECKPOINTS, LOGS)


def model_output_dir(run_dir: Path, method: str) -> Path:
    """Where the trained weights go: adapter/ for lora and qlora, model/ for method=full."""
    return run_dir / (FULL_MODEL if method == "full" else ADAPTER)


def check_free_space(run_dir: Path, trainable: int, total: int, config: RunConfig) -> None:
    """Enough room for the checkpoints the run keeps (weights + two Adam moments of the trained parameters,
    the full model too for method=full), before the first step rather than at the first save."""
    t = config.train
    per_checkpoint = trainable * 4 * 3 + (total * 4 if t.method == "full" else 0)
    require_free_space(run_dir, per_checkpoint * (t.save_total_limit + 1), what="run directory (train.output_dir)")


def check_written_parts(run_dir: Path) -> None:
    """The parts a run writes into (adapter/, model/, merged/, checkpoints/, logs/) are plain directories of
    plain files and directories, or absent: transformers' and peft's ``save_pretrained`` write through a symlink,
    so a run dir whose adapter/ links to another run's (or the shipped) adapter would overwrite that one.
    UsageError (exit 2) naming the entry, before the model is loaded."""
    for name in WRITTEN_PARTS:
        part = run_dir / name
        entries = [part] + (sorted(part.iterdir()) if part.is_dir() and not part.is_symlink() else [])
        for entry in entries:
            problem = _unsafe_entry(entry, is_part=entry == part)
            if problem:
                raise UsageError(f"{entry}: {problem}; training writes its {name}/ here and would write through "
                                 "it: remove it, or choose another train.output_dir")


def _unsafe_entry(entry: Path, *, is_part: bool) -> str | None:
    """Why a run would write through ``entry`` (None: absent, a real directory, or a regular file inside a part)."""
    if entry.is_symlink():
        return f"a symlink to {os.readlink(entry)}"
    if not os.path.lexists(entry) or entry.is_dir():
        return None
    if entry.is_file():
        return "a file, not a directory" if is_part else None
    return "not a regular file or directory"
