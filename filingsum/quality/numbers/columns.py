"""Table columns typed by their cells. Financial tables print the percent sign only on a column's first and total
rows: "Sales: $8,322 | 23% | $7,580 | 23% | 10%" above "Service: 9,054 | 25 | 8,245 | 25 | 10". A bare figure in a
column whose other cells are percentages is a percentage too, and a parenthesised one there is a decline
("Orthopaedics: 4,546 | 4,652 | (2.3) (2.3) 0.0" under "Surgery: ... | 1.0 % 1.5 % (0.5)%")."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

from filingsum.quality.numbers.mention import NumberMention

# The cells' tokens, so that a figure's place in a cell holding several ("20.0 20.0 0.0") is known; dashes, "*"
# and "NM" hold a place without a figure.
_TOKEN = re.compile(r"\(?[-\u2212]?\$?\d[\d,.]*\)?(?:\s?%)?|[\u2014\u2013*]|-(?!\d)|\bn/?m\b", re.IGNORECASE)
# A line inside a table that is not a row: a blank line, or a short heading without a sentence end
# ("Hardware Revenues:", "Expenses:").
_MAX_HEADING = 80


def _is_table_gap(line: str) -> bool:
    stripped = line.strip()
    return not stripped or (len(stripped) < _MAX_HEADING and not re.search(r"[.!?]$", stripped)
                            and not re.search(r"\d", stripped))


def _regions(text: str) -> list[list[tuple[int, str]]]:
    """Runs of table rows ("|"-separated lines), with the blank lines and short headings between them."""
    regions: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        if "|" in line:
            current.append((pos, line))
        elif not (current and _is_table_gap(line)):
            if current:
                regions.append(current)
            current = []
        pos += len(line) + 1
    if current:
        regions.append(current)
    return regions


def _places(start: int, line: str, leaked: set[int]) -> dict[int, tuple[int, int, int]]:
    """Where each token of a row starts -> (cells in the row, cell index, token index counted from the cell's
    end: the label and its footnote marker lead the first cell, "Shockwave (1): 550"). A cell's last figure
    whose percent sign opens the next cell ("0.8 | % 2.3%") goes into ``leaked``."""
    places: dict[int, tuple[int, int, int]] = {}
    cells = line.split("|")
    offset = start
    for c, cell in enumerate(cells):
        tokens = list(_TOKEN.finditer(cell))
        for t, m in enumerate(tokens):
            places[offset + m.start()] = (len(cells), c, len(tokens) - 1 - t)
        if tokens and c + 1 < len(cells) and cells[c + 1].lstrip().startswith("%"):
            leaked.add(offset + tokens[-1].start())
        offset += len(cell) + 1
    return places


def _as_percent(mention: NumberMention) -> NumberMention:
    negative = mention.value < 0
    return replace(mention, kind="percent", scaled=False, currency=None, noun=frozenset(), head="", level=0,
                   change=-1 if negative else mention.change)


def type_table_columns(text: str, mentions: list[NumberMention]) -> list[NumberMention]:
    """The mentions, a bare figure in a table column of percentages read as a percentage."""
    if "|" not in text:
        return mentions
    by_start = {m.start: i for i, m in enumerate(mentions)}
    out = list(mentions)
    for region in _regions(text):
        columns: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        leaked: set[int] = set()
        for start, line in region:
            for pos, place in _places(start, line, leaked).items():
                i = by_start.get(pos)
                if i is None and pos + 1 in by_start and text[pos] == "(":
                    i = by_start[pos + 1]
                if i is not None:
                    columns[place].append(i)
        leaked_mentions = {by_start.get(pos, by_start.get(pos + 1)) for pos in leaked}
        for indices in columns.values():
            for i in _percent_cells(mentions, indices, leaked_mentions):
                out[i] = _as_percent(mentions[i])
    return out


def _percent_cells(mentions: list[NumberMention], indices: list[int], leaked: set[int | None]) -> list[int]:
    """The bare figures of one column to read as percentages: every one in a column of percentages; those below
    the first percentage where only the rows above it hold amounts ("Capital expenditures: $2,064" above the
    segments' shares "0.8 %", "29.2", "35.6")."""
    percent = [n for n, i in enumerate(indices) if mentions[i].kind == "percent" or i in leaked]
    if len(indices) < 2 or not percent:
        return []
    amounts = [n for n, i in enumerate(indices)
               if mentions[i].kind == "number" and (mentions[i].currency or mentions[i].noun or "," in mentions[i].text)
               and i not in leaked]
    if amounts and max(amounts) > percent[0]:
        return []  # a column of amounts that holds a percentage somewhere: not a percent column
    return [i for n, i in enumerate(indices)
            if n >= (percent[0] if amounts else 0) and mentions[i].kind == "number" and not mentions[i].scaled]
