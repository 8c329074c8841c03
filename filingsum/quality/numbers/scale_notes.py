"""Scale notes ("(in thousands)", "dollars in millions"): the table or sentence each applies to, and the
readings of the figures there (scaled, and at face value where the note has exceptions)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from filingsum.quality.numbers.mention import NumberMention

_SCALE_NOTE = re.compile(
    r"\((?P<lead>[^()\n]{0,40}?)\bin\s+(?P<scale>thousands|millions|billions)\b(?P<tail>[^()\n]{0,80})\)"
    r"|\b(?:dollars|amounts)\s+in\s+(?P<scale2>thousands|millions|billions)\b"
    r"|(?:\bin\s+|\()(?P<scale3>thousands|millions|billions)\s+of\s+(?:U\.S\.\s+)?dollars\b"
    r"|\(\s*(?:in\s+)?(?:US)?\$\s*(?:in\s+)?(?P<scale4>thousands|millions|billions|K|M|MM|B|bn)\b[^()\n]{0,60}\)"
    # "(thousands of barrels daily)": a unit's scale
    r"|\(\s*(?P<scale5>thousands|millions|billions)\s+of\s+(?!dollars|U\.S\.)[a-z][a-z\s-]{0,40}\)",
    re.IGNORECASE,
)
_NOTE_SCALES = {"thousands": 1e3, "millions": 1e6, "billions": 1e9, "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9,
                "bn": 1e9}
# How far a table reaches from its note: a note covers its table, not the pages after it.
SCALE_NOTE_REACH = 6_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


@dataclass(frozen=True)
class ScaleRegion:
    """Characters [start, end) whose bare figures a scale note multiplies; `keep_face` when the note has
    exceptions ("except per share amounts"), so a figure may also be meant at face value."""

    start: int
    end: int
    scale: float
    keep_face: bool
    note_line: int = -1  # where the note's line starts


_MAX_HEADING_LINE = 200  # a longer line is prose, whatever it ends with
_HEADING_YEAR = re.compile(r"(?<![\d,.$])(?:19|20)\d\d(?![\d,.%])")


def is_column_heading(line: str) -> bool:
    """A table's column headings on one line without cell marks, however wordy: two or more years and no sentence
    end ("2025 As a % of Total Subscription and Support Revenues 2024 As a % of Total ... Growth Rate")."""
    stripped = line.strip()
    return (len(stripped) <= _MAX_HEADING_LINE and len(_HEADING_YEAR.findall(stripped)) >= 2
            and not re.search(r"[.!?]$|[a-z0-9)]\.\s+[A-Z]", stripped) and not re.search(r"\$\s?\d|\d,\d{3}", stripped))


def _is_prose_line(line: str) -> bool:
    if "|" in line:
        return False  # a table row, also when its header cells are wordy
    if is_column_heading(line):
        return False
    words = len(re.findall(r"[A-Za-z]{2,}", line))
    figures = len(re.findall(r"\d[\d,.]*", line))
    if words >= 4 and re.search(r"[a-z)]{2,}[.!?]\s*$", line) and words > figures:
        return True  # a short sentence after a table ends it
    return words >= 8 and words > 3 * figures


_EXCEPTED_PERCENTS = frozenset("percentages percentage percent ratios ratio data amounts and for the %".split())


def _face_values_excepted(note: str) -> bool:
    """Whether a note's exceptions leave some plain or money figures at face value ("except per share
    amounts"); "except percentages" leaves only figures that carry their own % sign."""
    m = re.search(r"\bexcept\b(.*)", note, re.IGNORECASE)
    if m is None:
        return False
    words = re.findall(r"[a-z%]+", m.group(1).lower())
    return not words or not set(words) <= _EXCEPTED_PERCENTS


_MONEY_WORDS = frozenset("dollar dollars amount amounts us u s usd in".split())


def _names_what_it_scales(lead: str) -> bool:
    """Whether a note names things besides money that it scales ("(Dollar amounts and retail square feet in
    millions)"): the table's other figures, its unit counts, are at face value."""
    return bool(set(re.findall(r"[a-z]+", lead.lower())) - _MONEY_WORDS)


def scale_regions(text: str) -> list[ScaleRegion]:
    """Where each "(in thousands)"-style note applies: its own sentence when it sits in prose, plus the table
    lines (non-prose lines, blank lines included) right before and after it."""
    regions: list[ScaleRegion] = []
    for m in _SCALE_NOTE.finditer(text):
        word = (m["scale"] or m["scale2"] or m["scale3"] or m["scale4"] or m["scale5"]).lower()
        keep_face = _face_values_excepted(m.group(0)) or _names_what_it_scales(m["lead"] or "")
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        if _is_prose_line(line):
            # The note's sentence, then the table after it.
            bounds = [line_start] + [line_start + s.end() for s in _SENTENCE_END.finditer(line)] + [line_end + 1]
            k = bisect.bisect_right(bounds, m.start()) - 1
            start, end = bounds[k], min(bounds[k + 1], line_end)
            if end == line_end:  # the line's last sentence introduces the table below it
                end = _table_end(text, line_end)
        elif re.search(r"\$\s?\d|\d,\d{3}|\d\.\d", text[m.end() : line_end]):
            start, end = line_start, line_end  # a row's own note: "Customer transactions (in millions): 1,637.2"
        else:
            start = _table_start(text, line_start)
            end = _table_end(text, line_end)
        regions.append(ScaleRegion(start, end, _NOTE_SCALES[word], keep_face, line_start))
    return regions


def _table_end(text: str, pos: int) -> int:
    limit = min(len(text), pos + SCALE_NOTE_REACH)
    while pos < limit:
        nxt = text.find("\n", pos + 1)
        nxt = len(text) if nxt < 0 else nxt
        line = text[pos + 1 : nxt]
        if _is_prose_line(line) or _SCALE_NOTE.search(line):
            return pos
        pos = nxt
    return limit


def _table_start(text: str, pos: int) -> int:
    limit = max(0, pos - SCALE_NOTE_REACH)
    while pos > limit:
        prev = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev : pos - 1] if pos > 0 else ""
        if _is_prose_line(line) or _SCALE_NOTE.search(line):
            return pos
        pos = prev
    return limit


def apply_scale_notes(text: str, mentions: list[NumberMention]) -> list[list[NumberMention]]:
    """For each mention, the readings it has: itself, or under a scale note the scaled figure (and the face
    value too where the note has exceptions). Figures with their own scale word are left as they are."""
    regions = scale_regions(text)
    out: list[list[NumberMention]] = []
    for x in mentions:
        around = [r for r in regions if r.start <= x.start < r.end]
        if (not around or x.kind != "number" or x.scaled or not any(c.isdigit() for c in x.text)
                or x.head == "point"):
            out.append([x])
            continue
        # The note above a row is its table's; one below it counts only where none is above ("(thousands of
        # oil-equivalent barrels daily)" under a lone row). Notes on one line are the columns' ("(in billions) |
        # ... | (in millions)"): the first, as the column is not known here.
        above = [r for r in around if r.note_line <= x.start]
        region = max(above, key=lambda r: r.note_line) if above else around[0]
        scaled = replace(x, value=x.value * region.scale, half_unit=x.half_unit * region.scale, scaled=True)
        out.append([scaled, x] if region.keep_face else [scaled])
    return out
