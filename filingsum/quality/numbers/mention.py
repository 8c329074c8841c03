"""A figure found in a text (NumberMention): where it is, what it says, its value and what it measures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NumberKind = Literal["number", "percent", "year", "date"]


@dataclass(frozen=True)
class NumberMention:
    """One figure found in a text: where it is, what it says, its canonical value and what it measures."""

    start: int
    end: int
    text: str
    kind: NumberKind
    value: float  # the amount or count (negative when written so), the percentage, or the year
    date: str | None = None  # "2016-12-31", "2011-05" or "2016" for dates and years
    half_unit: float = 0.0  # half a unit of the last stated digit: the rounding the figure implies
    scaled: bool = False  # carries a scale word ("million"), abbreviation ("$1.1B") or a table's scale note
    currency: str | None = None  # "USD", "EUR", "GBP" for amounts of money
    noun: frozenset[str] = frozenset()  # what a count counts: {"employee"} for "53 full-time employees"
    head: str = ""  # the head of that noun phrase ("group" for "two primary customer groups")
    change: int = 0  # +1 increase, -1 decrease, 0 not stated
    level: int = 0  # +1 income/profit, -1 loss or a negative figure, 0 not stated
    metric: frozenset[str] = frozenset()  # metric words of its clause: {"revenue"}, {"backlog"}
    more_dates: tuple[str, ...] = ()  # "December 31, 2016 and 2017": the further dates of the same phrase
    identifier: str | None = None  # "note" for "Note 20": a number that names something, not a quantity
    family: frozenset[str] = frozenset()  # metric families right around it: {"revenue"}, {"earnings"}
    row: frozenset[str] = frozenset()  # a table row's label words ({"ipad"} for "iPad: 6,581 | 7,162 | (8)%"),
    # all of which a summary's sentence must name for that figure to support it
    row_alias: str = ""  # the abbreviation the label gives itself ("apac" for "Asia-Pacific (APAC): ..."),
    # which names the row on its own
    context: frozenset[str] = frozenset()  # the words of its clause, to find a table row's label in
    bound: int = 0  # +1 "more than 32,000" (the value is a floor), -1 "less than" (a ceiling), 0 neither

    @property
    def span(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.text)

    @property
    def magnitude(self) -> float:
        return abs(self.value)
