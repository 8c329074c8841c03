"""The periods of a claim checked: a year or date of the claim must be in the source (and in the unit the claim
comes from, when that unit is dated), and a figure must be stated for the years the claim gives it ("compared
to 2023" is a comparison base, not the figure's year)."""

from __future__ import annotations

import re

from filingsum.quality.claims.alignment import BIND_MARGIN, Judge
from filingsum.quality.claims.index import SourceIndex
from filingsum.quality.claims.records import Claim
from filingsum.quality.claims.split import segment_at
from filingsum.quality.claims.words import year_earlier
from filingsum.quality.numbers import FigureVerdict, NumberMention

_YEAR_IN_TEXT = re.compile(r"(?<![\d,.$])(?:19|20)\d\d(?![\d%]|[,.]\d)")


# A year after these words is the base a change is measured against, not the period of the figure: "an
# increase of 22% compared to 2023" states 2024's growth.
_COMPARED_TO = re.compile(r"(?:compared\s+(?:to|with)|from|over|versus|vs\.?|than|relative\s+to|against)\s+"
                          r"(?:(?:in|the|fiscal|calendar|full|year|same\s+period\s+(?:of|in)|end\s+of)\s+)*$",
                          re.IGNORECASE)


# Counts that measure a period's length ("the first six months"), not figures dated by a period.
_PERIOD_NOUNS = frozenset({"month", "week", "quarter", "day"})


def _prose_period(index: SourceIndex, k: int, figure: NumberMention) -> frozenset[int]:
    """The years a prose figure is for: those of its segment ("$441.8 billion and $420.6 billion for fiscal
    2024 and 2023, respectively" pairs them in order), else none."""
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    span = segment_at(raw, figure.start - unit.start)
    seg = raw[span[0] : span[1]]
    found = list(_YEAR_IN_TEXT.finditer(seg))
    years = [int(m.group()) for m in found if not _COMPARED_TO.search(seg[max(0, m.start() - 40) : m.start()])]
    if not found and year_earlier(seg):
        # "compared to $17.5 billion a year earlier": the year before the sentence's own years
        return frozenset(int(m.group()) - 1 for m in _YEAR_IN_TEXT.finditer(raw)
                         if not _COMPARED_TO.search(raw[max(0, m.start() - 40) : m.start()]))
    if not years:
        if not found:
            return frozenset()
        # only a comparison base here ("an increase of 22% compared to 2023"): the sentence's own years
        return frozenset(int(m.group()) for m in _YEAR_IN_TEXT.finditer(raw)
                         if not _COMPARED_TO.search(raw[max(0, m.start() - 40) : m.start()]))
    same = [m for m in index.unit_figures[k].mentions
            if m.kind == figure.kind and unit.start + span[0] <= m.start < unit.start + span[1]]
    starts = sorted({m.start for m in same})
    if "respectively" in raw[span[1] : span[1] + 20].lower() and len(starts) == len(years) > 1:
        return frozenset({years[starts.index(figure.start)]})
    return frozenset(years)


def wrong_figure_period(index: SourceIndex, verdict: FigureVerdict, claim: Claim, k: int) -> frozenset[int] | None:
    """None when the claim's years fit the evidence figure's period; else the years the source gives it for."""
    claim_years = {int(p.value) for p in claim.periods if p.kind == "year"} | {
        int(d[:4]) for p in claim.periods if p.kind == "date" for d in (p.date, *p.more_dates) if d}
    if year_earlier(claim.text):
        claim_years |= {y - 1 for y in claim_years}  # "from $715 million a year earlier"
    if not claim_years or verdict.evidence is None or verdict.evidence.noun & _PERIOD_NOUNS:
        return None  # "six" of "the first six months": the length of the period, not a figure dated by it
    period = index.figure_periods.get((verdict.evidence.start, verdict.evidence.end))
    if not period and index.units[k].kind == "sentence":
        period = _prose_period(index, k, verdict.evidence)
    if period and not (claim_years & period):
        return period
    return None


def check_period(judge: Judge, mention: NumberMention, best: int | None) -> tuple[str, str, int | None] | None:
    """A year or date of the claim: in the source, and in the unit the claim comes from when that has dates."""
    index = judge.index
    if mention.kind == "date":
        wanted = {d for d in (mention.date, *mention.more_dates) if d}
        holders = [k for k, ds in enumerate(index.unit_dates) if wanted & ds]
        everywhere = all(any(d in ds for ds in index.unit_dates) for d in wanted)
        if not everywhere:
            return "unsupported", f"{mention.text} is not in the source", None
        years = {int(d[:4]) for d in wanted}
    else:
        years = {int(mention.value)}
        holders = [k for k, ys in enumerate(index.unit_years) if years & ys]
        if not holders:
            return "unsupported", f"{mention.text} is not in the source", None
    if best is None:
        return None
    best_years = index.unit_years[best]
    if not best_years or years & best_years:
        return None
    best_cov = judge.coverage(best)
    holder_cov = max((judge.coverage(k) for k in holders), default=0.0)
    if holder_cov + BIND_MARGIN < best_cov:
        shown = ", ".join(str(y) for y in sorted(best_years))
        return "contradicted", f"the source dates this to {shown}, not {mention.text}", best
    return None
