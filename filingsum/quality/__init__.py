"""Metrics: pure functions over a summary, its source and its reference (filingsum.quality.metrics)."""

from pathlib import Path

# The `evaluate` metric module (evaluate.load(EVALUATE_METRIC_PATH), offline): filingsum_metrics/.
EVALUATE_METRIC_PATH = str(Path(__file__).resolve().parent / "filingsum_metrics")
