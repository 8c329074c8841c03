"""What a summary covers and how far it departs from its source: the business-model aspects it mentions, and
the share of its word n-grams the source never uses."""

from __future__ import annotations

from functools import lru_cache

from filingsum.core.aspects import ASPECTS, aspects_found
from filingsum.quality.metrics.repetition import lower_words


def aspect_coverage(text: str) -> float:
    """Share of the five aspects (revenue sources, customers, products, channels, financing) mentioned."""
    found = aspects_found(text)
    return sum(found.values()) / len(ASPECTS)


@lru_cache(maxsize=512)
def _source_ngrams(source: str, n: int) -> frozenset[tuple[str, ...]]:
    words = lower_words(source)
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def novel_ngram_ratio(summary: str, source: str, n: int = 3) -> float | None:
    """Share of the summary's word n-grams that never occur in the source (abstraction or invention)."""
    words = lower_words(summary)
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    seen = _source_ngrams(source, n)
    return sum(g not in seen for g in grams) / len(grams)
