"""The source indexed once per text (and cached, since one source is scored against many summaries): its units
with their content words, an inverted index, idf weights, the figures of each unit and the years they are for."""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from filingsum.quality.claims.row_changes import with_row_directions
from filingsum.quality.claims.units import SourceUnit, build_units, cell_years
from filingsum.quality.claims.words import YEAR_EARLIER, content_words
from filingsum.quality.numbers import NumberMention, SourceFigures, is_sane, source_readings
from filingsum.quality.numbers.dates import heading_dates


@dataclass
class SourceIndex:
    """A source's units with their words and figures, an inverted index and idf weights."""

    text: str
    units: list[SourceUnit]
    postings: dict[str, list[int]]
    idf: dict[str, float]
    unit_figures: list[SourceFigures]
    figure_periods: dict[tuple[int, int], frozenset[int]]  # (start, end) of a figure -> the years it is for
    unit_years: list[frozenset[int]]
    unit_dates: list[frozenset[str]]
    starts: list[int] = field(default_factory=list)

    def unit_at(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def weight(self, word: str) -> float:
        return self.idf.get(word, 0.0)


def _alone_on_line(text: str, mention: NumberMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    return text[line_start : len(text) if line_end < 0 else line_end].strip() == mention.text.strip()


@lru_cache(maxsize=256)
def source_index(text: str) -> SourceIndex:
    """The source's units, words, idf and figures; cached per source text."""
    units, row_years = build_units(text)
    starts = [u.start for u in units]
    readings_all = source_readings(text)
    per_unit: list[list[NumberMention]] = [[] for _ in units]
    periods: dict[tuple[int, int], frozenset[int]] = {}
    years: list[set[int]] = [set() for _ in units]
    dates: list[set[str]] = [set() for _ in units]
    for readings in readings_all:
        first = readings[0]
        if not units:
            break
        k = max(0, bisect.bisect_right(starts, first.start) - 1)
        unit = units[k]
        if first.kind in ("year", "date"):
            years[k].add(int(first.value))
            for d in (first.date, *first.more_dates):
                if first.kind == "date" and d:
                    dates[k].update((d, d[:7]))
                    years[k].add(int(d[:4]))
            continue
        if first.kind == "number" and _alone_on_line(text, first):
            continue
        if first.start >= unit.end:
            continue  # in a table's heading lines ("June 30, | June 30, | YTD'25 vs. YTD'24"), no unit's figure
        header = row_years.get((unit.start, unit.end))
        if header:
            periods[(first.start, first.end)] = cell_years(unit.start, text[unit.start:unit.end], header, first.start)
        per_unit[k].extend(readings)
    for k, unit in enumerate(units):
        if unit.kind == "row":  # "44,370 | 43,907" under "2023 | 2024": 2024's figure is down
            per_unit[k] = with_row_directions(per_unit[k], periods)
    unit_words = []
    df: dict[str, int] = {}
    postings: dict[str, list[int]] = {}
    for unit in units:
        words = content_words(unit.text + " " + unit.context)
        unit_words.append(words)
        for w in words:
            df[w] = df.get(w, 0) + 1
            postings.setdefault(w, []).append(unit.index)
    n = max(1, len(units))
    idf = {w: math.log(1 + n / c) for w, c in df.items()}
    units = [SourceUnit(u.index, u.start, u.end, u.text, u.kind, u.context, unit_words[u.index]) for u in units]
    for k, unit in enumerate(units):
        if unit.kind == "row":
            for m in re.finditer(r"(?:19|20)\d\d", unit.context):
                years[k].add(int(m.group(0)))
            for d in heading_dates(unit.context):  # "Three Months Ended August 31" over "2024 | 2023"
                dates[k].update((d, d[:7]))
        if years[k] and YEAR_EARLIER.search(unit.text):
            years[k] |= {y - 1 for y in years[k]}  # "a year earlier", "the prior year": spoken of too
    figures = [_unit_figures(ms, ys, ds) for ms, ys, ds in zip(per_unit, years, dates, strict=True)]
    return SourceIndex(text, units, postings, idf, figures, periods, [frozenset(y) for y in years],
                       [frozenset(d) for d in dates], starts)


def _unit_figures(mentions: list[NumberMention], years: set[int], dates: set[str]) -> SourceFigures:
    figures = SourceFigures(years=set(years), dates=set(dates))
    for mention in mentions:
        if not is_sane(mention):
            continue
        pool = figures.percents if mention.kind == "percent" else figures.numbers
        pool.append((mention.magnitude, len(figures.mentions)))
        figures.mentions.append(mention)
    figures.numbers.sort()
    figures.percents.sort()
    return figures
