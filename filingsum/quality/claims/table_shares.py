"""The share of a whole a table row makes up: "AWS contributed more than half of Amazon's 2024 operating income"
read from "AWS: 24,631 | 39,834" and "Consolidated: $36,852 | $68,593" of the same table, in the claim's year."""

from __future__ import annotations

import re

from filingsum.quality.claims.index import SourceIndex
from filingsum.quality.numbers import NumberMention

_TOTAL_LABEL = re.compile(r"\s*(?:total|consolidated)\b", re.IGNORECASE)


def _table_rows(index: SourceIndex, k: int) -> range:
    """The rows of the table row k sits in: the run of rows around it under the same caption and headings."""
    units = index.units
    lo = hi = k
    while lo > 0 and units[lo - 1].kind == "row" and units[lo - 1].context == units[k].context:
        lo -= 1
    while hi + 1 < len(units) and units[hi + 1].kind == "row" and units[hi + 1].context == units[k].context:
        hi += 1
    return range(lo, hi + 1)


def _amount(index: SourceIndex, k: int, years: set[int]) -> NumberMention | None:
    """Row k's amount for the claim's years (its first amount when the table's columns have no years)."""
    amounts: dict[int, NumberMention] = {}
    for m in index.unit_figures[k].mentions:
        if m.kind == "number" and m.start not in amounts:
            amounts[m.start] = m
    dated = [(m, index.figure_periods.get((m.start, m.end), frozenset())) for m in amounts.values()]
    if any(period for _, period in dated):
        if not years:
            return None
        return next((m for m, period in dated if period & years), None)
    return next(iter(amounts.values()), None)


def row_share(index: SourceIndex, k: int, years: set[int]) -> tuple[float, str] | None:
    """(share in percent, what of what) that row k's amount makes up of its table's total row in the claim's
    year; None when row k is no table row, is a total itself, or its table has no total below it."""
    unit = index.units[k]
    if unit.kind != "row" or _TOTAL_LABEL.match(unit.text):
        return None
    total = next((j for j in _table_rows(index, k) if j > k and _TOTAL_LABEL.match(index.units[j].text)), None)
    if total is None:
        return None
    part, whole = _amount(index, k, years), _amount(index, total, years)
    if part is None or whole is None or whole.value <= 0 or part.value < 0:
        return None
    return 100.0 * part.value / whole.value, f"{part.text} of {whole.text}"


_SUB_ROW = re.compile(r"\s*(?:percentage|percent|%|as\s+a\s+(?:%|percent(?:age)?))\s+of\b", re.IGNORECASE)


def table_items(index: SourceIndex, k: int) -> int:
    """How many items the table of row k lists: its rows, totals and "Percentage of ..." rows aside (0 when k is
    no table row)."""
    if index.units[k].kind != "row":
        return 0
    return sum(1 for j in _table_rows(index, k)
               if not _TOTAL_LABEL.match(index.units[j].text) and not _SUB_ROW.match(index.units[j].text))
