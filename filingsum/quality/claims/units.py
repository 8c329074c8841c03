"""A source text cut into units: the sentences of its prose (hard-wrapped lines read as one run) and the rows of
its tables, each row with its table's caption and column headings, and the years of its columns."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

from filingsum.quality.numbers.scale_notes import is_column_heading


@dataclass(frozen=True)
class SourceUnit:
    """A sentence of the source's prose or a row of one of its tables (with the table's caption and headings)."""

    index: int
    start: int
    end: int
    text: str
    kind: Literal["sentence", "row"]
    context: str = ""  # a row's table caption and column headings
    words: frozenset[str] = frozenset()

    @property
    def evidence(self) -> str:
        return f"{self.text}  [{self.context}]" if self.context else self.text


_PARAGRAPH = re.compile(r"\n[ \t]*\n+")
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9$])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Inc|Co|Corp|Ltd|Mr|Mrs|Ms|Dr|St|No|Nos|vs|U\.S|e\.g|i\.e|etc|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|"
    r"Sep|Sept|Oct|Nov|Dec|L\.P|N\.A|S\.A)|\b[A-Z])\.$"
)
_YEAR_CELL = re.compile(r"^[^\d]*?((?:19|20)\d\d)\b[^\d]*$", re.IGNORECASE)
_DAY_CELL = re.compile(r"^\s*(?:[A-Za-z]+\s+)*[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s*$")
_FIGURE = re.compile(r"\d[\d,.]*")
_SCALE_LINE = re.compile(r"\bin\s+(?:thousands|millions|billions)\b", re.IGNORECASE)


def _prose_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if _ABBREVIATION.search(text[max(start, m.start() - 6) : m.start() + 1]):
            continue
        spans.append((pos, m.start() + 1))
        pos = m.end()
    if text[pos:end].strip():
        spans.append((pos, end))
    return spans


def _is_row(line: str) -> bool:
    if "|" in line:
        return True
    figures = _FIGURE.findall(line)
    words = re.findall(r"[A-Za-z]{2,}", line)
    first = re.search(r"\$?\(?\d", line)
    return len(figures) >= 2 and first is not None and len(re.findall(r"[A-Za-z]{2,}", line[first.start():])) <= 2 \
        and len(words) <= 12


_CHANGE_SPAN = re.compile(r"(?:19|20)\d\d\s*(?:-|\u2013|\u2014|vs\.?|versus|to|over|compared\s+to)\s*(?:19|20)\d\d")


def _header_years(line: str) -> list[int | None] | None:
    """The column years of a header row ("2024 | Change | 2023"), or None when the line is not a header."""
    cells = [c.strip() for c in line.split("|")]
    if ":" in cells[0] and re.search(r"(?:19|20)\d\d\s*$", cells[0]):
        cells[0] = cells[0].rsplit(":", 1)[1].strip()  # "Years ended December 31,: 2024 | 2023 | 2022"
    if "|" in line and not re.search(r"\d", line):
        return [None] * len(cells)  # "Three Months Ended | Nine Months Ended": headings without years
    if "|" not in line and is_column_heading(line):  # "2025 As a % of Total ... 2024 As a % of ... Growth Rate"
        return [int(y) for y in re.findall(r"(?<![\d,.$])(?:19|20)\d\d(?![\d,.%])", line)]
    if len(cells) < 2 and not re.fullmatch(r"(?:\s*(?:19|20)\d\d\s*){2,}", line):
        return None
    if len(cells) < 2:
        cells = line.split()
    years: list[int | None] = []
    for cell in cells:
        m = _YEAR_CELL.match(cell)
        if m:
            years.append(int(m.group(1)))
        elif _DAY_CELL.match(cell):
            years.append(None)
        elif re.search(r"\bvs\.?(?:\s|$)|\bchange\b|\bchg\b", cell, re.IGNORECASE):
            years.append(None)  # "YTD'25 vs. YTD'24", "2024 vs 2023 % change": a change column's heading
        elif re.fullmatch(r"\$\s*%", cell):
            years += [None, None]  # "2025 | 2024 | $% | ...": one heading over the change's $ and % columns
        elif re.search(r"\d", cell.replace("%", "")):
            return None
        else:
            years.append(None)
    return years if any(years) or all(y is None for y in years) else None


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of a text: the blocks between blank lines."""
    blocks = []
    pos = 0
    for m in _PARAGRAPH.finditer(text):
        blocks.append((pos, m.start()))
        pos = m.end()
    blocks.append((pos, len(text)))
    return blocks


def _lines(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, line) of each line of text[start:end]."""
    lines = []
    for line in text[start:end].split("\n"):
        lines.append((start, start + len(line), line))
        start += len(line) + 1
    return lines


def _caption_of(paragraph: str) -> str:
    """The caption a prose paragraph gives the table below it: its end when it introduces one (it ends with ":",
    states the scale or is short), else none."""
    lower = paragraph.lower()
    if (paragraph.endswith(":") or "in millions" in lower or "in thousands" in lower or "in billions" in lower
            or len(paragraph) < 80):
        return paragraph[-300:]
    return ""


def _is_heading(paragraph: str) -> bool:
    """A short line that heads a table rather than says something: no sentence end, under 80 characters
    ("Years ended December 31,", "(Amounts in thousands)", "Three Months Ended")."""
    return len(paragraph) < 80 and "\n" not in paragraph and not re.search(r"[.!?]$", paragraph)


def _add_sentences(units: list[SourceUnit], text: str, start: int, end: int) -> None:
    """The prose sentences of text[start:end], appended to the units as sentence units."""
    for s, e in _prose_sentences(text, start, end):
        units.append(SourceUnit(len(units), s, e, " ".join(text[s:e].split()), "sentence"))


@dataclass
class _Table:
    """What the rows read next belong to: the caption, the column years and headings, and whether rows have come
    since the caption."""

    caption: str = ""
    header: list[int | None] | None = None
    header_text: str = ""
    rows_since_caption: bool = False

    def read_paragraph(self, last: str) -> None:
        """A paragraph of prose or a heading between tables or inside one."""
        if last and self.header and not self.rows_since_caption and _is_heading(last) and _SCALE_LINE.search(last):
            # "(in thousands, except percentages)" between the column headings and the rows
            self.header_text = f"{self.header_text} / {last}"[-300:]
        elif last and self.header and self.rows_since_caption and _is_heading(last) and not re.search(r"\d", last):
            # "Services Revenues:" or "Incurred But Not Reported" between a table's row groups: the columns go on
            self.caption = last[-300:]
            self.rows_since_caption = False
        elif last and (self.caption or self.header and not last.endswith(":")) and not self.rows_since_caption \
                and _is_heading(last):
            # "Years ended December 31," or "(Amounts in thousands)" between a table's caption, its header and its
            # rows ("Net production of crude oil ..." under "2025 | 2024 | 2025 | 2024"): more heading, not a new
            # caption
            self.caption = f"{self.caption} / {last}"[-300:] if self.caption else last[-300:]
        elif last:
            self.caption = _caption_of(last)
            self.header, self.header_text = None, ""
        self.rows_since_caption = False

    def read_prose_lines(self, last_line: str) -> None:
        """Prose lines inside a block of rows: the next rows start a new table."""
        self.caption = last_line.strip()[-300:]
        self.header, self.header_text = None, ""

    def read_heading_line(self, line: str, years: list[int | None]) -> None:
        if any(years):
            self.header = years
        self.rows_since_caption = False  # a new table's headings
        self.header_text = f"{self.header_text} / {line.strip()}"[-300:] if self.header_text else line.strip()


def build_units(text: str) -> tuple[list[SourceUnit], dict[tuple[int, int], list[int | None]]]:
    """Sentences and table rows of a source, in order; and for each table row, its column years."""
    units: list[SourceUnit] = []
    row_years: dict[tuple[int, int], list[int | None]] = {}
    table = _Table()
    for b_start, b_end in _paragraphs(text):
        lines = _lines(text, b_start, b_end)
        if len(lines) == 1 and table.header and any(table.header) and not table.rows_since_caption \
                and _CHANGE_SPAN.fullmatch(lines[0][2].strip()):
            # "2024-2023" under "(dollars in millions): 2024 | 2023 | 2022 | % Change": the change column's
            # sub-heading, not new columns
            table.header_text = f"{table.header_text} / {lines[0][2].strip()}"[-300:]
            continue
        if len(lines) == 1 and is_column_heading(lines[0][2]):
            # "2025 As a % of Total ... Revenues 2024 As a % of Total ... Growth Rate": the columns' headings
            table.header = _header_years(lines[0][2])
            table.header_text = lines[0][2].strip()[-300:]
            continue
        if not any(_is_row(line) for _, _, line in lines):
            _add_sentences(units, text, b_start, b_end)
            table.read_paragraph(text[b_start:b_end].strip())
            continue
        prose: list[tuple[int, int, str]] = []  # consecutive prose lines: one run (hard-wrapped text)

        def flush_prose(prose: list[tuple[int, int, str]]) -> None:
            if prose:
                _add_sentences(units, text, prose[0][0], prose[-1][1])
                table.read_prose_lines(prose[-1][2])
                prose.clear()

        for s, e, line in lines:
            if not line.strip():
                continue
            years = _header_years(line)
            if years is not None:
                flush_prose(prose)
                table.read_heading_line(line, years)
                continue
            if not _is_row(line):
                prose.append((s, e, line))
                continue
            flush_prose(prose)
            context = " / ".join(p for p in (table.caption, table.header_text) if p)
            units.append(SourceUnit(len(units), s, e, line.strip(), "row", context))
            table.rows_since_caption = True
            if table.header:
                row_years[(s, e)] = table.header
        flush_prose(prose)
    return units, row_years


def cell_years(line_start: int, line: str, header: list[int | None], pos: int) -> frozenset[int]:
    """The year of the column a figure at `pos` sits in, mapping the row's cells onto the header's."""
    cells = line.split("|") if "|" in line else re.split(r"\s{2,}", line)
    bounds = []
    offset = 0
    for cell in cells:
        bounds.append(offset)
        offset += len(cell) + 1
    k = bisect.bisect_right(bounds, pos - line_start) - 1
    only_years = [y for y in header if y is not None]
    if len(cells) == len(header):
        year = header[k]
    elif len(cells) == len(only_years):
        year = only_years[k]
    elif len(cells) > len(header) and len(only_years) == len(header) >= 2:
        # The years head the amount columns, the change columns have none: "2025 | 2024 | 2025 | 2024" over
        # "$94,036 | $85,777 | 10% | $313,695 | $296,105 | 6%"; "2025 | 2024" over "Cost of revenues:
        # $10,588,458 | $10,151,216 | $437,242 | 4%" (the years lead, the change follows)
        amounts = [i for i, cell in enumerate(cells) if re.search(r"\d", cell) and not cell.strip().endswith("%")]
        ok = k in amounts and amounts.index(k) < len(header) and len(amounts) >= len(header)
        year = header[amounts.index(k)] if ok else None
    elif len(cells) > len(header) and len(only_years) >= 2 and header[: len(only_years)] == only_years:
        # "2024 | 2023 | 2022 | 2024 vs. 2023" over "$7.29 | $7.64 | $8.50 | $(0.35) | (5)%": the years lead
        year = header[k] if k < len(only_years) else None
    else:
        year = None
    return frozenset({year}) if year else frozenset()
