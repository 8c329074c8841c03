"""Numbers spelled out in words: "thirty-six", "one hundred and twelve", "fivehundredtwelve"."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_MULTIPLIERS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER_WORD = "|".join(sorted([*_UNITS, *_MULTIPLIERS], key=len, reverse=True))
# Spelled-out numbers, also glued together ("fivehundredtwelve", as in the seed request).
# "and" joins only after hundred/thousand/... ("one hundred and twelve"); "three and nine months" is two figures.
NUMBER_WORDS = re.compile(
    rf"\b(?=[zotfsenhmb])(?:{NUMBER_WORD})"
    rf"(?:(?:[\s-]+|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))[\s-]+and[\s-]+)?"
    rf"(?:{NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
_NUMBER_WORD_TOKEN = re.compile(NUMBER_WORD, re.IGNORECASE)
# Too idiomatic to count as a stated figure ("one of the largest providers").
IDIOMATIC_WORDS = frozenset({"one", "zero"})


def words_to_number(text: str) -> int | None:
    """Value of a spelled-out number: "thirty-six" -> 36, "fivehundredtwelve" -> 512; None if not one."""
    tokens = [t.lower() for t in _NUMBER_WORD_TOKEN.findall(text)]
    if not tokens or _NUMBER_WORD_TOKEN.sub("", re.sub(r"[\s-]+|\band\b", "", text, flags=re.I)):
        return None
    total, current = 0, 0
    for token in tokens:
        if token in _UNITS:
            current += _UNITS[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _MULTIPLIERS[token]
            current = 0
    return total + current
