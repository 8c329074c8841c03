"""Quality gates CI can fail on: thresholds on aggregate metrics of one system.

Forms accepted (config `eval.gates`, or `--fail-under` strings):
  {"within_limit": 1.0}               minimum (the default direction)
  {"repetition<=": 0.1}               maximum, as the config's 'metric<=' keys
  {"repetition": "<=0.1"}, {"rougeL": {"min": 0.2}}, {"repetition": {"max": 0.1}}
  "number_precision=0.95", "number_precision>=0.95", "repetition<=0.1"
  claim-level: "contradiction_rate<=0", "unsupported_sentence_rate<=0.1", "claim_support_rate>=0.9"
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from filingsum.core.errors import FilingsumError
from filingsum.quality.metrics import METRICS

GateOp = Literal[">=", "<="]
GATE_METRICS: tuple[str, ...] = tuple(METRICS)

_SPEC = re.compile(r"^\s*(?P<metric>[A-Za-z_][\w]*)\s*(?P<op>>=|<=|=)\s*(?P<value>\S+)\s*$")


class GateSpecError(FilingsumError, ValueError):
    """A gate that names an unknown metric or has no numeric threshold."""


@dataclass(frozen=True)
class Gate:
    metric: str
    op: GateOp
    threshold: float

    def passes(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        return value >= self.threshold if self.op == ">=" else value <= self.threshold

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.threshold:g}"


@dataclass(frozen=True)
class GateFailure:
    gate: Gate
    system: str
    value: float | None

    @property
    def reason(self) -> str:
        if self.value is None:
            return f"{self.gate.metric} is undefined for {self.system} (no document had a value)"
        return f"{self.gate.metric} = {self.value:.4f} for {self.system}, gate {self.gate}"

    def __str__(self) -> str:
        return self.reason

    def to_dict(self) -> dict[str, Any]:
        return {"gate": str(self.gate), "metric": self.gate.metric, "op": self.gate.op,
                "threshold": self.gate.threshold, "system": self.system, "value": self.value,
                "reason": self.reason}


def _check_metric(metric: str, where: str) -> str:
    if metric not in METRICS:
        raise GateSpecError(f"{where}: unknown metric {metric!r}; known metrics: {', '.join(GATE_METRICS)}")
    return metric


def _threshold(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GateSpecError(f"{where}: threshold {value!r} is not a number") from None
    if math.isnan(number):
        raise GateSpecError(f"{where}: threshold is NaN")
    return number


def parse_gate(spec: str) -> Gate:
    """'metric=value' or 'metric>=value' (minimum), 'metric<=value' (maximum)."""
    m = _SPEC.match(spec)
    if not m:
        raise GateSpecError(f"gate {spec!r}: expected METRIC=VALUE, METRIC>=VALUE or METRIC<=VALUE")
    metric = _check_metric(m["metric"], f"gate {spec!r}")
    op: GateOp = "<=" if m["op"] == "<=" else ">="
    return Gate(metric, op, _threshold(m["value"], f"gate {spec!r}"))


def _from_mapping_item(key: str, value: Any) -> list[Gate]:
    where = f"gate {key!r}"
    key = key.strip()
    if key.endswith("<=") or key.endswith(">="):
        op: GateOp = "<=" if key.endswith("<=") else ">="
        return [Gate(_check_metric(key[:-2].strip(), where), op, _threshold(value, where))]
    metric = _check_metric(key, where)
    if isinstance(value, Mapping):
        unknown = set(value) - {"min", "max"}
        if unknown or not value:
            raise GateSpecError(f"{where}: use {{'min': X}} and/or {{'max': Y}}, got {dict(value)!r}")
        return [Gate(metric, ">=" if k == "min" else "<=", _threshold(v, where)) for k, v in value.items()]
    if isinstance(value, str) and value.strip()[:2] in ("<=", ">="):
        return [parse_gate(f"{metric}{value.strip()}")]
    return [Gate(metric, ">=", _threshold(value, where))]


def parse_gates(spec: Mapping[str, Any] | Iterable[str] | None) -> list[Gate]:
    """Gates from the config mapping or a list of --fail-under strings (None/empty: no gates)."""
    if not spec:
        return []
    if isinstance(spec, str):
        return [parse_gate(spec)]
    if isinstance(spec, Mapping):
        return [g for key, value in spec.items() for g in _from_mapping_item(str(key), value)]
    return [parse_gate(s) for s in spec]


def check_gates(aggregate: Mapping[str, Any], gates: Sequence[Gate], system: str = "") -> list[GateFailure]:
    """The gates an aggregate fails (an undefined metric fails: the gate cannot be shown to hold)."""
    failures = []
    for gate in gates:
        value = aggregate.get(gate.metric)
        value = None if value is None else float(value)
        if not gate.passes(value):
            failures.append(GateFailure(gate, system, value))
    return failures


def select_gate_system(names: Sequence[str], requested: str | None = None, configured: str | None = None,
                       *, strict: bool = False) -> str:
    """The system gates apply to: the one asked for, else the configured one (e.g. 'tuned') if scored, else the
    only one scored (a predictions file), else the first. ``strict`` (gates to check): a configured system that
    was not scored among several is a GateSpecError, never another system judged in its place."""
    if not names:
        raise GateSpecError("no systems were scored, so no gate can be checked")
    if requested:
        if requested not in names:
            raise GateSpecError(f"gate system {requested!r} was not scored; systems: {', '.join(names)}")
        return requested
    if configured in names or len(names) == 1:
        return configured if configured in names else names[0]
    if strict:
        raise GateSpecError(f"eval.gate_system {configured!r} was not scored, so its gates cannot be checked; "
                            f"systems: {', '.join(names)}; set eval.gate_system to one of them")
    return names[0]


@dataclass
class GateOutcome:
    system: str
    gates: list[Gate]
    failures: list[GateFailure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.system, "passed": self.passed, "gates": [str(g) for g in self.gates],
                "failures": [f.to_dict() for f in self.failures]}


def evaluate_gates(
    aggregates: Mapping[str, Mapping[str, Any]],
    gates: Sequence[Gate],
    *,
    system: str | None = None,
    configured_system: str | None = None,
) -> GateOutcome:
    """Check gates against one system's aggregate out of several ({system: aggregate})."""
    chosen = select_gate_system(list(aggregates), system, configured_system, strict=bool(gates))
    return GateOutcome(chosen, list(gates), check_gates(aggregates[chosen], gates, chosen))
