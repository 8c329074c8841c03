"""Classify the lines of a section as table rows, bullets, prose or blanks; table rows come out formatted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from filingsum.filings.clean.lines import PAGE_NUMBER
from filingsum.filings.clean.tables import format_row, is_header_row, is_numeric_cell, is_numeric_row, split_cells

_BULLET_GLYPHS = "?●•·▪■□◦‣⁃∙➢➤►▶✓✔o\uf0b7\uf0a7\uf076\uf0d8\uf0fc"
_BULLET_ONLY = re.compile(rf"^[{re.escape(_BULLET_GLYPHS)}]$")
_BULLET_START = re.compile(rf"^(?:[{re.escape(_BULLET_GLYPHS.replace('o', ''))}]\s*|o\s+)(?=\S)")


@dataclass
class Line:
    """One line of a section, classified (a table row formatted, a bullet without its glyph)."""

    text: str
    kind: str  # "prose", "table", "bullet", "blank"


def classify_lines(lines: list[str]) -> list[Line]:
    """Each line as a table row (a numeric row, or a header or "|" row next to numeric rows), a bullet, prose
    or a blank."""
    out: list[Line] = []
    cells_of = [split_cells(ln.strip()) for ln in lines]
    numeric = [is_numeric_row(c) or (len(c) == 1 and is_numeric_cell(c[0]) and len(c[0]) > 1) for c in cells_of]
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            out.append(Line("", "blank"))
            continue
        cells = cells_of[i]
        is_table = numeric[i] and len(cells) >= 2
        if not is_table and "|" in s and all(len(c) <= 60 for c in cells):
            window = [j for j in range(max(0, i - 6), min(len(lines), i + 7)) if lines[j].strip()]
            is_table = any(numeric[j] and len(cells_of[j]) >= 2 for j in window)
        if not is_table and is_header_row(cells):
            # a column header row: short cells, with a numeric row among the next few non-blank lines
            ahead = [j for j in range(i + 1, min(len(lines), i + 8)) if lines[j].strip()][:3]
            is_table = any(numeric[j] and len(cells_of[j]) >= 2 for j in ahead)
        if is_table:
            out.append(Line(format_row(cells), "table"))
        elif _BULLET_ONLY.match(s):
            out.append(Line("", "bullet"))
        elif _BULLET_START.match(s) and not PAGE_NUMBER.match(s):
            out.append(Line(_BULLET_START.sub("", s, count=1), "bullet"))
        else:
            out.append(Line(s, "prose"))
    return out
