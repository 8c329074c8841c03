"""Cutting text into the pieces claims are read in: a summary into its claims (sentences, split again at joined
clauses), a sentence into the comma segment around a figure, a source unit into the clause a claim comes from."""

from __future__ import annotations

import re

from filingsum.core.text import split_sentences
from filingsum.quality.claims.words import content_words

_CLAUSE_SPLIT = re.compile(r";\s+|,\s+(?=(?:while|whereas|but|and)\s)")
_MIN_CLAUSE_WORDS = 5


def split_claims(summary: str) -> list[tuple[int, int, int]]:
    """(sentence index, start, end) of each claim in the whitespace-normalised summary: its sentences, split
    again at "; " and ", while/whereas/but/and" where both sides have five or more words.

    >>> flat = "Apple sells iPhones and Macs through its stores, while carriers resell iPhones to consumers."
    >>> [flat[s:e] for _, s, e in split_claims(flat)]
    ['Apple sells iPhones and Macs through its stores', 'while carriers resell iPhones to consumers.']
    """
    flat = " ".join(summary.split())
    out: list[tuple[int, int, int]] = []
    pos = 0
    for i, sentence in enumerate(split_sentences(flat)):
        start = flat.find(sentence, pos)
        if start < 0:
            start = pos
        end = start + len(sentence)
        pos = end
        cuts = [start]
        for m in _CLAUSE_SPLIT.finditer(flat, start, end):
            left = flat[cuts[-1] : m.start()]
            right = flat[m.end() : end]
            if len(left.split()) >= _MIN_CLAUSE_WORDS and len(right.split()) >= _MIN_CLAUSE_WORDS:
                out.append((i, cuts[-1], m.start()))
                cuts.append(m.end())
        out.append((i, cuts[-1], end))
    return out


# Where a source sentence's segments part ("and" only before a new noun phrase), and a claim's ("and" anywhere
# but "and other").
SEGMENT_SPLIT = re.compile(r"[,;]\s+|\s+and\s+(?=(?:the|our|its|their|a|an)\b)|\s+(?:while|whereas)\s+")
CLAIM_SEGMENT_SPLIT = re.compile(r"[,;]\s+|\s+and\s+(?!other\b)|\s+(?:while|whereas)\s+")


def segment_at(text: str, pos: int, splitter: re.Pattern[str] = SEGMENT_SPLIT) -> tuple[int, int]:
    """The comma/semicolon segment of a text around offset `pos` ("26% in Europe" in a list of regions)."""
    start = 0
    for m in splitter.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            return start, m.start()
    return start, len(text)


_SOURCE_CLAUSE_SPLIT = re.compile(r";|,\s+|(?<!\b[A-Z])\.\s+(?=[A-Z])|\s+(?:while|whereas|but|although)\s+")


def clause_at(text: str, words: frozenset[str]) -> str:
    """The clause of a source unit that holds the most of a claim's words."""
    # A full stop ends a clause before a capital, not in "U.S. increased" or "Inc. sells".
    parts = _SOURCE_CLAUSE_SPLIT.split(text)
    if len(parts) == 1:
        return text
    return max(parts, key=lambda p: len(content_words(p) & words))
