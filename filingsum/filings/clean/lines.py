"""Line-level cleaning of a section's text: characters normalised, rule lines and page furniture removed.

Page furniture is what a printed page adds around the text: page numbers, running headers and footers (a
short line repeated next to page numbers, or with the page number in it), vendor footers and "table of
contents" links. Each removed line becomes a blank line: a page break is a paragraph break.
"""

from __future__ import annotations

import html
import re
from collections import Counter

PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—]?(?:\s+of\s+\d{1,4})?$"
    r"|^[A-Z]?-?\d{1,3}$",  # "F-12" style numbering
    re.IGNORECASE,
)
_VENDOR_FOOTER = re.compile(
    r"^(?:©|\(c\)|copyright\b).{0,120}$"
    r"|^source:\s*(?:edgar|sec\b|company filings?).{0,60}$"
    r"|^.{0,40}\b(?:edgar online|glimpses)\b.{0,40}$"
    r"|^.{0,60}\ball rights reserved\.?$",
    re.IGNORECASE,
)
_TABLE_OF_CONTENTS_LINK = re.compile(
    r"^(?:table of contents|return to (?:the )?table of contents|back to contents)$", re.I
)
_GLUED_ITEM_TITLE = re.compile(r"(?im)^(\s*(?:part\s+[ivx]+[.,]?\s*)?item\s*\d{1,2}[a-d]?\.)(?=[A-Z])")
_RULE_LINE = re.compile(r"^\s*[-=_+|: ─━═┼┿╋]*[-=_─━═]{3,}[-=_+|: ─━═┼┿╋]*$")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")
_ODD_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def split_lines(text: str) -> list[str]:
    """The lines of a section's text: HTML entities decoded, line ends and odd spaces normalised, zero-width
    characters removed, an item label glued to its title ("Item 1.Business") spaced, rule lines dropped."""
    if _ENTITY.search(text):
        text = html.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _GLUED_ITEM_TITLE.sub(r"\1 ", text)
    text = _ZERO_WIDTH.sub("", _ODD_SPACES.sub(" ", text))
    raw_lines = [line.rstrip() for line in text.split("\n")]
    return [ln for ln in raw_lines if not _RULE_LINE.match(ln)]


def _header_key(stripped: str) -> str | None:
    """Normalised form of a line that could be a running header/footer, or None if it cannot be one."""
    if not (3 <= len(stripped) <= 150) or "  " in stripped or not re.search(r"[A-Za-z]{2}", stripped):
        return None
    return re.sub(r"\d+", "#", stripped.lower())


def drop_page_furniture(lines: list[str]) -> list[str]:
    """The lines with page furniture (see the module docstring) blanked out."""
    stripped = [ln.strip() for ln in lines]
    page_marks = [bool(s) and bool(PAGE_NUMBER.match(s)) for s in stripped]
    keys = [_header_key(s) for s in stripped]
    counts = Counter(k for k in keys if k)
    positions_of: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key and counts[key] >= 3:
            positions_of.setdefault(key, []).append(i)

    def near_page_mark(i: int) -> bool:
        """A page number lies next to line i, with only other repeated short lines in between."""
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(lines):
                if page_marks[j]:
                    return True
                if stripped[j] and counts.get(keys[j] or "", 0) < 3:
                    break
                j += step
        return False

    running: set[str] = set()
    for key, positions in positions_of.items():
        count = len(positions)
        # "Apple Inc. | 2024 Form 10-K | 57": the same line with a changing number at one end
        variants = {stripped[i] for i in positions}
        embeds_page_number = bool(re.search(r"(?:^#|#$)", key)) and len(variants) * 2 > count
        if embeds_page_number or sum(near_page_mark(i) for i in positions) * 4 >= len(positions) * 3:
            running.add(key)

    kept: list[str] = []
    for line, s, is_page, key in zip(lines, stripped, page_marks, keys):
        if is_page or (key is not None and key in running):
            kept.append("")  # a page break is a paragraph break
        elif _VENDOR_FOOTER.match(s) or _TABLE_OF_CONTENTS_LINK.match(s):
            kept.append("")
        else:
            kept.append(line)
    return kept
