"""Length and form of a summary: whether it fits the run's token cap, and whether it is continuous prose (no
bullets, numbered lists, headings, title lines, tables or markdown)."""

from __future__ import annotations

import re
from dataclasses import dataclass


def within_limit(n_tokens: int, max_summary_tokens: int) -> bool:
    """Whether a summary of ``n_tokens`` fits the run's summary cap ``max_summary_tokens``."""
    return n_tokens <= max_summary_tokens


@dataclass(frozen=True)
class ProseViolation:
    line: int  # 1-based
    kind: str  # bullet, numbered_list, heading, title_line, table, markdown
    text: str


_BULLET = re.compile(r"^\s*[-*\u2022\u25cf\u25aa\u25e6\u2023\u00b7\u2013\u2014+>]\s+")
_NUMBERED = re.compile(r"^\s*\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}(?:\s|$)")
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__).+(?:\*\*|__)\s*:?\s*$")
_TABLE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$|\|.*\|")
_MD_INLINE = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|^\s*```")
_TITLE_MAX_WORDS = 8


def prose_violations(text: str) -> list[ProseViolation]:
    """Lines that break continuous prose: bullets, numbered lists, headings, title lines, tables, markdown."""
    lines = text.splitlines()
    non_empty = [ln for ln in lines if ln.strip()]
    found: list[ProseViolation] = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        kind = None
        if _TABLE.search(line):
            kind = "table"
        elif _MD_HEADING.match(line) or _BOLD_LINE.match(line):
            kind = "heading"
        elif _BULLET.match(line):
            kind = "bullet"
        elif _NUMBERED.match(line):
            kind = "numbered_list"
        elif len(stripped.split()) <= _TITLE_MAX_WORDS and (
            stripped.endswith(":") or (len(non_empty) > 1 and not re.search(r"[.!?\"'\u201d)\]]$", stripped))
        ):
            kind = "title_line"
        elif _MD_INLINE.search(line):
            kind = "markdown"
        if kind:
            found.append(ProseViolation(number, kind, stripped[:120]))
    return found


def is_prose(text: str) -> bool:
    """Continuous text: something written, and no list, heading, table or markdown line."""
    return bool(text.strip()) and not prose_violations(text)
