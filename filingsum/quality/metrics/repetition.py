"""Repetition within a summary: the share of repeated word n-grams, and loops (a word span repeated back to
back, the mark of a degenerate generation)."""

from __future__ import annotations

import re

_WORDS = re.compile(r"\w+")


def lower_words(text: str) -> list[str]:
    """The words of a text, lower-cased (runs of word characters): the tokens of the n-gram metrics."""
    return _WORDS.findall(text.lower())


def repeated_ngram_rate(text: str, n: int = 4) -> float | None:
    """Share of word n-grams that repeat an earlier one (0 for no repetition); None if shorter than n."""
    words = lower_words(text)
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    return 1.0 - len(set(grams)) / len(grams)


def has_loop(text: str, min_repeats: int = 3, max_span: int = 60, max_words: int = 5_000) -> bool:
    """Whether some span of 1..max_span words is repeated min_repeats or more times back to back (within
    the first max_words words: a summary is ~400; a runaway generation loops early)."""
    return loop_start(text, min_repeats, max_span, max_words) is not None


def loop_start(text: str, min_repeats: int = 3, max_span: int = 60, max_words: int = 5_000) -> int | None:
    """Character offset where the earliest back-to-back repetition (``has_loop``) begins; None without one.

    >>> text = "It sells pumps. It earns fees, earns fees, earns fees, earns fees."
    >>> text[loop_start(text):]
    'earns fees, earns fees, earns fees, earns fees.'
    """
    matches = list(_WORDS.finditer(text.lower()))[:max_words]
    words = [m.group(0) for m in matches]
    earliest: int | None = None
    for span in range(1, min(max_span, len(words) // min_repeats) + 1):
        run = 0
        for j in range(len(words) - span):
            if words[j] == words[j + span]:
                run += 1
                if run >= (min_repeats - 1) * span:
                    first = j - run + 1
                    earliest = first if earliest is None else min(earliest, first)
                    break
            else:
                run = 0
    return None if earliest is None else matches[earliest].start()
