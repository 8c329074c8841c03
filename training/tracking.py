"""Experiment tracking through the Trainer's own integrations (``train.report_to``, ``train.run_name``).

TensorBoard writes into the run's ``logs/``; W&B runs offline unless the user chose a mode (``WANDB_MODE``),
so a machine without network never waits on it and `wandb sync` uploads the run later; MLflow logs to
``MLFLOW_TRACKING_URI``, else to the run's ``mlruns/``. The loss plot and the run card do not depend on any of
them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

from filingsum.core.errors import UsageError

log = logging.getLogger(__name__)

# tracker -> the package its Trainer integration needs
TRACKER_PACKAGES = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}


def trackers(config: Any) -> list[str]:
    """The trackers a run reports to: ``train.report_to`` without "none"."""
    return [t for t in config.train.report_to if t != "none"]


def tracking_arguments(config: Any, run_dir: str | Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """``report_to`` and ``run_name`` for `TrainingArguments`, and the environment the integrations read
    (``environ``, default os.environ, updated in place): W&B offline unless ``WANDB_MODE`` is set, its files
    and MLflow's store in the run dir unless ``WANDB_DIR`` / ``MLFLOW_TRACKING_URI`` are set. UsageError when a
    tracker's package is not installed (before any model is loaded)."""
    env = os.environ if environ is None else environ
    chosen = trackers(config)
    missing = [t for t in chosen if importlib.util.find_spec(TRACKER_PACKAGES[t]) is None]
    if missing:
        raise UsageError(f"train.report_to: {', '.join(missing)} is not installed; pip install "
                         f"{' '.join(TRACKER_PACKAGES[t] for t in missing)}, or drop it from train.report_to")
    run_dir = Path(run_dir)
    if "wandb" in chosen:
        if env.get("WANDB_MODE"):
            log.info("wandb: WANDB_MODE=%s (set by you)", env["WANDB_MODE"])
        else:
            env["WANDB_MODE"] = "offline"
            log.info("wandb: running offline (WANDB_MODE=offline): nothing waits on the network; upload later with "
                     "`wandb sync %s`, or set WANDB_MODE=online to log live", run_dir / "wandb")
        env.setdefault("WANDB_DIR", str(run_dir))
        env.setdefault("WANDB_PROJECT", "filingsum")
    if "mlflow" in chosen and not env.get("MLFLOW_TRACKING_URI"):
        env["MLFLOW_TRACKING_URI"] = (run_dir / "mlruns").resolve().as_uri()
        log.info("mlflow: logging to %s (set MLFLOW_TRACKING_URI for a tracking server)", env["MLFLOW_TRACKING_URI"])
    return {"report_to": chosen or "none", "run_name": config.train.run_name or config.run_name}


def point_tensorboard(callbacks: list[Any], logging_dir: str | Path) -> None:
    """Make the Trainer's TensorBoard callback (report_to tensorboard) write into the run's ``logs/``."""
    from transformers.integrations import TensorBoardCallback

    for callback in callbacks:
        if isinstance(callback, TensorBoardCallback):
            callback.logging_dir = str(logging_dir)
