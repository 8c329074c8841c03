"""The training stage's typed errors: a run that cannot go as configured, and a resume that would mix two runs.

(A dataset that cannot be trained on is `training.data.TrainingDataError`.)
"""

from __future__ import annotations

from filingsum.core.errors import FilingsumError, UsageError


class TrainingError(FilingsumError):
    """Training cannot run as configured (QLoRA without a GPU, flash-attention missing, ...)."""


class TrainingSetupError(TrainingError):
    """A run that cannot start as configured on this machine or with these inputs (QLoRA or fp16 without a GPU,
    an init_adapter that is not there, no example that fits): a usage error, exit 2, found before any step."""

    exit_status = 2


class ResumeMismatchError(UsageError):
    """output_dir holds checkpoints of other data or another model; resuming would mix two runs."""


class ResumeShapeError(ResumeMismatchError):
    """output_dir's checkpoints were trained with settings that shape the trained weights differently (LoRA rank,
    target modules, method, init adapter): they cannot be loaded, not even with force_resume."""


class FinishedRunError(UsageError):
    """output_dir holds a run that finished under other settings and the new ones train no further step: resuming
    would train nothing yet rewrite its record."""
