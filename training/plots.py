"""Loss curves from a Trainer's log_history, as a PNG (matplotlib Agg: no display needed)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from filingsum.core.io import atomic_write_bytes


def loss_series(log_history: list[dict[str, Any]]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(train, validation) loss points as (step, loss)."""
    train = [(int(e["step"]), float(e["loss"])) for e in log_history if "loss" in e and "step" in e]
    val = [(int(e["step"]), float(e["eval_loss"])) for e in log_history if "eval_loss" in e and "step" in e]
    return train, val


def plot_loss(log_history: list[dict[str, Any]], out_path: str | Path, title: str = "loss") -> Path | None:
    """Write the loss curves; None (nothing written) when no loss was logged."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, val = loss_series(log_history)
    if not train and not val:
        return None
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        ax.plot(*zip(*train), label="train loss", linewidth=1.2)
    if val:
        ax.plot(*zip(*val), label="validation loss", marker="o", linewidth=1.5)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (summary tokens)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return atomic_write_bytes(out_path, buf.getvalue())  # only ever replaces a regular file
