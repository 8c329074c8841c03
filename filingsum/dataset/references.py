"""Attach a reference summary to every record, from the sources in `data.references` priority order.

- ``gold``: human-written summaries (`filingsum.filings.gold`), matched by input basename (+ section when
  the entry names one); an entry written for one model input (the reference corpus: ``input_sha256`` of the
  fitted window) matches only a record whose fitted text has that hash, chunk or not;
- ``teacher``: a teacher model behind an OpenAI-compatible endpoint (`filingsum.dataset.teacher`);
- ``extractive``: the aspect-ranked extractive fallback, at most ``max_summary_tokens`` tokens.

A record takes the first source that yields a summary; when a source fails (teacher error) the next one is
tried and the failure is kept as a record warning. Gold is not attached to a chunk of a section (``partial``):
a summary of the whole section would describe facts the chunk does not contain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from filingsum.core.prompt import build_messages
from filingsum.core.schema import FilingRecord
from filingsum.filings.gold import GoldIndex

log = logging.getLogger(__name__)

CountTokens = Callable[[str], int]


@dataclass
class ReferenceOutcome:
    """Where a record's reference came from, and what went wrong on the way (for filters and the card)."""

    text: str | None = None
    origin: str = "none"
    finish_reason: str | None = None
    errors: list[str] = field(default_factory=list)


def attach_references(
    records: Sequence[FilingRecord],
    sources: Sequence[str],
    *,
    gold: GoldIndex | None = None,
    teacher: object | None = None,
    count_tokens: CountTokens | None = None,
    max_summary_tokens: int,
    partial_ids: frozenset[str] | set[str] = frozenset(),
    on_teacher_done: Callable[[], None] | None = None,
) -> tuple[list[FilingRecord], dict[str, ReferenceOutcome]]:
    """Records with ``reference``/``reference_origin`` set, and each record's outcome by id.

    ``teacher`` is a `filingsum.dataset.teacher.Teacher` (or anything with ``ask_many(list_of_messages)``);
    ``count_tokens`` is the model tokenizer's count and ``max_summary_tokens`` the run's summary cap, both for the
    extractive fallback.
    """
    outcomes = {r.id: ReferenceOutcome() for r in records}
    pending = list(records)
    for source in sources:
        if not pending:
            break
        if source == "gold":
            if gold is None or not len(gold):
                continue
            _from_gold(pending, outcomes, gold, partial_ids)
        elif source == "teacher":
            if teacher is None:
                continue
            _from_teacher(pending, outcomes, teacher, on_teacher_done)
        elif source == "extractive":
            _from_extractive(pending, outcomes, count_tokens, max_summary_tokens)
        else:
            raise ValueError(f"unknown reference source {source!r}")
        pending = [r for r in pending if outcomes[r.id].text is None]
    return [_with_reference(record, outcomes[record.id]) for record in records], outcomes


def _from_gold(
    pending: Sequence[FilingRecord], outcomes: dict[str, ReferenceOutcome], gold: GoldIndex,
    partial_ids: frozenset[str] | set[str],
) -> None:
    """Gold for the pending records: an entry for the record's exact text first, else (not for a chunk of a
    section) one for its input file and section."""
    for record in pending:
        entry = gold.lookup_input(record.text)
        if entry is None and record.id not in partial_ids:
            entry = gold.lookup(record.source_path, record.section)
        if entry is not None:
            outcomes[record.id].text, outcomes[record.id].origin = entry.summary, "gold"


def _from_teacher(
    pending: Sequence[FilingRecord], outcomes: dict[str, ReferenceOutcome], teacher: object,
    on_teacher_done: Callable[[], None] | None,
) -> None:
    """The teacher's answers for the pending records, in one batch; an error or an empty answer is noted."""
    batch = [build_messages(r.text, r.instruction) for r in pending]
    done = (lambda i, a: on_teacher_done()) if on_teacher_done else None
    answers = teacher.ask_many(batch, on_done=done)  # type: ignore[attr-defined]
    for record, answer in zip(pending, answers):
        outcome = outcomes[record.id]
        if answer.error:
            outcome.errors.append(f"teacher: {answer.error}")
        elif not (answer.summary or "").strip():
            outcome.errors.append("teacher: empty answer")
        else:
            outcome.text, outcome.origin = answer.summary, "teacher"
            outcome.finish_reason = answer.finish_reason


def _from_extractive(
    pending: Sequence[FilingRecord], outcomes: dict[str, ReferenceOutcome], count_tokens: CountTokens | None,
    max_summary_tokens: int,
) -> None:
    """The extractive summary (at most ``max_summary_tokens`` tokens) of each pending record."""
    from filingsum.filings.extractive import extractive_summary

    if count_tokens is None:
        raise ValueError("the extractive reference needs count_tokens (the model tokenizer's count)")
    for record in pending:
        summary = extractive_summary(record.text, count_tokens, max_summary_tokens=max_summary_tokens)
        if summary and summary.strip():
            outcomes[record.id].text, outcomes[record.id].origin = summary.strip(), "extractive"
        else:
            outcomes[record.id].errors.append("extractive: no sentence could be selected")


def _with_reference(record: FilingRecord, outcome: ReferenceOutcome) -> FilingRecord:
    """``record`` with its reference and origin set; the failures of sources tried before become warnings."""
    warnings = list(record.warnings)
    if outcome.text is not None and outcome.errors:
        warnings += [f"{e}; fell back to {outcome.origin}" for e in outcome.errors]
    return record.model_copy(
        update={"reference": outcome.text, "reference_origin": outcome.origin, "warnings": warnings}
    )
