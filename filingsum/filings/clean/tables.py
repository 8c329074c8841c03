"""Tables in text: cells of a row, numeric cells and rows, column header rows, a value wrapped onto a line of
its own put back in its row, and a row written as "Label: 2024 value | 2023 value" (pure functions)."""

from __future__ import annotations

import re

_CELL_SPLIT = re.compile(r"\s{2,}")
_NUMERIC_CELL = re.compile(r"^[\s$€£(\[]*[-–—+]?[$€£]?\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)?\s*[)%\]]*\s*[)%]*$")
_HAS_DIGIT_OR_DASH = re.compile(r"[\d–—-]")
_LONE_VALUE = re.compile(r"^\$?\s*\(?[\d,]+(?:\.\d+)?\)?%?$")


def is_numeric_cell(cell: str) -> bool:
    """A cell that is a figure: "$ 1,370", "(12)", "4.5%", "—"."""
    return bool(_NUMERIC_CELL.match(cell)) and bool(_HAS_DIGIT_OR_DASH.search(cell))


def split_cells(stripped: str) -> list[str]:
    """The cells of a stripped line: split at "|", else at runs of two or more spaces."""
    if "|" in stripped:
        return [c.strip() for c in stripped.split("|") if c.strip()]
    if "  " not in stripped and "\t" not in stripped:
        return [stripped] if stripped else []
    return [c for c in _CELL_SPLIT.split(stripped) if c]


def _value_count(line: str) -> int:
    return sum(1 for c in split_cells(line.strip())[1:] if is_numeric_cell(c))


def merge_wrapped_cells(lines: list[str]) -> list[str]:
    """Put a value that a text table wrapped onto its own line back into its row.

    "Cost of product revenue   314   172   797" + blank + "664": the row has fewer values than the rows
    around it, so the lone number is its last cell, not a page number.
    """
    out = list(lines)
    for i, line in enumerate(out):
        s = line.strip()
        if not _LONE_VALUE.match(s) or len(line) - len(line.lstrip()) >= 10:  # centred numbers are page numbers
            continue
        j = i - 1
        while j >= 0 and i - j <= 3 and not out[j].strip():
            j -= 1
        if j < 0 or not out[j].strip() or not is_numeric_row(split_cells(out[j].strip())):
            continue
        window = range(max(0, j - 12), min(len(out), i + 12))
        nearby = [_value_count(out[k]) for k in window if k != j and out[k].strip()]
        if nearby and _value_count(out[j]) < max(nearby):
            out[j] = out[j].rstrip() + "   " + s
            out[i] = ""
    return out


def is_numeric_row(cells: list[str]) -> bool:
    """A table row: a label, then short cells of which at least one is a figure."""
    if len(cells) < 2:
        return False
    rest = cells[1:]
    return any(is_numeric_cell(c) for c in rest) and all(len(c) <= 40 for c in rest)


def is_header_row(cells: list[str]) -> bool:
    """Could be a column header row: two or more short cells, none ending a sentence."""
    return len(cells) >= 2 and all(len(c) <= 45 and not c.endswith(".") for c in cells)


def format_row(cells: list[str]) -> str:
    """"Total  $  71  $  1,370" -> "Total: $71 | $1,370"; a row of column headers -> "2025 | 2024"."""
    merged: list[str] = []
    for cell in cells:
        if merged and merged[-1] in ("$", "€", "£", "(", "$(", "($"):
            merged[-1] = merged[-1] + cell
        elif merged and cell in ("%", ")", ")%", "%)") and _HAS_DIGIT_OR_DASH.search(merged[-1]):
            merged[-1] = merged[-1] + cell
        else:
            merged.append(cell)
    if len(merged) >= 2 and not is_numeric_cell(merged[0]) and any(is_numeric_cell(c) for c in merged[1:]):
        return f"{merged[0]}: " + " | ".join(merged[1:])
    return " | ".join(merged)
