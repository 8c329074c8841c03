"""What a count counts ("53 full-time employees" counts employees) and what a number names ("Note 20")."""

from __future__ import annotations

import re

from filingsum.quality.numbers.words import NUMBER_WORD

# Words that end the noun phrase after a count ("15 of its 53 employees").
NOUN_BREAK = frozenset(
    """
    of in and or to for from at as by with per compared versus vs which that was were is are be been the a an
    on into over under during since through across including while who whom where when than than up down
    each every our its their his her we they it this these those
    """.split()
)
# Words after a count that say nothing about what is counted ("5,000 new stores", "53 full time employees").
_NOUN_FILLER = frozenset(
    """
    new total additional full time part active approximately other more net gross annual monthly
    u.s us domestic international global worldwide retail company owned operated current former existing
    million billion thousand hundred
    """.split()
)
_NOUN_SYNONYMS = {
    "employee": "employee", "people": "employee", "person": "employee", "staff": "employee", "worker": "employee",
    "associate": "employee", "personnel": "employee", "headcount": "employee", "team": "employee",
    "location": "store", "store": "store", "outlet": "store", "restaurant": "store",
    "customer": "customer", "client": "customer", "subscriber": "subscriber", "member": "member",
    "month": "month", "year": "year", "day": "day",
    # "2.7 percentage points", "(2.7) pts", "2.7 ppts": one unit, not a percentage
    "point": "point", "pts": "point", "pt": "point", "ppt": "point", "ppts": "point", "percentage": "point",
}
# Plural nouns without a final "s" ("500 people", "10,000 square feet").
_PLURAL_WITHOUT_S = frozenset("feet people personnel staff children men women".split())


def singular_of(word: str) -> str:
    """A plural's singular by its final "s" ("stores" -> "store"; "business" and short words as they are)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def counted_noun(text: str, start: int, end: int) -> tuple[str, ...]:
    """What a count counts: the words of the noun phrase right after it on its line, up to its first plural
    ("53 full-time employees" -> {"employee"}), fillers dropped, synonyms merged. Empty for an identifier
    ("Phase 4 trials", "Item 8") and where a verb follows ("14,000 used tuition assistance")."""
    if start > 0 and text[start - 1] == "-":
        return ()  # "737-9", "10-K": part of a designation
    before = re.search(r"([A-Za-z]+)[ \t]+$", text[max(0, start - 30) : start])
    if before and before.group(1)[0].isupper() and not sentence_opening(text, start - len(before.group(0))):
        return ()
    window = text[end : end + 80]
    # "33.7 billion and 33.3 billion unit cases": the noun of the last figure counts for all of them.
    window = re.sub(rf"^[ \t]*(?:and|or|to)[ \t]+(?:\$?[\d.,]+|(?:{NUMBER_WORD})(?:-(?:{NUMBER_WORD}))?)"
                    r"(?:[ \t]+(?:thousand|million|billion))?", "", window, flags=re.IGNORECASE)
    m = re.match(r"[ \t\-]*((?:[A-Za-z][A-Za-z'\-]*[ \t]*){1,4})", window)
    if not m:
        return ()
    words: list[str] = []
    for raw in m.group(1).split():
        word = raw.lower().strip("'-")
        if word in NOUN_BREAK or (raw[0].isupper() and words) or word.endswith("ed"):
            break
        for part in word.split("-"):
            singular = singular_of(part)
            if part and singular not in _NOUN_FILLER:
                words.append(_NOUN_SYNONYMS.get(singular, singular))
        if (word.endswith("s") and not word.endswith("ss")) or word in _PLURAL_WITHOUT_S:
            return tuple(words)
        if words and words[-1] == "point":
            return tuple(words)  # "a five-percentage-point drop", "a 0.7 percentage point decline": a size in points
    # No plural noun: the number modifies ("60 month term", "the 737 program") rather than counts.
    return ()


def identifier_word(text: str, start: int) -> str | None:
    """The capitalised word a bare number is glued to ("Note 20", "Phase 4"), or None."""
    before = re.search(r"([A-Z][A-Za-z]*)[\u00ae\u2122\u2120]?[ \t]+$", text[max(0, start - 30) : start])
    if before is None or sentence_opening(text, start - len(before.group(0))):
        return None
    return before.group(1).lower()


def sentence_opening(text: str, pos: int) -> bool:
    """Whether `pos` opens a sentence, a line or a table cell (a capital there names nothing)."""
    stripped = text[max(0, pos - 5) : pos].rstrip(" \t\"'(")
    return not stripped or stripped[-1] in ".!?:;\n|"


def nouns_match(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two counted nouns can be the same thing: a shared word or a shared stem of 5+ letters
    ("wholesalers" ~ "wholesale distributors"); an empty noun (a table figure) goes with any."""
    if not a or not b or a & b:
        return True
    return any(len(x) >= 5 and len(y) >= 5 and x[:5] == y[:5] for x in a for y in b)
