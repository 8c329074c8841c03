"""The content words of a text: lowercased word stems, stopwords and generic filing words ("company", "total",
"million") dropped and a few synonyms merged ("grew", "rose" -> "increas"), so that a claim and a source sentence
are compared by what they are about."""

from __future__ import annotations

import re
from functools import lru_cache

from filingsum.quality.abbreviations import spelled_out_words
from filingsum.quality.factual import STOPWORDS
from filingsum.quality.stems import stem as _STEM

WORD_PATTERN = re.compile(r"[a-z][a-z'\u2019]*[a-z]|[a-z]")
_GENERIC = frozenset(
    """
    company companies company's corporation inc registrant firm business businesses also including include
    includes included which total year years fiscal million billion thousand percent approximately about
    roughly nearly around some primarily mainly principally generally certain various related respectively
    following follows well result results period periods compared time
    """.split()
)
_EXCLUDED = STOPWORDS | _GENERIC | frozenset({"s", "t", "nt"})
_SYNONYMS = {
    "grew": "grow", "rose": "rise", "sold": "sell", "sale": "sell", "fell": "fall", "bought": "buy",
    "revenu": "revenu", "sell": "sell", "client": "custom", "consum": "consum", "employe": "employe",
    "peopl": "employe", "staff": "employe", "headcount": "employe", "worker": "employe", "declin": "decreas",
    "lower": "decreas", "increas": "increas", "higher": "increas", "up": "increas", "down": "decreas",
    "drop": "decreas", "grow": "increas", "rise": "increas", "fall": "decreas", "growth": "increas",
    "reduc": "decreas", "gain": "increas", "offer": "provid", "suppli": "provid", "compet": "competitor",
    "competit": "competitor", "rival": "competitor", "compani": "compani", "climb": "increas", "jump": "increas",
    "surg": "increas", "soar": "increas", "slip": "decreas", "slid": "decreas", "dip": "decreas", "shrank": "decreas",
    "shrink": "decreas", "paid": "pay", "repaid": "repay", "spent": "spend", "built": "build", "held": "hold",
    "made": "make", "won": "win", "lost": "loss", "lose": "loss", "paying": "pay",
}


@lru_cache(maxsize=200_000)
def word_key(word: str) -> str | None:
    """The key a word is indexed by: its stem, synonyms merged; None for a stopword or a generic word."""
    word = word.replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if word in _EXCLUDED or len(word) < 2:
        return None
    stem = _SYNONYMS.get(word) or _SYNONYMS.get(_STEM(word), _STEM(word))
    return _SYNONYMS.get(stem, stem)


@lru_cache(maxsize=16_384)  # a source unit's clauses are read again for every claim aligned to it
def content_words(text: str) -> frozenset[str]:
    """The stems of a text's content words (stopwords and generic filing words dropped, a few synonyms merged).

    >>> sorted(content_words("Revenue grew 9% in the Americas"))
    ['america', 'increas', 'revenu']
    """
    out = set()
    # "SG&A" is about what "selling, general and administrative" is about
    for raw in WORD_PATTERN.findall(f"{text} {spelled_out_words(text)}".lower()):
        for part in raw.split("-"):
            key = word_key(part)
            if key:
                out.add(key)
    return frozenset(out)


def plain_words(text: str) -> frozenset[str]:
    """Stemmed words but stopwords, generic words kept ("total", "net")."""
    return frozenset(_STEM(w) for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS and len(w) > 1)


# A phrase that dates what it follows a year before the text's own years: "compared to $17.5 billion a year
# earlier" (2024 in a sentence about 2025). After a comparison word it names only the base ("a decrease
# compared to the prior year"), which `year_earlier` leaves out.
YEAR_EARLIER = re.compile(r"\b(?:a\s+year\s+(?:earlier|ago|before)|(?:the\s+)?(?:prior|previous|preceding)\s+year|"
                          r"last\s+year|same\s+period\s+(?:of|in)\s+the\s+(?:prior|previous)\s+year)\b",
                          re.IGNORECASE)
_BASE_WORD = re.compile(r"(?:compared\s+(?:to|with)|from|over|versus|vs\.?|than|relative\s+to|against)\s+"
                        r"(?:the\s+)?(?:same\s+(?:period|quarter|time)\s+(?:of\s+|in\s+)?)?(?:the\s+)?$", re.IGNORECASE)


def year_earlier(text: str) -> bool:
    """Whether ``text`` dates a figure a year before its own years ("$9.2 billion a year earlier"), not only
    names the comparison base ("compared to the prior year")."""
    return any(not _BASE_WORD.search(text[max(0, m.start() - 60) : m.start()]) for m in YEAR_EARLIER.finditer(text))
