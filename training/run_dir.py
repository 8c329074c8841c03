"""The run directory (train.output_dir): where its parts go, and whether it has room for the checkpoints.

Layout (docs/training.md): adapter/ (lora, qlora) or model/ (full), checkpoints/, logs/, merged/,
config.resolved.yaml, data.json, metrics.json, loss.png, run_card.md, finished.json.
"""

from __future__ import annotations

from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.core.preflight import require_free_space

CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"
FULL_MODEL = "model"
MERGED = "merged"


def model_output_dir(run_dir: Path, method: str) -> Path:
    """Where the trained weights go: adapter/ for lora and qlora, model/ for method=full."""
    return run_dir / (FULL_MODEL if method == "full" else ADAPTER)


def check_free_space(run_dir: Path, trainable: int, total: int, config: RunConfig) -> None:
    """Enough room for the checkpoints the run keeps (weights + two Adam moments of the trained parameters,
    the full model too for method=full), before the first step rather than at the first save."""
    t = config.train
    per_checkpoint = trainable * 4 * 3 + (total * 4 if t.method == "full" else 0)
    require_free_space(run_dir, per_checkpoint * (t.save_total_limit + 1), what="run directory (train.output_dir)")
