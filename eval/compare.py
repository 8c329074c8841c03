"""Compare two report.json files: per system and metric the change, and which changes are regressions.

A regression is a move in the worse direction by more than the tolerance: down for higher-is-better metrics
(ROUGE, precision, coverage), up for lower-is-better ones (repetition, novel_ngram_ratio, loop, empty).
Token counts have no better direction and never regress.

    filingsum eval compare runs/a/eval/report.json runs/b/eval/report.json --tolerance 0.01 [--markdown]
exits 1 when there are regressions, 2 when a file is not a report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filingsum.core.errors import UsageError
from filingsum.eval.report import TABLE_METRICS, load_report_json
from filingsum.eval.report_cells import markdown_cell
from filingsum.quality.metrics import METRICS


@dataclass(frozen=True)
class MetricDelta:
    system: str
    metric: str
    before: float | None
    after: float | None
    regression: bool
    improvement: bool

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass
class Comparison:
    deltas: list[MetricDelta]
    tolerance: float | Mapping[str, float]
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)
    documents: tuple[int, int, int] | None = None  # documents scored in a, in b, in both; None: not known

    @property
    def documents_warning(self) -> str | None:
        """One line when a and b scored partly different documents (their aggregates are not like for like)."""
        if self.documents is None:
            return None
        in_a, in_b, common = self.documents
        if common == in_a == in_b:
            return None
        return (f"a and b scored different documents: {in_a} vs {in_b}, {common} in common; the changes mix a "
                "change of model with a change of test set")

    @property
    def regressions(self) -> list[MetricDelta]:
        return [d for d in self.deltas if d.regression]

    @property
    def exit_code(self) -> int:
        """Non-zero when b regresses on a: the signal CI fails on."""
        return 1 if self.regressions else 0


def _tolerance_for(tolerance: float | Mapping[str, float], metric: str) -> float:
    if isinstance(tolerance, Mapping):
        return float(tolerance.get(metric, tolerance.get("default", 0.0)))
    return float(tolerance)


def _as_report(report: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    if isinstance(report, (str, Path)):
        return _checked(load_report_json(report), str(report))
    if not isinstance(report.get("systems"), Mapping):
        raise UsageError("not a filingsum report (no 'systems' mapping)")
    return _checked(report, "report")


def _checked(report: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """``report`` when every system is a mapping whose aggregate maps metric names to numbers (or null); a
    UsageError (exit 2) naming the first part that is not otherwise."""
    for system, entry in report["systems"].items():
        if not isinstance(entry, Mapping):
            raise UsageError(f"{where}: systems.{system} is a {type(entry).__name__}, not an object; not a "
                             "filingsum report.json")
        aggregate = entry.get("aggregate", {})
        if not isinstance(aggregate, Mapping):
            raise UsageError(f"{where}: systems.{system}.aggregate is a {type(aggregate).__name__}, not an object "
                             "of metric values; not a filingsum report.json")
        for metric, value in aggregate.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise UsageError(f"{where}: systems.{system}.aggregate.{metric} is {str(value)[:40]!r}, not a "
                                 "number; not a filingsum report.json")
    return report


def _documents(systems: Mapping[str, Any], shared: Sequence[str]) -> set[str] | None:
    """The ids of the documents the ``shared`` systems scored (their per_document keys); None when the report
    does not list them (an older or hand-made report)."""
    ids: set[str] = set()
    for system in shared:
        per_document = systems[system].get("per_document")
        if isinstance(per_document, Mapping):
            ids.update(str(key) for key in per_document)
    return ids or None


def _value(aggregate: Mapping[str, Any], metric: str) -> float | None:
    v = aggregate.get(metric)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def compare_reports(
    a_json: Mapping[str, Any] | str | Path,
    b_json: Mapping[str, Any] | str | Path,
    tolerance: float | Mapping[str, float] = 0.0,
    *,
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Changes from report a (baseline) to report b (candidate), for the systems both contain; a metric a has
    and b lacks is a regression; UsageError when the reports share no system, or scored no document in common
    (nothing would be compared like for like). Partly different documents: ``documents_warning``."""
    a, b = _as_report(a_json), _as_report(b_json)
    sys_a, sys_b = a["systems"], b["systems"]
    if not set(sys_a) & set(sys_b):
        raise UsageError(f"the reports share no system (a: {', '.join(sys_a) or 'none'}; b: "
                         f"{', '.join(sys_b) or 'none'}): nothing to compare")
    shared = [s for s in sys_b if s in sys_a]
    docs_a, docs_b = _documents(sys_a, shared), _documents(sys_b, shared)
    documents = None
    if docs_a is not None and docs_b is not None:
        documents = (len(docs_a), len(docs_b), len(docs_a & docs_b))
        if not documents[2]:
            raise UsageError(f"a and b scored different documents: {documents[0]} vs {documents[1]}, 0 in common; "
                             "their scores are not comparable: evaluate both on the same split")
    deltas: list[MetricDelta] = []
    for system in (s for s in sys_b if s in sys_a):
        agg_a, agg_b = sys_a[system].get("aggregate", {}), sys_b[system].get("aggregate", {})
        names = metrics or [m for m in TABLE_METRICS if m in agg_a or m in agg_b]
        for metric in names:
            before, after = _value(agg_a, metric), _value(agg_b, metric)
            info = METRICS.get(metric)
            better = info.higher_is_better if info else None
            regression = improvement = False
            if before is not None and after is not None and better is not None:
                tol = _tolerance_for(tolerance, metric)
                change = (after - before) if better else (before - after)
                regression = change < -tol
                improvement = change > tol
            elif before is not None and after is None and better is not None:
                regression = True  # a metric b no longer reports (missing, null, NaN) cannot pass as unchanged
            deltas.append(MetricDelta(system, metric, before, after, regression, improvement))
    return Comparison(
        deltas,
        tolerance,
        only_in_a=[s for s in sys_a if s not in sys_b],
        only_in_b=[s for s in sys_b if s not in sys_a],
        documents=documents,
    )


def _fmt(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.4f}" if signed else f"{v:.4f}"


def _status(d: MetricDelta) -> str:
    return "REGRESSION" if d.regression else ("improved" if d.improvement else "")


def render_markdown(comparison: Comparison) -> str:
    lines = ["| system | metric | a | b | delta | status |", "|---|---|---:|---:|---:|---|"]
    for d in comparison.deltas:
        lines.append(f"| {markdown_cell(d.system)} | {d.metric} | {_fmt(d.before)} | {_fmt(d.after)} | "
                     f"{_fmt(d.delta, signed=True)} | {_status(d)} |")
    lines.append("")
    if comparison.documents_warning:
        lines.append(f"**Warning:** {comparison.documents_warning}.")
    n = len(comparison.regressions)
    lines.append(f"**{n} regression{'s' if n != 1 else ''}** (tolerance {comparison.tolerance})."
                 if n else f"No regressions (tolerance {comparison.tolerance}).")
    if comparison.only_in_a:
        lines.append(f"Only in a: {', '.join(comparison.only_in_a)}.")
    if comparison.only_in_b:
        lines.append(f"Only in b: {', '.join(comparison.only_in_b)}.")
    return "\n".join(lines) + "\n"


def render_table(comparison: Comparison) -> Any:
    """The comparison as a rich Table (for terminals)."""
    from rich.table import Table

    table = Table(title="report comparison (a -> b)")
    for col, justify in (("system", "left"), ("metric", "left"), ("a", "right"), ("b", "right"),
                         ("delta", "right"), ("status", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for d in comparison.deltas:
        status = _status(d)
        style = "bold red" if d.regression else ("green" if d.improvement else "")
        table.add_row(d.system, d.metric, _fmt(d.before), _fmt(d.after), _fmt(d.delta, signed=True),
                      status, style=style)
    missing = [f"only in a: {', '.join(comparison.only_in_a)}" if comparison.only_in_a else "",
               f"only in b: {', '.join(comparison.only_in_b)}" if comparison.only_in_b else ""]
    table.caption = "; ".join(m for m in missing if m) or None
    return table
