"""Score systems' predictions side by side, check gates, write reports.

Systems are just named lists of PredictionRecord: the baselines (lead-k, extractive) are built here from
the filings; the zero-shot base model, the tuned adapter and a served endpoint come in through a
`SystemGenerator` (records -> predictions) that `run_eval` calls.

    report = run_eval(records, {"lead-k": None, "extractive": None, "tuned": generate_tuned}, tokenizer,
                      "runs/x/eval", max_summary_tokens=config.max_summary_tokens(), gates={"within_limit": 1.0},
                          gate_system="tuned")
"""

from __future__ import annotations

import difflib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from filingsum.core.errors import FilingsumError
from filingsum.core.json_rows import UnusableJsonError, loads_text
from filingsum.core.progress import Progress
from filingsum.core.schema import FilingRecord, PredictionRecord
from filingsum.core.tokens import token_count, token_counts
from filingsum.eval.gates import evaluate_gates, parse_gates
from filingsum.eval.report import EvalResult, Report, aggregate_metrics, write_report
from filingsum.eval.scoring import WorkItem, score_work

log = logging.getLogger(__name__)

BaselineKind = Literal["lead-k", "extractive"]
BASELINES: tuple[str, ...] = ("lead-k", "extractive")
SystemGenerator = Callable[[Sequence[FilingRecord]], list[PredictionRecord]]
SystemSpec = SystemGenerator | Sequence[PredictionRecord] | None


class EvalInputError(FilingsumError, ValueError):
    """Predictions that cannot be scored: unreadable file, bad line, duplicate ids, no predictions. A usage error
    (exit 2): the input is wrong, nothing failed at run time."""

    exit_status = 2


def load_predictions_jsonl(path: str | os.PathLike[str], system: str | None = None) -> list[PredictionRecord]:
    """Predictions from a JSONL file (one PredictionRecord a line); a bad line is an error naming it."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a BOM (Windows editors, PowerShell) is not a record
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot read predictions ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 text (byte {exc.start}); expected JSONL predictions") from exc
    records: list[PredictionRecord] = []
    unknown: dict[str, int] = {}  # an unknown field -> the first line it is on
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = loads_text(line)  # nested past the recursion limit, or a lone surrogate: not text to score
        except json.JSONDecodeError as exc:
            column = "" if isinstance(exc, UnusableJsonError) else f" at column {exc.colno}"
            raise EvalInputError(f"{path}, line {number}: invalid JSON ({exc.msg}{column})") from None
        if not isinstance(row, dict):
            raise EvalInputError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
        for name in row.keys() - PredictionRecord.model_fields.keys():
            unknown.setdefault(name, number)
        try:
            record = PredictionRecord.model_validate(row)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
            raise EvalInputError(f"{path}, line {number}: not a prediction record ({problems})") from None
        if system and record.system is None:
            record = record.model_copy(update={"system": system})
        records.append(record)
    if not records:
        raise EvalInputError(f"{path}: no predictions (empty file)")
    if unknown:
        log.warning("%s", _unknown_fields_warning(path, unknown))
    return records


def _unknown_fields_warning(path: Path, unknown: Mapping[str, int]) -> str:
    """One warning for every field a predictions file has that eval does not read (a misspelled `refernce`
    would otherwise drop ROUGE without a word), with the closest known name where one is close."""
    known = list(PredictionRecord.model_fields)
    named = []
    for name, line in sorted(unknown.items(), key=lambda item: (item[1], item[0])):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        named.append(f"{name!r} (line {line}" + (f"; did you mean {close[0]!r}?)" if close else ")"))
    return (f"{path}: ignored unknown field(s) {', '.join(named)}; the fields eval reads are "
            f"{', '.join(known)}")


def baseline_predictions(
    records: Sequence[FilingRecord],
    kind: BaselineKind,
    count_tokens: Callable[[str], int],
    *,
    k: int = 5,
    max_summary_tokens: int,
) -> list[PredictionRecord]:
    """Lead-k (first k sentences) or the aspect-ranked extractive summary of each filing."""
    if kind not in BASELINES:
        raise ValueError(f"unknown baseline {kind!r}; choose one of {', '.join(BASELINES)}")
    from filingsum.filings.extractive import extractive_summary, lead_summary

    out = []
    for record in records:
        if kind == "lead-k":
            summary = lead_summary(record.text, k=k)
        else:
            summary = extractive_summary(record.text, count_tokens, max_summary_tokens=max_summary_tokens)
        out.append(PredictionRecord(id=record.id, source=record.text, prediction=summary,
                                    reference=record.reference, system=kind, company=record.company))
    return out


def _check_ids(preds: Sequence[PredictionRecord], system: str) -> None:
    seen: set[str] = set()
    for p in preds:
        if p.id in seen:
            raise EvalInputError(f"system {system!r}: duplicate prediction id {p.id!r}")
        seen.add(p.id)


def _token_lengths(preds: Sequence[PredictionRecord], tokenizer: Any) -> list[int]:
    try:
        return token_counts([p.prediction for p in preds], tokenizer)
    except TypeError:  # a slow/pure-Python tokenizer that takes one text at a time
        return [token_count(p.prediction, tokenizer) for p in preds]


def _score_all(
    systems: Mapping[str, Sequence[PredictionRecord]],
    tokenizer: Any,
    *,
    max_summary_tokens: int,
    nli_model: str | None,
    workers: int | None = None,
) -> dict[str, EvalResult]:
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    work: list[WorkItem] = []
    for name, preds in systems.items():
        if not preds:
            raise EvalInputError(f"system {name!r}: no predictions to score")
        _check_ids(preds, name)
        rows[name] = {p.id: {} for p in preds}  # keeps each system's document order
        work += [(name, p, n) for p, n in zip(preds, _token_lengths(preds, tokenizer), strict=True)]
    with Progress(len(work), "scoring", "summary") as progress:

        def keep(item: WorkItem, row: dict[str, Any]) -> None:
            name, pred, _ = item
            rows[name][pred.id] = row
            if "error" in row:
                log.warning("system %s, document %s: %s", name, pred.id, row["error"])
            progress.update(failed="error" in row)

        score_work(work, keep, max_summary_tokens=max_summary_tokens, nli_model=nli_model, workers=workers)
    return {name: EvalResult(name, per_doc, *aggregate_metrics(per_doc)) for name, per_doc in rows.items()}


def score_predictions(
    preds: Sequence[PredictionRecord],
    tokenizer: Any,
    *,
    max_summary_tokens: int,
    system: str | None = None,
    nli_model: str | None = None,
    workers: int | None = None,
) -> EvalResult:
    """Every metric for every prediction, by id, and their aggregate (means over defined values, counts,
    share within the token limit, share prose); failed and empty predictions count as failures. ``workers``:
    scoring processes (None: one per core, for evals large enough to share; see `filingsum.eval.scoring`)."""
    name = system or (preds[0].system if preds else None) or "system"
    return _score_all({name: preds}, tokenizer, max_summary_tokens=max_summary_tokens, nli_model=nli_model,
                      workers=workers)[name]


def score_systems(
    systems: Mapping[str, Sequence[PredictionRecord]],
    tokenizer: Any,
    *,
    max_summary_tokens: int,
    config: Mapping[str, Any] | None = None,
    nli_model: str | None = None,
    workers: int | None = None,
) -> Report:
    """Several named systems scored side by side (``workers`` as for `score_predictions`)."""
    if not systems:
        raise EvalInputError("no systems to score")
    results = _score_all(systems, tokenizer, max_summary_tokens=max_summary_tokens, nli_model=nli_model,
                         workers=workers)
    cfg = {"max_summary_tokens": max_summary_tokens, **(dict(config) if config else {})}
    return Report(results, cfg, predictions={name: list(p) for name, p in systems.items()})


def collect_predictions(
    records: Sequence[FilingRecord],
    systems: Mapping[str, SystemSpec],
    count_tokens: Callable[[str], int],
    *,
    max_summary_tokens: int,
) -> dict[str, list[PredictionRecord]]:
    """Predictions per system: given lists as they are, generators called on the records, and None for a
    baseline name (lead-k / extractive) built from the records."""
    out: dict[str, list[PredictionRecord]] = {}
    for name, spec in systems.items():
        if spec is None:
            if name not in BASELINES:
                raise EvalInputError(f"system {name!r} has no predictions or generator (only "
                                     f"{', '.join(BASELINES)} are built in)")
            out[name] = baseline_predictions(records, name, count_tokens, max_summary_tokens=max_summary_tokens)  # type: ignore[arg-type]
        elif callable(spec):
            out[name] = list(spec(records))
        else:
            out[name] = list(spec)
    return out


def run_eval(
    records: Sequence[FilingRecord],
    systems: Mapping[str, SystemSpec],
    tokenizer: Any,
    out_dir: str | os.PathLike[str],
    *,
    max_summary_tokens: int,
    gates: Mapping[str, Any] | Sequence[str] | None = None,
    gate_system: str | None = None,
    configured_gate_system: str | None = "tuned",
    config: Mapping[str, Any] | None = None,
    nli_model: str | None = None,
    examples: int = 5,
    workers: int | None = None,
) -> Report:
    """Predictions for every system, scored, gated and written to out_dir/report.{json,md,html}."""
    parsed_gates = parse_gates(gates)  # fail on a bad gate before any generation
    predictions = collect_predictions(records, systems, lambda t: token_count(t, tokenizer),
        max_summary_tokens=max_summary_tokens)
    report = score_systems(predictions, tokenizer, max_summary_tokens=max_summary_tokens, config=config,
        nli_model=nli_model, workers=workers)
    report.gates = evaluate_gates({n: r.aggregate for n, r in report.systems.items()}, parsed_gates,
                                  system=gate_system, configured_system=configured_gate_system)
    write_report(report, out_dir, examples=examples)
    return report
