"""Extracted sections to dataset records: exact and near duplicates dropped, each section fitted to the model's
source-token budget (one record per fitted window), every record with a unique id."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from filingsum.core.schema import FilingRecord, FilingSection
from filingsum.core.text import content_hash
from filingsum.dataset.filters import Drop
from filingsum.dataset.record_ids import record_id, source_unique_id
from filingsum.filings.fit import FittedText, fit_section


def deduplicate(
    sections: Sequence[FilingSection], threshold: float
) -> tuple[list[tuple[FilingSection, str]], list[Drop]]:
    """Drop exact (content hash) and near duplicates (`dedup.find_duplicates`); keeps the first seen."""
    from filingsum.dataset.dedup import find_duplicates

    kept: list[tuple[FilingSection, str]] = []
    drops: list[Drop] = []
    first_by_hash: dict[str, tuple[str, str]] = {}
    for section in sections:
        digest = content_hash(section.text)
        rid = record_id(section, digest)
        if digest in first_by_hash:
            kept_id, kept_path = first_by_hash[digest]
            drops.append(Drop(source_unique_id(rid, section.source_path), section.source_path, "dedup",
                              f"exact duplicate of {kept_id} ({kept_path})"))
            continue
        first_by_hash[digest] = (rid, section.source_path)
        kept.append((section, digest))
    near = find_duplicates([s.text for s, _ in kept], threshold) if len(kept) > 1 else {}
    for dup_index, kept_index in sorted(near.items()):
        section, digest = kept[dup_index]
        other, other_digest = kept[kept_index]
        drops.append(
            Drop(record_id(section, digest), section.source_path, "dedup",
                 f"near duplicate (similarity >= {threshold}) of {record_id(other, other_digest)}")
        )
    return [pair for i, pair in enumerate(kept) if i not in near], drops


def fit_records(
    sections: Sequence[tuple[FilingSection, str]],
    count_tokens: Callable[[str], int],
    budget: int,
    strategy: str,
    default_instruction: str,
    extra: int = 0,
    half_budget: bool = False,
) -> tuple[list[FilingRecord], set[str], list[Drop]]:
    """Records with fitted text; also the ids that are chunks of a section, and sections that fit to nothing.

    ``extra``: that many more consecutive chunks per long section (`extra_windows`), as records of their own.
    ``half_budget``: with fit_strategy aspects, also the section fitted to half the budget (`half_budget_window`,
    id suffix ``-half``), when the full fit is longer than that.
    """
    from filingsum.filings.fit import extra_windows, fit_aspects

    records: list[FilingRecord] = []
    partial: set[str] = set()
    drops: list[Drop] = []
    seen_ids: set[str] = set()
    for section, digest in sections:
        fitted = fit_section(section.text, count_tokens, budget, strategy)  # type: ignore[arg-type]
        if not fitted or not any(f.text.strip() for f in fitted):
            drops.append(Drop(record_id(section, digest), section.source_path, "fit", "nothing left after fitting"))
            continue
        extras = extra_windows(section.text, count_tokens, budget, extra, exclude=fitted[0].text) \
            if strategy != "chunk" else []
        halves = [fit_aspects(section.text, count_tokens, budget // 2)] \
            if half_budget and strategy == "aspects" and fitted[0].token_count > budget // 2 else []
        for piece in [*fitted, *extras, *halves]:
            rid = record_id(section, digest, piece.part, piece.parts) \
                + ("-half" if any(piece is h for h in halves) else "")
            if rid in seen_ids:  # same content hash prefix from another input: ids stay unique
                rid = source_unique_id(rid, section.source_path)
            seen_ids.add(rid)
            if piece.parts > 1:
                partial.add(rid)
            records.append(_record(section, digest, rid, piece, strategy, default_instruction))
    return records, partial, drops


def _record(
    section: FilingSection, digest: str, rid: str, piece: FittedText, strategy: str, default_instruction: str
) -> FilingRecord:
    """One fitted window of ``section`` as a record, its warnings saying what the fitting left out."""
    warnings = list(section.warnings)
    if piece.parts > 1:
        how = "fit_strategy=chunk" if strategy == "chunk" else "extra_windows"
        warnings.append(f"chunk {piece.part} of {piece.parts} of the section ({how})")
    elif piece.kept_ratio < 1.0:
        warnings.append(f"context fitting ({strategy}) kept {piece.kept_ratio:.0%} of the section")
    return FilingRecord(
        id=rid, company=section.company, form=section.form, fiscal_period=section.fiscal_period,
        source_path=section.source_path, content_hash=digest, section=section.section,
        instruction=section.instruction or default_instruction, text=piece.text,
        char_count=len(section.text), token_count=piece.token_count, kept_ratio=piece.kept_ratio,
        warnings=warnings,
    )
