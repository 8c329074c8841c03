"""The direction a table row states without a word for it: an amount is up or down on the cell of the year before
it ("Sales and marketing: 44,370 | 43,907" under "2023 | 2024": 2024's 43,907 is down), and a bare percentage
that equals the change between two years' amounts is that change ("Cost of revenues: $10,588,458 | $10,151,216
| $437,242 | 4%": up 4%)."""

from __future__ import annotations

from dataclasses import replace

from filingsum.quality.numbers import NumberMention


def _dated_amounts(mentions: list[NumberMention], periods: dict[tuple[int, int], frozenset[int]]
                   ) -> list[tuple[NumberMention, int]]:
    seen: set[int] = set()
    out = []
    for m in mentions:
        years = periods.get((m.start, m.end), frozenset())
        if m.kind == "number" and m.value > 0 and len(years) == 1 and m.start not in seen:
            seen.add(m.start)
            out.append((m, next(iter(years))))
    return out


def _year_before(amounts: list[tuple[NumberMention, int]], i: int) -> NumberMention | None:
    """The amount of the year before amount i's, the nearest such cell of the row."""
    year = amounts[i][1]
    candidates = [(abs(j - i), m) for j, (m, y) in enumerate(amounts) if y == year - 1]
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def with_row_directions(mentions: list[NumberMention], periods: dict[tuple[int, int], frozenset[int]]
                        ) -> list[NumberMention]:
    """A table row's figures with the direction their cells state: each amount against the year before's, each
    bare percentage that is the change between two years' amounts."""
    amounts = _dated_amounts(mentions, periods)
    if len(amounts) < 2:
        return mentions
    changes: dict[int, int] = {}  # start of an amount -> +1 up / -1 down on the year before
    growth: list[float] = []
    for i, (m, _) in enumerate(amounts):
        before = _year_before(amounts, i)
        if before is not None and m.value != before.value:
            changes[m.start] = 1 if m.value > before.value else -1
            growth.append(100.0 * (m.value - before.value) / before.value)
    out = []
    for m in mentions:
        if m.change == 0 and m.start in changes:
            m = replace(m, change=changes[m.start])
        elif m.change == 0 and m.kind == "percent" and m.value > 0:
            tolerance = max(0.6, m.half_unit + 0.1)
            fits = [g for g in growth if abs(abs(g) - m.value) <= tolerance]
            if fits and all(g > 0 for g in fits):
                m = replace(m, change=1)
        out.append(m)
    return out
