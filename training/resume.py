"""Resume policy: what a rerun does with an existing run directory, decided before any model is loaded.

With train.resume (the default) a run that finished with the same data, model and settings is a no-op
(`finished_rerun`), and checkpoints of other data or another model stop the run (`ResumeMismatchError`, exit
2) unless train.force_resume; checkpoints trained with settings that shape the trained weights differently
(`SHAPE_SETTINGS`) stop it even then (`ResumeShapeError`, exit 2), and so does a run that finished under other
settings when the new ones train no further step (`check_not_finished`, `FinishedRunError`, exit 2): either
before the run dir is changed at all. Without train.resume, old checkpoints are set aside so a later resume
cannot pick them up (`prepare_run_dir`). The Trainer then resumes from `last_complete_checkpoint`. The
fingerprints and the checkpoint checks themselves are training.checkpoints.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filingsum.core.config import RunConfig
from filingsum.core.schema import FilingRecord
from filingsum.training.checkpoints import (
    FINISHED,
    OUTCOME_FREE_KEYS,
    clear_finished,
    finished_run,
    read_fingerprint,
    resume_mismatch,
    run_fingerprint,
    usable_checkpoint,
)
from filingsum.training.errors import FinishedRunError, ResumeMismatchError, ResumeShapeError
from filingsum.training.outputs import TrainResult, stored_config
from filingsum.training.run_dir import CHECKPOINTS, MERGED, RESOLVED_CONFIG, model_output_dir

log = logging.getLogger(__name__)

# The settings that fix which weights a run trains and their shapes: checkpoints trained under other values cannot
# be loaded (a LoRA rank or target module list of another size, full weights against an adapter). Of peft's
# LoraConfig fields only r and target_modules come from the config: filingsum sets the others that add or resize
# tensors (modules_to_save, bias, use_dora, layers_to_transform, rank_pattern, ...) the same for every run, and
# lora.alpha and lora.dropout only scale or drop (a resume may change them, with a warning). train.lora is ignored
# for method full, and with an init_adapter (whose own shapes are used). The base model is checked by
# `resume_mismatch` (train.force_resume lets a moved or renamed copy of the same model through).
SHAPE_SETTINGS = ("train.method", "train.init_adapter", "train.lora.r", "train.lora.target_modules")


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
    """Resuming: refuse checkpoints of other shapes, of another run (unless forced) and a finished run the new
    settings train no further, all before any change (the run stops being finished when it writes its inputs,
    training.loop). Starting over: set old checkpoints aside; the run is no longer finished."""
    checkpoint_dir = run_dir / CHECKPOINTS
    if config.train.resume:
        _check_resumable(config, run_dir, fingerprint)
        return
    if checkpoint_dir.is_dir() and any(checkpoint_dir.iterdir()):
        # A fresh start must not leave the old run's later checkpoints for a future resume to pick up.
        aside = run_dir / f"{CHECKPOINTS}.previous-{time.strftime('%Y%m%d-%H%M%S')}"
        checkpoint_dir.rename(aside)
        log.warning("train.resume is off: the previous checkpoints were moved to %s", aside)
    clear_finished(run_dir)


def _check_resumable(config: RunConfig, run_dir: Path, fingerprint: dict[str, Any]) -> None:
    """ResumeShapeError when the checkpoints' weights have other shapes; ResumeMismatchError when they belong to
    other data or another model (warnings only with train.force_resume, or when just the train settings changed);
    FinishedRunError when the run finished and train.max_steps asks for no further step."""
    previous = read_fingerprint(run_dir) if (run_dir / CHECKPOINTS).is_dir() else None
    resumable = has_checkpoints(run_dir)
    if resumable:
        _check_shapes(config, run_dir)
    mismatch = resume_mismatch(previous, fingerprint)
    if mismatch and not config.train.force_resume:
        raise ResumeMismatchError(
            f"{run_dir}: its checkpoints belong to another run: {mismatch}; use another train.output_dir, "
            "--no-resume to start over, or --force-resume to continue anyway"
        )
    if resumable and config.train.max_steps > 0:  # with train.epochs the steps are known once the data is
        check_not_finished(config, run_dir, config.train.max_steps)  # (training.loop checks then)
    if previous and previous.get("settings_sha256") not in (None, fingerprint["settings_sha256"]):
        log.warning("%s: the model or train settings differ from those of its checkpoints; resuming with the "
                    "new ones (--no-resume to start over)", run_dir)
    if mismatch:
        log.warning("%s: resuming on purpose (force_resume) although %s", run_dir, mismatch)


def has_checkpoints(run_dir: Path) -> bool:
    """Whether run_dir/checkpoints holds a checkpoint-N a resume could start from (usable or not)."""
    checkpoint_dir = run_dir / CHECKPOINTS
    return checkpoint_dir.is_dir() and any(p.is_dir() for p in checkpoint_dir.glob("checkpoint-*"))


def _check_shapes(config: RunConfig, run_dir: Path) -> None:
    """ResumeShapeError naming the `SHAPE_SETTINGS` the checkpoints were trained with (config.resolved.yaml,
    written with them) that differ now; a run dir without a readable config.resolved.yaml is not judged."""
    previous = _resolved_config(run_dir)
    if previous is None:
        return
    before, now = _shape(previous), _shape(stored_config(config))
    changed = [f"{key} {_show(before.get(key))}, now {_show(now.get(key))}"
               for key in SHAPE_SETTINGS if before.get(key) != now.get(key)]
    if changed:
        raise ResumeShapeError(
            f"{run_dir}: its checkpoints were trained with other settings that change the shape of the trained "
            f"weights ({'; '.join(changed)}), so they cannot be resumed: use --no-resume to start over, or another "
            "train.output_dir"
        )


def check_not_finished(config: RunConfig, run_dir: Path, planned_steps: int) -> None:
    """FinishedRunError when run_dir holds a finished run (of other settings or, forced, other data: the same
    run is `finished_rerun`) whose last step reaches ``planned_steps``: resuming would train nothing, yet rewrite
    its config.resolved.yaml, metrics and outputs as if the new settings had made them."""
    marker = read_fingerprint(run_dir, FINISHED)
    done = (marker or {}).get("global_step")
    if not isinstance(done, int) or done < planned_steps:
        return
    changed = list(_changed_settings(config, run_dir))
    what = f" ({'; '.join(changed[:4])}{'; ...' if len(changed) > 4 else ''})" if changed else ""
    raise FinishedRunError(
        f"{run_dir}: this run already finished (step {done}) with other settings{what}; the new ones train no "
        f"further step ({planned_steps} in all), so nothing was trained and the run is left as it was: use "
        "--no-resume to train it again with the new settings, a larger train.max_steps (or train.epochs) to go on "
        "from it, or another train.output_dir"
    )


def _resolved_config(run_dir: Path) -> dict[str, Any] | None:
    import yaml

    try:
        data = yaml.safe_load((run_dir / RESOLVED_CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _flat(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flat(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], data


def _shape(config: dict[str, Any]) -> dict[str, Any]:
    """The `SHAPE_SETTINGS` that count for a config (as model_dump'ed or read back from config.resolved.yaml)."""
    settings = dict(_flat({"train": config.get("train") or {}}))
    shape = {"train.method": settings.get("train.method", "lora")}
    if shape["train.method"] == "full":
        return shape
    if settings.get("train.init_adapter"):
        return {**shape, "train.init_adapter": settings["train.init_adapter"]}
    targets = settings.get("train.lora.target_modules")
    return {**shape, "train.lora.r": settings.get("train.lora.r"),
            "train.lora.target_modules": sorted(targets) if isinstance(targets, list) else targets}


def _changed_settings(config: RunConfig, run_dir: Path) -> Iterator[str]:
    """"key old, now new" for each model and train setting (but `OUTCOME_FREE_KEYS`) that differs from
    config.resolved.yaml's."""
    previous = _resolved_config(run_dir) or {}
    current = stored_config(config)
    free = {f"train.{key}" for key in OUTCOME_FREE_KEYS}
    before = dict(_flat({"model": previous.get("model") or {}, "train": previous.get("train") or {}}))
    for key, value in _flat({"model": current["model"], "train": current["train"]}):
        if key not in free and key in before and before[key] != value:
            yield f"{key} {_show(before[key])}, now {_show(value)}"


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def last_complete_checkpoint(checkpoint_dir: Path) -> str | None:
    """The newest usable checkpoint-N: a run killed mid-save, a full disk or a damaged file leaves a torn
    newest checkpoint, which is set aside with a warning (training.checkpoints.usable_checkpoint)."""
    return usable_checkpoint(checkpoint_dir)
