"""Which checkpoint a run resumes from, and whether it may: the run directory's memory across reruns.

- `checkpoint_problem`: a checkpoint is usable only when trainer_state.json parses, every safetensors file
  is as long as its header says, and every torch file (optimizer.pt, scheduler.pt, rng_state.pth, ...) is
  a readable zip archive. A kill mid-save, a full disk or a damaged copy fails one of those; resuming from it
  would crash (or, for a truncated tensor file, load garbage).
- `usable_checkpoint`: the newest usable checkpoint; damaged newer ones are renamed ``damaged-checkpoint-N``
  (kept for inspection, invisible to the Trainer's rotation) with a warning.
- `run_fingerprint`: what a run's checkpoints depend on (data sha256s, model, training settings), written to
  data.json before training; `resume_mismatch` says why an existing run dir belongs to other data or another
  model (resume refused unless forced), `finished_run` whether the same run already finished (a rerun is a
  no-op).

Pure file inspection: no torch, no transformers.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from filingsum.core.io import atomic_write_json, stable_hash

log = logging.getLogger(__name__)

FINISHED = "finished.json"  # written last by a run that completed
DATA_FINGERPRINT = "data.json"
# Train settings that do not change what a finished run produced (or only where it is written).
OUTCOME_FREE_KEYS = ("output_dir", "resume", "force_resume", "merge", "logging_steps", "eval_batch_size",
                     "report_to", "run_name", "push_to_hub")
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")
_TORCH_SUFFIXES = (".pt", ".pth", ".bin")


# --- checkpoint validity -----------------------------------------------------------------------------------


def _safetensors_problem(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if len(raw) < 8:
                return "shorter than a safetensors header"
            (header_len,) = struct.unpack("<Q", raw)
            if header_len > size - 8:
                return "header runs past the end of the file (truncated)"
            header = json.loads(fh.read(header_len))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return f"unreadable safetensors header ({exc})"
    ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)]
    expected = 8 + header_len + max(ends, default=0)
    if size < expected:
        return f"truncated ({size} of {expected} bytes)"
    return None


def _torch_file_problem(path: Path) -> str | None:
    # torch.save writes a zip archive; its central directory sits at the end, so truncation and garbage
    # both fail to open, without unpickling anything.
    try:
        with zipfile.ZipFile(path) as archive:
            if not archive.namelist():
                return "empty archive"
    except (OSError, zipfile.BadZipFile) as exc:
        return f"not a readable torch file ({exc})"
    return None


def checkpoint_problem(path: str | Path) -> str | None:
    """Why a checkpoint dir cannot be resumed from (file: reason), or None when it looks whole."""
    path = Path(path)
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"trainer_state.json: {'missing' if isinstance(exc, FileNotFoundError) else 'unreadable'}"
    for file in sorted(path.rglob("*")):
        if not file.is_file():
            continue
        problem = None
        if file.suffix == ".safetensors":
            problem = _safetensors_problem(file)
        elif file.suffix in _TORCH_SUFFIXES:
            problem = _torch_file_problem(file)
        if problem:
            return f"{file.relative_to(path)}: {problem}"
    return None


def usable_checkpoint(checkpoint_dir: str | Path) -> str | None:
    """The newest checkpoint-N that `checkpoint_problem` accepts; a damaged newer one is renamed
    damaged-checkpoint-N with a warning, so the run falls back to the previous one."""
    checkpoint_dir = Path(checkpoint_dir)
    if not checkpoint_dir.is_dir():
        return None
    candidates = []
    for path in checkpoint_dir.iterdir():
        match = _CHECKPOINT.fullmatch(path.name)
        if match and path.is_dir():
            candidates.append((int(match.group(1)), path))
    for _, path in sorted(candidates, reverse=True):
        problem = checkpoint_problem(path)
        if problem is None:
            return str(path)
        aside = path.with_name(f"damaged-{path.name}")
        try:
            if aside.exists():
                import shutil

                shutil.rmtree(aside)
            path.rename(aside)
            where = f"moved to {aside.name}"
        except OSError:
            where = "left in place"
        log.warning("checkpoint %s is damaged (%s; killed while saving, or a full disk?); %s, falling back to "
                    "the previous checkpoint", path, problem, where)
    return None


# --- what a run is ------------------------------------------------------------------------------------------


def run_fingerprint(config: Any, data: dict[str, Any]) -> dict[str, Any]:
    """data.json: the data fingerprint (counts, sha256s, data dir), the model, and a hash of the training
    settings that shape the result (everything in `train` but `OUTCOME_FREE_KEYS`)."""
    train = {k: v for k, v in config.train.model_dump(mode="json").items() if k not in OUTCOME_FREE_KEYS}
    settings = stable_hash(train, config.model.model_dump(mode="json"))
    return {**data, "model": config.model.name, "settings_sha256": settings}


def read_fingerprint(run_dir: str | Path, name: str = DATA_FINGERPRINT) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(run_dir) / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def resume_mismatch(previous: dict[str, Any] | None, current: dict[str, Any]) -> str | None:
    """Why checkpoints made under ``previous`` must not be continued under ``current`` (other training data,
    other validation data, another model), or None. A run dir without a fingerprint is not judged."""
    if not previous:
        return None
    problems = []
    for split in ("train", "validation"):
        old, new = (previous.get(split) or {}).get("sha256"), (current.get(split) or {}).get("sha256")
        if old and new and old != new:
            problems.append(
                f"{split} data differs ({(previous.get(split) or {}).get('records')} records sha256 {old[:12]} "
                f"from {previous.get('data_dir')}, now {(current.get(split) or {}).get('records')} records "
                f"sha256 {new[:12]} from {current.get('data_dir')})"
            )
    if previous.get("model") and previous.get("model") != current.get("model"):
        problems.append(f"model differs ({previous.get('model')}, now {current.get('model')})")
    return "; ".join(problems) or None


def _identity(fingerprint: dict[str, Any]) -> tuple[Any, ...]:
    return (*((fingerprint.get(s) or {}).get("sha256") for s in ("train", "validation")),
            fingerprint.get("model"), fingerprint.get("settings_sha256"))


def finished_run(run_dir: str | Path, current: dict[str, Any]) -> dict[str, Any] | None:
    """The finished.json of a run that completed with the same data (by content, wherever it lives), model
    and settings, else None."""
    marker = read_fingerprint(run_dir, FINISHED)
    if not marker or _identity(marker.get("fingerprint") or {}) != _identity(current):
        return None
    return marker


def mark_finished(run_dir: str | Path, fingerprint: dict[str, Any], global_step: int) -> None:
    """Written last: its presence (with a matching fingerprint) makes a rerun a no-op."""
    atomic_write_json(Path(run_dir) / FINISHED, {"fingerprint": fingerprint, "global_step": global_step})


def clear_finished(run_dir: str | Path) -> None:
    (Path(run_dir) / FINISHED).unlink(missing_ok=True)
