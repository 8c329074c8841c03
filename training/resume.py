"""Resume policy: what a rerun does with an existing run directory, decided before any model is loaded.

With train.resume (the default) a run that finished with the same data, model and settings is a no-op
(`finished_rerun`), and checkpoints of other data or another model stop the run (`ResumeMismatchError`, exit
2) unless train.force_resume; without it, old checkpoints are set aside so a later resume cannot pick them
up (`prepare_run_dir`). The Trainer then resumes from `last_complete_checkpoint`. The fingerprints and the
checkpoint checks themselves are training.checkpoints.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from filingsum.core.config import RunConfig
from filingsum.core.schema import FilingRecord
from filingsum.training.checkpoints import (
    clear_finished,
    finished_run,
    read_fingerprint,
    resume_mismatch,
    run_fingerprint,
    usable_checkpoint,
)
from filingsum.training.errors import ResumeMismatchError
from filingsum.training.outputs import TrainResult
from filingsum.training.run_dir import CHECKPOINTS, MERGED, model_output_dir

log = logging.getLogger(__name__)


def run_data_fingerprint(config: RunConfig, splits: dict[str, list[FilingRecord]]) -> dict[str, Any]:
    """data.json for these splits: record counts and sha256s of train and validation, model and settings."""
    from filingsum.training.data import data_fingerprint

    train_records = splits["train"]
    val_records = splits.get("validation", [])
    return run_fingerprint(config, {
        "data_dir": str(config.data.out_dir),
        "train": {"records": len(train_records), "sha256": data_fingerprint(train_records)},
        "validation": {"records": len(val_records), "sha256": data_fingerprint(val_records)},
    })


def finished_rerun(config: RunConfig, run_dir: Path, fingerprint: dict[str, Any]) -> TrainResult | None:
    """The result of the same run already finished in ``run_dir`` (uploaded now if train.push_to_hub was
    added since), or None when there is none."""
    marker = finished_run(run_dir, fingerprint)
    if marker is None:
        return None
    t = config.train
    result = _finished_result(config, run_dir, marker)
    if t.push_to_hub and result.adapter_dir is not None and os.environ.get("RANK", "0") == "0":
        from filingsum.training.publish import publish_run

        result.published = publish_run(run_dir, t.push_to_hub)  # push_to_hub added after the run
    return result


def _finished_result(config: RunConfig, run_dir: Path, marker: dict[str, Any]) -> TrainResult:
    """The result of a run that had already finished: read from its run dir, nothing trained (model None)."""
    t = config.train
    out_dir = model_output_dir(run_dir, t.method)
    merged_dir = None
    if t.merge and t.method != "full":
        merged_dir = run_dir / MERGED
        if not merged_dir.is_dir():
            from filingsum.core.models import resolve_model
            from filingsum.inference.adapters import merge_adapter

            merged_dir = merge_adapter(out_dir, merged_dir, base_model=resolve_model(config.model.name))
    metrics = (read_fingerprint(run_dir, "metrics.json") or {}).get("final_metrics", {})
    log.info("%s already finished (step %s) with the same data, model and settings: nothing to train "
             "(--no-resume trains it again)", run_dir, marker.get("global_step"))
    return TrainResult(run_dir=run_dir, adapter_dir=out_dir if t.method != "full" else None, model_dir=out_dir,
                       merged_dir=merged_dir, metrics=metrics, resumed_from=None, model=None)


def prepare_run_dir(config: RunConfig, run_dir: Path, fingerprint: dict[str, Any]) -> None:
    """Resuming: refuse checkpoints of another run (unless forced). Starting over: set old checkpoints aside.
    Either way the run is no longer finished until it finishes again."""
    checkpoint_dir = run_dir / CHECKPOINTS
    if config.train.resume:
        _check_resumable(config, run_dir, fingerprint)
    elif checkpoint_dir.is_dir() and any(checkpoint_dir.iterdir()):
        # A fresh start must not leave the old run's later checkpoints for a future resume to pick up.
        aside = run_dir / f"{CHECKPOINTS}.previous-{time.strftime('%Y%m%d-%H%M%S')}"
        checkpoint_dir.rename(aside)
        log.warning("train.resume is off: the previous checkpoints were moved to %s", aside)
    clear_finished(run_dir)


def _check_resumable(config: RunConfig, run_dir: Path, fingerprint: dict[str, Any]) -> None:
    """ResumeMismatchError when the checkpoints belong to other data or another model (warnings only with
    train.force_resume, or when just the train settings changed)."""
    previous = read_fingerprint(run_dir) if (run_dir / CHECKPOINTS).is_dir() else None
    mismatch = resume_mismatch(previous, fingerprint)
    if previous and previous.get("settings_sha256") not in (None, fingerprint["settings_sha256"]):
        log.warning("%s: the model or train settings differ from those of its checkpoints; resuming with the "
                    "new ones (--no-resume to start over)", run_dir)
    if mismatch and not config.train.force_resume:
        raise ResumeMismatchError(
            f"{run_dir}: its checkpoints belong to another run: {mismatch}; use another train.output_dir, "
            "--no-resume to start over, or --force-resume to continue anyway"
        )
    if mismatch:
        log.warning("%s: resuming on purpose (force_resume) although %s", run_dir, mismatch)


def last_complete_checkpoint(checkpoint_dir: Path) -> str | None:
    """The newest usable checkpoint-N: a run killed mid-save, a full disk or a damaged file leaves a torn
    newest checkpoint, which is set aside with a warning (training.checkpoints.usable_checkpoint)."""
    return usable_checkpoint(checkpoint_dir)
