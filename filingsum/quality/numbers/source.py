"""The figure index of a source text: its amounts, counts and percentages sorted for tolerance look-ups, its
years and dates as sets; cached per source (one source is checked against many summaries)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import lru_cache

from filingsum.quality.numbers.dates import header_dates
from filingsum.quality.numbers.extract import extract_numbers, is_sane
from filingsum.quality.numbers.matching import same_unit
from filingsum.quality.numbers.mention import NumberMention
from filingsum.quality.numbers.scale_notes import apply_scale_notes

_POINTS = frozenset({"point"})


@dataclass
class SourceFigures:
    """The figures of one source text, indexed for tolerance look-ups (amounts and counts, percentages) and
    set look-ups (years, dates)."""

    numbers: list[tuple[float, int]] = field(default_factory=list)  # (magnitude, index into `mentions`)
    percents: list[tuple[float, int]] = field(default_factory=list)
    mentions: list[NumberMention] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)  # "YYYY-MM-DD" and "YYYY-MM"

    @classmethod
    def from_text(cls, text: str) -> SourceFigures:
        figures = cls()
        for readings in source_readings(text):
            for mention in readings:
                if mention.kind == "number" and _alone_on_line(text, mention):
                    continue  # a page number ("\n9\n"), not a figure of the filing
                if mention.kind in ("number", "percent"):
                    if not is_sane(mention):
                        continue
                    pool = figures.numbers if mention.kind == "number" else figures.percents
                    pool.append((mention.magnitude, len(figures.mentions)))
                    figures.mentions.append(mention)
                    continue
                figures.years.add(int(mention.value))
                for date in (mention.date, *mention.more_dates):
                    if mention.kind == "date" and date:
                        figures.dates.update((date, date[:7]))
                        figures.years.add(int(date[:4]))
        for date in header_dates(text):
            figures.dates.update((date, date[:7]))
        figures.numbers.sort()
        figures.percents.sort()
        return figures

    def near(self, mention: NumberMention, tolerance: float) -> list[NumberMention]:
        """Source amounts/counts (or percentages) whose magnitude is within `tolerance` of the mention's."""
        pools = [self.percents if mention.kind == "percent" else self.numbers]
        if mention.kind == "number" and not mention.currency and (not mention.noun or mention.noun == _POINTS):
            # "25.6" for a column of percentages' "25.6"; "2.6 percentage points" for a rate reconciliation's
            # "Equity income or loss: (2.6)" under "Statutory U.S. federal tax rate: 21.0%" (same_unit decides)
            pools.append(self.percents)
        value = mention.magnitude
        out = []
        for pool in pools:
            i = bisect.bisect_left(pool, (value - tolerance, -1))
            while i < len(pool) and pool[i][0] <= value + tolerance:
                out.append(self.mentions[pool[i][1]])
                i += 1
        return out

    def same_metric(self, mention: NumberMention) -> list[NumberMention]:
        """Source figures of the same unit that measure the same thing (same counted noun or metric word)."""
        pool = self.percents if mention.kind == "percent" else self.numbers
        out = []
        for _, i in pool:
            other = self.mentions[i]
            if not same_unit(mention, other) or other.identifier or mention.identifier:
                continue
            if mention.head and mention.head == other.head:
                out.append(other)
            elif mention.metric and mention.metric & other.metric:
                out.append(other)
        return out


@lru_cache(maxsize=256)
def source_readings(text: str) -> tuple[list[NumberMention], ...]:
    """The figures of a source with their readings under its scale notes; cached per source text (the figure
    checks and the claim checks of one source share them)."""
    return tuple(apply_scale_notes(text, extract_numbers(text)))


def _alone_on_line(text: str, mention: NumberMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return line.strip() == mention.text.strip()


@lru_cache(maxsize=512)
def source_figures(source: str) -> SourceFigures:
    """Cached per source text: one source is scored against many summaries (systems, baselines)."""
    return SourceFigures.from_text(source)
