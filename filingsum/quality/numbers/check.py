"""Judging a summary's figures against a source: each supported, contradicted or unverifiable, with the
source figure behind the verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from filingsum.quality.numbers.extract import extract_numbers, is_sane
from filingsum.quality.numbers.matching import (
    DEFAULT_MAX_ROUNDING,
    DEFAULT_REL_TOL,
    PRECISE_DIGITS,
    match_tolerance,
    opposite_direction,
    precision_mismatch,
    same_fact,
    significant_digits,
    within_bound,
)
from filingsum.quality.numbers.mention import NumberMention
from filingsum.quality.numbers.scale_notes import apply_scale_notes
from filingsum.quality.numbers.source import SourceFigures, source_figures

Verdict = Literal["supported", "contradicted", "unverifiable"]


@dataclass(frozen=True)
class FigureVerdict:
    """One summary figure, what the check made of it, and the source figure behind the verdict (if any)."""

    mention: NumberMention
    verdict: Verdict
    reason: str
    evidence: NumberMention | None = None


def classify_figure(
    readings: list[NumberMention],
    figures: SourceFigures,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> FigureVerdict:
    """Supported, contradicted or unverifiable, for one summary figure given its readings (one, or two when a
    scale note with exceptions leaves it ambiguous)."""
    first = readings[0]
    if not is_sane(first):
        return FigureVerdict(first, "unverifiable", "not a finite figure of sane magnitude")
    if first.kind == "year":
        ok = int(first.value) in figures.years
        return FigureVerdict(first, "supported" if ok else "unverifiable", "year" if ok else "year not in source")
    if first.kind == "date":
        dates = (first.date, *first.more_dates)
        ok = all(d in figures.dates for d in dates if d)
        return FigureVerdict(first, "supported" if ok else "unverifiable", "date" if ok else "date not in source")
    opposed: NumberMention | None = None
    for mention in readings:
        tolerance = match_tolerance(mention, rel_tol, max_rounding)
        if mention.bound:
            tolerance = max(tolerance, 2 * mention.half_unit)
        # The closest value first: "$53.0 billion" is the $53.0 billion of the source, not its $52.9 billion.
        for other in sorted(figures.near(mention, tolerance), key=lambda o: abs(o.magnitude - mention.magnitude)):
            if not same_fact(mention, other) or not within_bound(mention, other) or precision_mismatch(mention, other):
                continue
            if not opposite_direction(mention, other):
                return FigureVerdict(mention, "supported", "same value and unit", other)
            opposed = opposed or other
    if opposed is not None:
        return FigureVerdict(first, "contradicted", "same value, opposite sign or direction", opposed)
    written = _as_the_table_writes_it(first, figures)
    if written is not None:
        return FigureVerdict(first, "supported", "the table's figure, as written", written)
    for mention in readings:
        tolerance = match_tolerance(mention, rel_tol, max_rounding)
        # Another value: a figure of the same value that failed the binding (another row) contradicts nothing.
        same = [o for o in figures.same_metric(mention) if abs(o.magnitude - mention.magnitude) > tolerance]
        if same:
            return FigureVerdict(first, "contradicted", "same metric, other value", same[0])
    return FigureVerdict(first, "unverifiable", "no such figure in the source")


_TABLE_SCALES = (1e3, 1e6, 1e9)
_SCALE_WORD = re.compile(r"thousand|million|billion|\d\s*[kKmMbB]n?\b")


def _as_the_table_writes_it(mention: NumberMention, figures: SourceFigures) -> NumberMention | None:
    """A table row's figure the summary copies with the scale the table states out of view, or copies bare:
    "$35,507 million" for "...: $32,158 | $35,507" whose "(in millions)" the window cut off, "rose to 1,366" for
    "Energy Products: 1,366 | 946" under "(millions of dollars)". The digits must be the same, and the row
    the summary's."""
    if mention.kind != "number" or not mention.value or mention.noun:
        return None
    bare = not mention.currency and not mention.scaled
    copied = mention.scaled and significant_digits(mention.text) >= PRECISE_DIGITS  # "$35,507 million"
    if not (bare or copied):
        return None
    # figures a scale note reaches (a note with exceptions also reads them at face value)
    noted = {m.start for m in figures.mentions if m.scaled} if copied else set()
    for other in figures.mentions:
        if other.kind != "number" or _SCALE_WORD.search(other.text) or not same_fact(mention, other):
            continue
        if copied and not other.scaled and other.row and other.start not in noted:
            # the summary scales what the table gives at face value, its note out of view
            matches = any(abs(other.magnitude * scale - mention.magnitude) <= mention.half_unit
                          for scale in _TABLE_SCALES)
        elif bare and other.scaled:  # the summary copies the cell, the table's note scales it
            matches = any(abs(other.magnitude / scale - mention.magnitude) <= mention.half_unit
                          and abs(other.half_unit / scale - mention.half_unit) < 1e-9 for scale in _TABLE_SCALES)
        else:
            matches = False
        if matches:
            return other
    return None


def is_supported(
    mention: NumberMention,
    figures: SourceFigures,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> bool:
    """Whether a summary's figure (read without scale notes) appears in the source."""
    verdict = classify_figure([mention], figures, rel_tol=rel_tol, max_rounding=max_rounding)
    return verdict.verdict == "supported"


Mention = TypeVar("Mention")


@dataclass
class SupportCheck(Generic[Mention]):
    """A summary's mentions (figures, names) split into those the source supports and those it does not."""

    supported: list[Mention]
    unsupported: list[Mention]

    @property
    def total(self) -> int:
        return len(self.supported) + len(self.unsupported)

    @property
    def precision(self) -> float | None:
        """Share supported; None when the summary has no such mentions (undefined, not 0)."""
        return len(self.supported) / self.total if self.total else None


@dataclass
class NumberCheck(SupportCheck[NumberMention]):
    """A summary's figures: supported, and the unsupported ones split into contradicted and unverifiable."""

    verdicts: list[FigureVerdict] = field(default_factory=list)

    @property
    def contradicted(self) -> list[NumberMention]:
        return [v.mention for v in self.verdicts if v.verdict == "contradicted"]

    @property
    def unverifiable(self) -> list[NumberMention]:
        return [v.mention for v in self.verdicts if v.verdict == "unverifiable"]


def check_numbers(
    summary: str,
    source: str,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    max_rounding: float = DEFAULT_MAX_ROUNDING,
) -> NumberCheck:
    """Every figure of the summary, judged against the source (scale notes applied in both texts)."""
    figures = source_figures(source)
    verdicts = [
        classify_figure(readings, figures, rel_tol=rel_tol, max_rounding=max_rounding)
        for readings in apply_scale_notes(summary, extract_numbers(summary))
    ]
    supported = [v.mention for v in verdicts if v.verdict == "supported"]
    unsupported = [v.mention for v in verdicts if v.verdict != "supported"]
    return NumberCheck(supported, unsupported, verdicts)
