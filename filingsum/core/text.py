"""Pure text helpers shared by the dataset builder, the summarize client and eval.

Sentence splitting is rule-based on purpose: filings are full of abbreviations ("Inc.", "U.S.", "No. 3"),
decimals ("$1.5 billion") and initials that generic splitters cut wrongly, and the rules stay deterministic
and dependency-free.
"""

from __future__ import annotations

import hashlib
import re

_SPACE_CHARS = re.compile(r"[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_INLINE_RUNS = re.compile(r" {2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def unify_line_ends(text: str) -> str:
    """Windows (CR LF) and old Mac (a lone CR) line ends as LF: every line-based rule (headings, paragraphs)
    sees the lines a file has, whatever wrote it."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def normalise_whitespace(text: str) -> str:
    """Unify line endings and odd spaces, collapse runs of spaces, strip lines, keep at most one blank line."""
    text = unify_line_ends(text)
    text = _ZERO_WIDTH.sub("", text)
    text = _SPACE_CHARS.sub(" ", text)
    text = _INLINE_RUNS.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, stripped, empty ones dropped (inner single newlines kept)."""
    text = unify_line_ends(text)
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


# Words after which a period never ends a sentence (titles, "No. 5", "approx.", month abbreviations).
_NEVER_FINAL = frozenset(
    """mr mrs ms dr prof sr jr st no nos vs v approx fig figs sec secs ref refs vol vols pp p ch art para
    e.g i.e etc cf al jan feb mar apr jun jul aug sep sept oct nov dec est dept div mt ft""".split()
)
# Company suffixes and initialisms end a sentence only when a typical sentence opener follows
# ("... according to Gartner, Inc. The highest growth ..." versus "Apple Inc. (the Company)").
_MAYBE_FINAL = frozenset("inc corp co ltd llc lp plc bros assn intl ltda sa ag nv bv".split())
_SENTENCE_OPENERS = frozenset(
    """the a an we our us this these those that it its they their there in on at as for from during
    additionally also however in addition further furthermore such each all some many most if when while
    although since because certain management revenue revenues net total customers i he she you""".split()
)
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.){2,}$")  # U.S., N.A., e.g. (handled above), L.P.
_CANDIDATE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
# Matched at a candidate end's offset (not on a copy of the rest of the text: a one-line filing is one paragraph,
# and copying its remainder at every candidate end was quadratic, minutes of memory traffic for 20 MB).
_OPENER_START = re.compile(r"\s*[\"'“‘(\[]*([A-Z0-9$€£]|[a-z])")
_NEXT_WORD = re.compile(r"\s*[\"'“‘(\[]*([A-Za-z]+)")
_NUMBERED_LABEL = re.compile(r"\b(?:item|note|part|section|rule|level)\s*$", re.IGNORECASE)
_LABEL_WINDOW = 40  # characters before a number searched for its label ("Item", "Note", ...)


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "(\"“":
        start -= 1
    return text[start:end]


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    opener = _OPENER_START.match(text, match.end())
    if opener is None:
        return False
    if opener.group(1).islower():
        return False
    if "." not in match.group(0)[:1]:
        return True  # "!" or "?" before a capital
    token = _word_before(text, match.start() + 1)  # includes the period
    bare = token.rstrip(".").lower()
    if bare in _NEVER_FINAL:
        return False
    if len(bare) == 1 and bare.isalpha():
        return False  # middle initial: "John A. Smith"
    label_end = match.start() + 1 - len(token)
    if re.fullmatch(r"\d{1,2}[a-z]?|[ivx]+", bare) and _NUMBERED_LABEL.search(
        text, max(0, label_end - _LABEL_WINDOW), label_end
    ):
        return False  # "Item 1. Business", "Note 7. Debt"
    next_word = _NEXT_WORD.match(text, match.end())
    next_lower = next_word.group(1).lower() if next_word else ""
    if bare in _MAYBE_FINAL or _INITIALISM.match(token):
        return next_lower in _SENTENCE_OPENERS
    return True


def split_sentences(text: str, *, line_breaks: bool = False) -> list[str]:
    """Sentences of a text, in order, each on one line with whitespace collapsed: the one sentence splitter
    (fitting, extractive summaries, cleaning and rougeLsum all use it).

    Blank lines (paragraph breaks) always end a sentence, and with ``line_breaks`` every line break does (a
    summary's lines, for rougeLsum); inside a paragraph a period ends one only when a capitalised word
    follows and the word before it is not an abbreviation.
    """
    sentences: list[str] = []
    blocks = [line for line in text.splitlines() if line.strip()] if line_breaks else split_paragraphs(text)
    for paragraph in blocks:
        flat = " ".join(paragraph.split())
        start = 0
        for match in _CANDIDATE_END.finditer(flat):
            if _is_boundary(flat, match):
                sentence = flat[start:match.end()].strip()
                if sentence:
                    sentences.append(sentence)
                start = match.end()
        tail = flat[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def content_hash(text: str) -> str:
    """SHA-256 hex digest of a text's UTF-8 bytes: the one text digest (FilingRecord.content_hash, gold look-ups,
    the prompt version)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
