"""The `evaluate` metric module (loaded by path: filingsum.quality.EVALUATE_METRIC_PATH)."""
