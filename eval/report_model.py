"""The eval report's model: one system's per-document scores and their aggregate (EvalResult), several
systems scored side by side (Report), and the aggregation itself, including how a failed document counts.

A failed document (the system returned an error, the summary is empty, or scoring raised) counts as the worst
value of every metric that has one (`MetricInfo.worst`: 0 for shares that should be high, 1 for rates that
should be low), and `scored_fraction` is the share of documents that did not fail: failures count against
every gate. The report.json schema is in `filingsum.eval.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from filingsum.core.redact import redact_values
from filingsum.core.schema import PredictionRecord
from filingsum.eval.gates import GateOutcome
from filingsum.quality.metrics import METRICS, MetricValue

SCHEMA_VERSION = 1


def _failed(row: Mapping[str, MetricValue | str]) -> bool:
    return bool(row.get("error")) or row.get("empty") is True


def aggregate_metrics(per_document: Mapping[str, Mapping[str, MetricValue]]) -> tuple[dict, dict]:
    """Means over the defined (non-None) values of each metric, and how many there were.

    Booleans average to shares (within_limit -> share within the limit). tokens_max is the longest summary.
    A failed document (error or empty summary) counts as the metric's worst value wherever one is defined,
    and scored_fraction is the share of documents that did not fail.
    """
    names: list[str] = []
    for row in per_document.values():
        names.extend(k for k in row if k not in names and k != "error")
    aggregate: dict[str, float | None] = {}
    counts: dict[str, int] = {"documents": len(per_document)}
    for name in names:
        worst = METRICS[name].worst if name in METRICS else None
        values = []
        for row in per_document.values():
            if _failed(row) and worst is not None:
                values.append(worst)
            elif (v := row.get(name)) is not None:
                values.append(float(v))
        aggregate[name] = sum(values) / len(values) if values else None
        counts[name] = len(values)
        if name == "tokens":
            aggregate["tokens_max"] = max(values) if values else None
            counts["tokens_max"] = len(values)
    failed = sum(1 for row in per_document.values() if _failed(row))
    errors = sum(1 for row in per_document.values() if row.get("error"))
    aggregate["scored_fraction"] = 1 - failed / len(per_document) if per_document else None
    counts["scored_fraction"] = len(per_document)
    if failed:
        counts["failed"] = failed
    if errors:
        counts["errors"] = errors
    return aggregate, counts


@dataclass
class EvalResult:
    """One system's scores: per document (by id) and aggregated."""

    system: str
    per_document: dict[str, dict[str, MetricValue]]
    aggregate: dict[str, float | None]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"aggregate": self.aggregate, "counts": self.counts, "per_document": self.per_document}


@dataclass
class Report:
    """Several systems scored side by side. `predictions` (not serialised) feed the HTML examples."""

    systems: dict[str, EvalResult]
    config: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    gates: GateOutcome | None = None
    predictions: dict[str, list[PredictionRecord]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "systems": {name: result.to_dict() for name, result in self.systems.items()},
            "config": redact_values(self.config),  # no URL credentials or keys in a report
            "created": self.created,
            "gates": self.gates.to_dict() if self.gates else None,
        }
