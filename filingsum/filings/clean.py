"""Clean a filing section's text into plain paragraphs (pure functions, no I/O).

Removes page furniture (page numbers, running headers/footers, vendor footers), turns bullet glyphs into
sentences, rejoins hard-wrapped lines (undoing hyphenation), keeps tables as readable rows
("Label: 2024 value | 2023 value") and never changes a number or a name. Output: paragraphs separated by
one blank line; the rows of one table stay on consecutive lines.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

from filingsum.core.text import normalise_whitespace

_PAGE_NUMBER = re.compile(
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
_BULLET_GLYPHS = "?●•·▪■□◦‣⁃∙➢➤►▶✓✔o\uf0b7\uf0a7\uf076\uf0d8\uf0fc"
_BULLET_ONLY = re.compile(rf"^[{re.escape(_BULLET_GLYPHS)}]$")
_BULLET_START = re.compile(rf"^(?:[{re.escape(_BULLET_GLYPHS.replace('o', ''))}]\s*|o\s+)(?=\S)")
_CELL_SPLIT = re.compile(r"\s{2,}")
_NUMERIC_CELL = re.compile(r"^[\s$€£(\[]*[-–—+]?[$€£]?\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)?\s*[)%\]]*\s*[)%]*$")
_HAS_DIGIT_OR_DASH = re.compile(r"[\d–—-]")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_COMPOUND_PREFIXES = frozenset(
    """non self well high low long short full part co cross multi thirty forty fifty sixty seventy eighty
    ninety twenty year month end state third first second two three four five six seven eight nine ten
    cloud web on off anti pre post re sub semi""".split()
)
_GLUED_ITEM_TITLE = re.compile(r"(?im)^(\s*(?:part\s+[ivx]+[.,]?\s*)?item\s*\d{1,2}[a-d]?\.)(?=[A-Z])")
_RULE_LINE = re.compile(r"^\s*[-=_+|: ─━═┼┿╋]*[-=_─━═]{3,}[-=_+|: ─━═┼┿╋]*$")
_LONE_VALUE = re.compile(r"^\$?\s*\(?[\d,]+(?:\.\d+)?\)?%?$")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")


@dataclass
class _Line:
    text: str
    kind: str  # "prose", "table", "bullet", "blank"


def clean_section_text(text: str) -> str:
    """Cleaned text of a filing section: see the module docstring for what is removed and kept."""
    if _ENTITY.search(text):
        text = html.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _GLUED_ITEM_TITLE.sub(r"\1 ", text)
    text = _ZERO_WIDTH.sub("", _ODD_SPACES.sub(" ", text))
    raw_lines = [line.rstrip() for line in text.split("\n")]
    raw_lines = [ln for ln in raw_lines if not _RULE_LINE.match(ln)]
    lines = _drop_page_furniture(_merge_wrapped_cells(raw_lines))
    typed = _classify(lines)
    blocks = _assemble(typed)
    return normalise_whitespace("\n\n".join(blocks))


_ODD_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


# ---------------------------------------------------------------------------------------------------------
# Page furniture


def _header_key(stripped: str) -> str | None:
    """Normalised form of a line that could be a running header/footer, or None if it cannot be one."""
    if not (3 <= len(stripped) <= 150) or "  " in stripped or not re.search(r"[A-Za-z]{2}", stripped):
        return None
    return re.sub(r"\d+", "#", stripped.lower())


def _drop_page_furniture(lines: list[str]) -> list[str]:
    stripped = [ln.strip() for ln in lines]
    page_marks = [bool(s) and bool(_PAGE_NUMBER.match(s)) for s in stripped]
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


# ---------------------------------------------------------------------------------------------------------
# Line classification: tables, bullets, prose


def _is_numeric_cell(cell: str) -> bool:
    return bool(_NUMERIC_CELL.match(cell)) and bool(_HAS_DIGIT_OR_DASH.search(cell))


def _cells(stripped: str) -> list[str]:
    if "|" in stripped:
        return [c.strip() for c in stripped.split("|") if c.strip()]
    if "  " not in stripped and "\t" not in stripped:
        return [stripped] if stripped else []
    return [c for c in _CELL_SPLIT.split(stripped) if c]


def _value_count(line: str) -> int:
    return sum(1 for c in _cells(line.strip())[1:] if _is_numeric_cell(c))


def _merge_wrapped_cells(lines: list[str]) -> list[str]:
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
        if j < 0 or not out[j].strip() or not _is_numeric_row(_cells(out[j].strip())):
            continue
        window = range(max(0, j - 12), min(len(out), i + 12))
        nearby = [_value_count(out[k]) for k in window if k != j and out[k].strip()]
        if nearby and _value_count(out[j]) < max(nearby):
            out[j] = out[j].rstrip() + "   " + s
            out[i] = ""
    return out


def _is_numeric_row(cells: list[str]) -> bool:
    if len(cells) < 2:
        return False
    rest = cells[1:]
    return any(_is_numeric_cell(c) for c in rest) and all(len(c) <= 40 for c in rest)


def _is_header_row(cells: list[str]) -> bool:
    return len(cells) >= 2 and all(len(c) <= 45 and not c.endswith(".") for c in cells)


def _classify(lines: list[str]) -> list[_Line]:
    out: list[_Line] = []
    cells_of = [_cells(ln.strip()) for ln in lines]
    numeric = [_is_numeric_row(c) or (len(c) == 1 and _is_numeric_cell(c[0]) and len(c[0]) > 1) for c in cells_of]
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            out.append(_Line("", "blank"))
            continue
        cells = cells_of[i]
        is_table = numeric[i] and len(cells) >= 2
        if not is_table and "|" in s and all(len(c) <= 60 for c in cells):
            window = [j for j in range(max(0, i - 6), min(len(lines), i + 7)) if lines[j].strip()]
            is_table = any(numeric[j] and len(cells_of[j]) >= 2 for j in window)
        if not is_table and _is_header_row(cells):
            # a column header row: short cells, with a numeric row among the next few non-blank lines
            ahead = [j for j in range(i + 1, min(len(lines), i + 8)) if lines[j].strip()][:3]
            is_table = any(numeric[j] and len(cells_of[j]) >= 2 for j in ahead)
        if is_table:
            out.append(_Line(_format_row(cells), "table"))
        elif _BULLET_ONLY.match(s):
            out.append(_Line("", "bullet"))
        elif _BULLET_START.match(s) and not _PAGE_NUMBER.match(s):
            out.append(_Line(_BULLET_START.sub("", s, count=1), "bullet"))
        else:
            out.append(_Line(s, "prose"))
    return out


def _format_row(cells: list[str]) -> str:
    """"Total  $  71  $  1,370" -> "Total: $71 | $1,370"; a row of column headers -> "2025 | 2024"."""
    merged: list[str] = []
    for cell in cells:
        if merged and merged[-1] in ("$", "€", "£", "(", "$(", "($"):
            merged[-1] = merged[-1] + cell
        elif merged and cell in ("%", ")", ")%", "%)") and _HAS_DIGIT_OR_DASH.search(merged[-1]):
            merged[-1] = merged[-1] + cell
        else:
            merged.append(cell)
    if len(merged) >= 2 and not _is_numeric_cell(merged[0]) and any(_is_numeric_cell(c) for c in merged[1:]):
        return f"{merged[0]}: " + " | ".join(merged[1:])
    return " | ".join(merged)


# ---------------------------------------------------------------------------------------------------------
# Reassembly: paragraphs, bullet sentences, table blocks


def _wrap_width(typed: list[_Line]) -> int | None:
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


def _assemble(typed: list[_Line]) -> list[str]:
    width = _wrap_width(typed)
    blocks: list[str] = []
    paragraph: list[str] = []
    table: list[str] = []
    bullets: list[str] = []
    item: list[str] = []
    in_bullet = False

    def flush_paragraph() -> None:
        if paragraph:
            text = paragraph[0]
            for nxt in paragraph[1:]:
                text = _join(text, nxt)
            blocks.append(text)
            paragraph.clear()

    def flush_item() -> None:
        if item:
            text = item[0]
            for nxt in item[1:]:
                text = _join(text, nxt)
            bullets.append(_sentence(text))
            item.clear()

    def flush_bullets() -> None:
        nonlocal in_bullet
        flush_item()
        if bullets:
            blocks.append(" ".join(bullets))
            bullets.clear()
        in_bullet = False

    def flush_table() -> None:
        if table:
            blocks.append("\n".join(table))
            table.clear()

    pending_bullet = False  # a glyph alone on its line: the item follows, perhaps after blank lines
    for line in typed:
        if line.kind == "blank":
            if pending_bullet:
                continue
            flush_paragraph()
            if in_bullet:
                flush_item()
            continue
        if line.kind == "table":
            flush_paragraph()
            flush_bullets()
            table.append(line.text)
            continue
        flush_table()
        if line.kind == "bullet":
            flush_paragraph()
            flush_item()
            in_bullet = True
            if line.text:
                item.append(line.text)
                pending_bullet = False
            else:
                pending_bullet = True
            continue
        # prose
        if pending_bullet or (item and width and _soft_wrapped(item[-1], line.text, width)):
            item.append(line.text)
            pending_bullet = False
            continue
        if in_bullet:
            flush_bullets()
        if paragraph and not (width and _soft_wrapped(paragraph[-1], line.text, width)):
            flush_paragraph()
        paragraph.append(line.text)
    flush_paragraph()
    flush_bullets()
    flush_table()
    return _rejoin_blocks([b for b in blocks if b.strip()])


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


# ---------------------------------------------------------------------------------------------------------
# Prompt injection: text in a filing is data, never an instruction to the model
#
# The rule: a sentence is removed when it *addresses the model*: an "ignore / disregard / forget the previous
# instructions" command (English, German, French, Spanish, Italian, Portuguese; also spelled out letter by
# letter) at the start of a sentence or clause ("Ignore...", "Please ignore...", "IMPORTANT: ignore...",
# "You must ignore..."), a role marker ("SYSTEM:"), a chat-template token, "you are now", and the like. A
# sentence that merely *mentions* such a phrase inside its own statement ("...attacks such as 'ignore previous
# instructions'", "...e-mails that tell employees to disregard prior instructions...") is kept: removing it
# would drop real business content. The fence and the system prompt (filingsum.core.prompt) stay the main
# defence; this filter keeps obvious commands out of the training data and the model's input.

_EN_QUALIFIER = r"(?:previous|prior|above|earlier|preceding|foregoing|all|any|your|system|these|those|other)"
_EN_NOUN = r"(?:instructions?|prompts?|directions|rules|guidelines|commands|directives|orders)"

# (cheap substring triggers on the lower-cased text, pattern, needs a clause start): a pattern runs only when a
# trigger occurs; "needs a clause start" patterns only count where the sentence addresses the reader.
_INJECTION_RULES: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (
        ("ignore", "disregard", "forget", "override"),
        rf"\b(?:ignore|disregard|forget|override)\b[^.\n]{{0,40}}\b{_EN_QUALIFIER}\b[^.\n]{{0,30}}\b{_EN_NOUN}\b"
        rf"|\b(?:ignore|disregard|forget)\b[^.\n]{{0,20}}\b{_EN_NOUN}\b[^.\n]{{0,12}}\b(?:above|before|earlier)\b"
        r"|\b(?:ignore|disregard|forget)\s+"
        r"(?:all\s+|everything\s+|anything\s+|what\s+(?:is|was)\s+(?:written\s+|said\s+)?)?"
        r"(?:of\s+)?(?:the\s+|that\s+)?(?:above|foregoing|preceding|previous|prior|earlier)\b",
        True,
    ),
    (
        ("ignor", "vergiss", "vergessen", "missacht", "oubli", "olvid", "dimentic", "esque"),
        r"\b(?:ignorier\w*|vergiss|vergessen|missachte\w*|ignore[sz]?|oublie[sz]?|ignora[dr]?|olvid[ae]\w*|"
        r"dimentica|esque[çc]a)\b[^.\n]{0,50}\b(?:anweisungen|instruktionen|befehle|vorgaben|instructions|consignes|"
        r"directives|instrucciones|indicaciones|istruzioni|instru[çc](?:õ|o)es)\b",
        True,
    ),
    (("you are now",), r"\byou are now\b", False),
    (("instruction",), r"\b(?:new|updated|real) instructions?\s*:", False),
    (("system", "assistant", "user"), r"(?m)^\s*(?:system|assistant|user)\s*:", False),
    (("<|", "[inst", "[/inst", "<<sys", "<</sys"), r"<\|[a-z_]+\|>|\[/?inst\]|<</?sys>>", False),
    (("summari",), r"\b(?:do not|don't) summari[sz]e\b", False),
    (("as an ai",), r"\bas an ai (?:language )?model\b", False),
    (("system prompt",), r"\bsystem prompt\b", False),
    (("instead", "now"), r"\b(?:instead|now),? (?:write|output|respond|say|print|reply)\b", False),
)
INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for _, p, _ in _INJECTION_RULES)

# What may stand before a command at the start of a clause: nothing, a label ending in ":" ("IMPORTANT:"),
# ";" or a dash, a politeness or sequencing word, "you must/should/...", "I want you to", or a short vocative
# ("Assistant, ..."); quotes and brackets around it are ignored.
_CLAUSE_LEAD_IN = re.compile(
    r"(?:^|[:;\u2013\u2014]|\s-|\b(?:please|now|then|also|instead|immediately|bitte|"
    r"veuillez|por favor|per favore|you (?:must|should|shall|will|need to|have to|are to)|"
    r"(?:i|we) (?:want|need|ask|instruct) you to|you to)|^\W*\w+(?:\s+\w+)?,)[\W_]*$",
    re.IGNORECASE,
)
# Letters spelled out one by one ("i g n o r e  p r e v i o u s"): squashed before matching.
_SPACED_RUN = re.compile(r"(?<!\w)(?:\w[ .\-_*]+){4,}\w(?!\w)")
_SQUASHED_COMMAND = re.compile(
    r"(?:ignore|disregard|forget|ignoriere|vergiss|oubliez|ignora|olvida)(?:all|any|the|your|alle|toutes|les|"
    r"todas|las|le)*(?:previous|prior|above|earlier|preceding|vorherigen|precedentes|précédentes|anteriores|"
    r"precedenti)(?:instructions?|prompts?|rules|anweisungen|instrucciones|istruzioni)?"
)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


def _detection_form(text: str) -> str:
    """The text as a reader sees it: compatibility forms folded (NFKC), invisible characters removed, and
    letter-by-letter runs squashed into words. Used only to detect; what is kept is the original text."""
    import unicodedata

    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACED_RUN.sub(lambda m: re.sub(r"[ .\-_*]+", "", m.group()) + " ", text)


def _spelled_out_command(text: str) -> bool:
    return any(_SQUASHED_COMMAND.search(re.sub(r"\W+", "", m.group()).lower()) for m in _SPACED_RUN.finditer(text))


def _injection_patterns_in(text: str) -> list[tuple[re.Pattern[str], bool]]:
    lower = text.lower()
    return [
        (pattern, clause_start)
        for (triggers, _, clause_start), pattern in zip(_INJECTION_RULES, INJECTION_PATTERNS)
        if any(t in lower for t in triggers) and pattern.search(text)
    ]


def _addresses_model(sentence: str, candidates: list[tuple[re.Pattern[str], bool]] | None = None) -> bool:
    """Whether one sentence is an instruction to the model (the rule above this section)."""
    if _spelled_out_command(_INVISIBLE.sub("", sentence)):
        return True
    form = _detection_form(sentence)
    for pattern, clause_start in _injection_patterns_in(form) if candidates is None else candidates:
        for match in pattern.finditer(form):
            if not clause_start or _CLAUSE_LEAD_IN.search(form[: match.start()]):
                return True
    return False


def strip_prompt_injection(text: str) -> tuple[str, list[str]]:
    """Remove sentences that address the model ("Ignore previous instructions ...") and say so in a warning;
    sentences that only mention such a phrase are kept (see the rule above)."""
    from filingsum.core.text import split_sentences

    form = _detection_form(text)
    if not _injection_patterns_in(form) and not _spelled_out_command(_INVISIBLE.sub("", text)):
        return text, []
    removed: list[str] = []
    kept_lines: list[str] = []
    for line in text.split("\n"):
        if not _addresses_model(line) and not any(
            _addresses_model(s) for s in split_sentences(line)
        ):
            kept_lines.append(line)
            continue
        sentences = split_sentences(line) or [line]
        keep = [s for s in sentences if not _addresses_model(s)]
        removed += [s for s in sentences if s not in keep]
        kept_lines.append(" ".join(keep))
    if not removed:
        return text, []
    cleaned = normalise_whitespace("\n".join(kept_lines))
    sample = removed[0] if len(removed[0]) <= 80 else removed[0][:77] + "..."
    warning = (
        f"removed {len(removed)} sentence(s) that read as instructions to the model (possible prompt injection), "
        f"e.g. {sample!r}"
    )
    return cleaned, [warning]
