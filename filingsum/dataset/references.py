"""Attach a reference summary to every record, from the sources in `data.references` priority order.

- ``gold``: human-written JSONL (one object per line: source_file = basename of the input file, optional
  section, company, form, summary, author), matched by basename (+ section when the entry names one); an
  entry written for one model input (the reference corpus: ``input_sha256`` of the fitted window) matches
  only a record whose fitted text has that hash, chunk or not;
- ``teacher``: a teacher model behind an OpenAI-compatible endpoint (`filingsum.dataset.teacher`);
- ``extractive``: the aspect-ranked extractive fallback, at most ``max_label_tokens`` tokens.

A record takes the first source that yields a summary; when a source fails (teacher error) the next one is
tried and the failure is kept as a record warning. Gold is not attached to a chunk of a section (``partial``):
a summary of the whole section would describe facts the chunk does not contain.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filingsum.core.io import read_jsonl
from filingsum.core.prompt import build_messages
from filingsum.core.schema import FilingRecord

log = logging.getLogger(__name__)

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class GoldSummary:
    source_file: str
    summary: str
    section: str | None = None
    company: str | None = None
    form: str | None = None
    author: str | None = None
    origin_file: str = ""
    input_sha256: str | None = None  # written for this exact model input (a fitted window), not the section


@dataclass
class ReferenceOutcome:
    """Where a record's reference came from, and what went wrong on the way (for filters and the card)."""

    text: str | None = None
    origin: str = "none"
    finish_reason: str | None = None
    errors: list[str] = field(default_factory=list)


def source_basename(source_path: str) -> str:
    """Basename of an input file; JSONL rows keep their "#line" suffix ("filings.jsonl#3")."""
    path, _, line = source_path.partition("#")
    name = Path(path).name
    return f"{name}#{line}" if line else name


class GoldIndex:
    """Gold summaries looked up by (basename, section), falling back to entries without a section."""

    def __init__(self, entries: Iterable[GoldSummary] = ()):
        self._by_section: dict[tuple[str, str], GoldSummary] = {}
        self._any_section: dict[str, GoldSummary] = {}
        self._by_input: dict[str, GoldSummary] = {}
        for entry in entries:
            if entry.input_sha256:
                self._by_input.setdefault(entry.input_sha256, entry)
            elif entry.section:
                self._by_section.setdefault((entry.source_file, entry.section), entry)
            else:
                self._any_section.setdefault(entry.source_file, entry)

    def __len__(self) -> int:
        return len(self._by_section) + len(self._any_section) + len(self._by_input)

    def lookup_input(self, text: str) -> GoldSummary | None:
        """The entry written for exactly this model input, if any."""
        return self._by_input.get(hashlib.sha256(text.encode("utf-8")).hexdigest())

    def lookup(self, source_path: str, section: str) -> GoldSummary | None:
        name = source_basename(source_path)
        return self._by_section.get((name, section)) or self._any_section.get(name)


def _gold_files(specs: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            files.extend(sorted(Path().glob(spec)) if any(c in spec for c in "*?[") else [])
    return files


def load_gold(specs: Sequence[str]) -> tuple[GoldIndex, list[str]]:
    """Gold entries from JSONL files/dirs, and warnings for unusable lines or missing paths (never raises)."""
    warnings: list[str] = []
    entries: list[GoldSummary] = []
    for spec in specs:
        if not Path(spec).exists() and not any(c in spec for c in "*?["):
            warnings.append(f"gold path {spec} does not exist")
    for path in _gold_files(specs):
        try:
            rows = list(read_jsonl(path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warnings.append(f"gold file {path} unreadable: {type(exc).__name__}: {exc}")
            continue
        for number, row in enumerate(rows, start=1):
            summary = row.get("summary") if isinstance(row, dict) else None
            source_file = row.get("source_file") if isinstance(row, dict) else None
            if not isinstance(summary, str) or not summary.strip() or not isinstance(source_file, str):
                warnings.append(f"gold file {path} row {number}: needs 'source_file' and a non-empty 'summary'")
                continue
            entries.append(
                GoldSummary(
                    source_file=Path(source_file).name if "#" not in source_file else source_file,
                    summary=summary.strip(),
                    section=row.get("section") or None,
                    company=row.get("company"),
                    form=row.get("form"),
                    author=row.get("author"),
                    origin_file=str(path),
                    input_sha256=row.get("input_sha256") or None,
                )
            )
    return GoldIndex(entries), warnings


def attach_references(
    records: Sequence[FilingRecord],
    sources: Sequence[str],
    *,
    gold: GoldIndex | None = None,
    teacher: object | None = None,
    count_tokens: CountTokens | None = None,
    max_label_tokens: int = 512,
    partial_ids: frozenset[str] | set[str] = frozenset(),
    on_teacher_done: Callable[[], None] | None = None,
) -> tuple[list[FilingRecord], dict[str, ReferenceOutcome]]:
    """Records with ``reference``/``reference_origin`` set, and each record's outcome by id.

    ``teacher`` is a `filingsum.dataset.teacher.Teacher` (or anything with ``ask_many(list_of_messages)``);
    ``count_tokens`` is the model tokenizer's count, needed for the extractive fallback.
    """
    outcomes = {r.id: ReferenceOutcome() for r in records}
    pending = list(records)
    for source in sources:
        if not pending:
            break
        if source == "gold":
            if gold is None or not len(gold):
                continue
            for record in pending:
                entry = gold.lookup_input(record.text)
                if entry is None and record.id not in partial_ids:
                    entry = gold.lookup(record.source_path, record.section)
                if entry is not None:
                    outcomes[record.id].text, outcomes[record.id].origin = entry.summary, "gold"
        elif source == "teacher":
            if teacher is None:
                continue
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
        elif source == "extractive":
            from filingsum.filings.extractive import extractive_summary

            if count_tokens is None:
                raise ValueError("the extractive reference needs count_tokens (the model tokenizer's count)")
            for record in pending:
                summary = extractive_summary(record.text, count_tokens, max_tokens=max_label_tokens)
                if summary and summary.strip():
                    outcomes[record.id].text, outcomes[record.id].origin = summary.strip(), "extractive"
                else:
                    outcomes[record.id].errors.append("extractive: no sentence could be selected")
        else:
            raise ValueError(f"unknown reference source {source!r}")
        pending = [r for r in pending if outcomes[r.id].text is None]

    updated: list[FilingRecord] = []
    for record in records:
        outcome = outcomes[record.id]
        warnings = list(record.warnings)
        if outcome.text is not None and outcome.errors:
            warnings += [f"{e}; fell back to {outcome.origin}" for e in outcome.errors]
        updated.append(
            record.model_copy(
                update={"reference": outcome.text, "reference_origin": outcome.origin, "warnings": warnings}
            )
        )
    return updated, outcomes
