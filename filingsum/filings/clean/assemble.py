"""Reassemble classified lines into blocks: paragraphs (hard wraps rejoined, hyphenation undone), bullet lists
as sentences and table blocks; then splits made by page breaks are undone."""

from __future__ import annotations

import re

from filingsum.filings.clean.classify import Line

_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_COMPOUND_PREFIXES = frozenset(
    """non self well high low long short full part co cross multi thirty forty fifty sixty seventy eighty
    ninety twenty year month end state third first second two three four five six seven eight nine ten
    cloud web on off anti pre post re sub semi""".split()
)


def _wrap_width(typed: list[Line]) -> int | None:
    """The column width of hard-wrapped text, or None when lines are whole paragraphs."""
    lengths = sorted(len(t.text) for t in typed if t.kind == "prose" and len(t.text) >= 30)
    if len(lengths) < 8:
        return None
    width = lengths[int(len(lengths) * 0.8)]
    if width > 110:
        return None
    near = sum(1 for n in lengths if width - 12 <= n <= width + 2)
    return width if near / len(lengths) >= 0.4 else None


def _is_heading(line: str) -> bool:
    words = line.split()
    if not words or len(line) > 90 or _TERMINAL.search(line):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return capitalised / len(words) >= 0.6


_TRAILING_HYPHEN_WORD = re.compile(r"(\w+)-$")


def _join(left: str, right: str) -> str:
    match = _TRAILING_HYPHEN_WORD.search(left) if left.endswith("-") else None
    if match and right[:1].islower():
        if match.group(1).lower() in _COMPOUND_PREFIXES or match.group(1)[:1].isdigit():
            return left + right  # "thirty-\nsix" keeps its hyphen
        return left[:-1] + right  # "manage-\nment"
    return f"{left} {right}"


def _soft_wrapped(left: str, right: str, width: int) -> bool:
    """Whether the break between two prose lines was made by a fixed-width wrap, not by the author."""
    if _is_heading(left) and len(left) < width * 0.75:
        return False
    first_word = right.split()[0] if right.split() else ""
    if len(left) + 1 + len(first_word) > width - 2:
        return True  # the next word would not have fit
    return right[:1].islower() and not _TERMINAL.search(left)


def _sentence(item: str) -> str:
    item = re.sub(r"[;,]\s*(?:and|or)?$", "", item.strip()).rstrip()
    first_word = item.split(" ", 1)[0]
    if first_word.isalpha() and first_word.islower():  # "they do not ..." but never "iPhone"
        item = item[0].upper() + item[1:]
    return item if _TERMINAL.search(item) and not item.endswith((":", ";")) else item.rstrip(":;") + "."


def _joined(lines: list[str]) -> str:
    """Lines of one paragraph or bullet item joined into one line (hyphenation undone)."""
    text = lines[0]
    for nxt in lines[1:]:
        text = _join(text, nxt)
    return text


class _BlockBuilder:
    """One pass over classified lines: the paragraph, the bullet item (with its list) and the table being built,
    each flushed into ``blocks`` when a line of another kind ends it."""

    def __init__(self, width: int | None):
        self.width = width
        self.blocks: list[str] = []
        self.paragraph: list[str] = []
        self.table: list[str] = []
        self.bullets: list[str] = []
        self.item: list[str] = []
        self.in_bullet = False
        self.pending_bullet = False  # a glyph alone on its line: the item follows, perhaps after blank lines

    def flush_paragraph(self) -> None:
        if self.paragraph:
            self.blocks.append(_joined(self.paragraph))
            self.paragraph.clear()

    def flush_item(self) -> None:
        if self.item:
            self.bullets.append(_sentence(_joined(self.item)))
            self.item.clear()

    def flush_bullets(self) -> None:
        self.flush_item()
        if self.bullets:
            self.blocks.append(" ".join(self.bullets))
            self.bullets.clear()
        self.in_bullet = False

    def flush_table(self) -> None:
        if self.table:
            self.blocks.append("\n".join(self.table))
            self.table.clear()

    def add(self, line: Line) -> None:
        if line.kind == "blank":
            self._blank()
        elif line.kind == "table":
            self.flush_paragraph()
            self.flush_bullets()
            self.table.append(line.text)
        else:
            self.flush_table()
            if line.kind == "bullet":
                self._bullet(line.text)
            else:
                self._prose(line.text)

    def _blank(self) -> None:
        if self.pending_bullet:
            return
        self.flush_paragraph()
        if self.in_bullet:
            self.flush_item()

    def _bullet(self, text: str) -> None:
        self.flush_paragraph()
        self.flush_item()
        self.in_bullet = True
        if text:
            self.item.append(text)
            self.pending_bullet = False
        else:
            self.pending_bullet = True

    def _prose(self, text: str) -> None:
        if self.pending_bullet or (self.item and self.width and _soft_wrapped(self.item[-1], text, self.width)):
            self.item.append(text)
            self.pending_bullet = False
            return
        if self.in_bullet:
            self.flush_bullets()
        if self.paragraph and not (self.width and _soft_wrapped(self.paragraph[-1], text, self.width)):
            self.flush_paragraph()
        self.paragraph.append(text)

    def finish(self) -> list[str]:
        self.flush_paragraph()
        self.flush_bullets()
        self.flush_table()
        return self.blocks


def assemble_blocks(typed: list[Line]) -> list[str]:
    """The blocks of a section (paragraphs, bullet lists as sentences, tables) from its classified lines."""
    builder = _BlockBuilder(_wrap_width(typed))
    for line in typed:
        builder.add(line)
    return _rejoin_blocks([b for b in builder.finish() if b.strip()])

_ITEM_LABEL_ONLY = re.compile(r"^(?:PART\s+[IVX]+[.,:]?\s*)?ITEM\s+\d{1,2}[A-D]?\s*[.:\-–—]?$", re.IGNORECASE)


def _rejoin_blocks(blocks: list[str]) -> list[str]:
    """Undo splits made by page breaks: a paragraph cut mid-sentence, "ITEM 1." cut from its title."""
    out: list[str] = []
    for block in blocks:
        if out and "\n" not in out[-1] and "\n" not in block:
            prev = out[-1]
            if _ITEM_LABEL_ONLY.match(prev) and _is_heading(block):
                out[-1] = f"{prev} {block}"
                continue
            if block[:1].islower() and not _TERMINAL.search(prev) and not _is_heading(prev):
                out[-1] = _join(prev, block)
                continue
        out.append(block)
    return out
