"""Extractive summaries: a lead baseline and an aspect-guided fallback reference (deterministic).

`extractive_summary` picks sentences so each of the five aspects (filingsum.aspects) is covered where the
text has it, prefers informative sentences (numbers, named products) and drops boilerplate
(forward-looking-statement disclaimers, cross-references, table lead-ins). It returns one prose paragraph
in document order, strictly within `max_summary_tokens` as counted by the caller's tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from filingsum.core.aspects import ASPECT_NAMES, aspect_scores
from filingsum.core.text import split_paragraphs, split_sentences

_BOILERPLATE = re.compile(
    r"forward-looking|safe harbor|private securities litigation reform|risks and uncertainties|"
    r"incorporated (?:herein )?by reference|should be read in conjunction|the following table|as follows:?$|"
    r"\bsee (?:note|item|part)\b|\brefer to\b|table of contents|this (?:annual|quarterly) report on form|"
    r"\bwebsite (?:address|is)\b|www\.|http|are not (?:guarantees|defined under)|no obligation to (?:revise|update)|"
    r"except as required by law|this form 10-|investor relations",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\$\s?\d|\d+(?:\.\d+)?\s?%|\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)? (?:million|billion|thousand)\b")
_NAMED = re.compile(r"(?<=[a-z,;] )[A-Z][A-Za-z0-9]+(?:[ -][A-Z][A-Za-z0-9]+)*|[®™]")
_TABLE_ROW = re.compile(r"\|")
MIN_WORDS = 6
MAX_WORDS = 90


@dataclass(frozen=True)
class _Candidate:
    index: int
    text: str
    aspects: dict[str, int]
    score: float
    words: frozenset[str]


def _prose_sentences(text: str) -> list[str]:
    """Sentences of the prose paragraphs: table rows, headings and bullet fragments left out."""
    out: list[str] = []
    for paragraph in split_paragraphs(text):
        lines = paragraph.split("\n")
        if any(_TABLE_ROW.search(ln) for ln in lines) and len(lines) > 1:
            continue
        if len(lines) == 1 and _TABLE_ROW.search(paragraph):
            continue
        for sentence in split_sentences(paragraph):
            if sentence[-1:] in ".!?" or sentence.endswith(('."', ".”", ".)")):
                out.append(sentence)
    return out


def lead_summary(text: str, k: int = 5) -> str:
    """The first `k` prose sentences of a text, as one paragraph (the classic lead baseline)."""
    return " ".join(_prose_sentences(text)[:k])


def _candidates(text: str) -> list[_Candidate]:
    sentences = _prose_sentences(text)
    candidates: list[_Candidate] = []
    total = max(len(sentences), 1)
    for index, sentence in enumerate(sentences):
        n_words = len(sentence.split())
        if n_words < MIN_WORDS or n_words > MAX_WORDS or _BOILERPLATE.search(sentence):
            continue
        aspects = aspect_scores(sentence)
        covered = sum(1 for v in aspects.values() if v)
        informative = min(len(_NUMBER.findall(sentence)), 3) * 0.5 + min(len(_NAMED.findall(sentence)), 4) * 0.25
        position = 1.0 - index / total  # early sentences describe the business; later ones detail it
        score = covered * 1.0 + min(sum(aspects.values()), 6) * 0.25 + informative + position * 1.5
        words = frozenset(w.lower() for w in re.findall(r"\w+", sentence))
        candidates.append(_Candidate(index, sentence, aspects, score, words))
    return candidates


def _redundant(candidate: _Candidate, chosen: list[_Candidate]) -> bool:
    for other in chosen:
        overlap = len(candidate.words & other.words) / max(1, min(len(candidate.words), len(other.words)))
        if overlap > 0.7:
            return True
    return False


def _truncate_to_fit(sentence: str, count_tokens: Callable[[str], int], max_summary_tokens: int) -> str:
    """The longest word prefix of a sentence within the budget (only used when no whole sentence fits)."""
    words = sentence.split()
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(" ".join(words[:mid])) <= max_summary_tokens:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo])


def extractive_summary(text: str, count_tokens: Callable[[str], int], max_summary_tokens: int) -> str:
    """An aspect-covering extract of `text`: one paragraph, document order, `count_tokens(result) <=
    max_summary_tokens`."""
    if max_summary_tokens <= 0:
        return ""
    candidates = _candidates(text)
    if not candidates:
        sentences = _prose_sentences(text)
        candidates = [_Candidate(i, s, aspect_scores(s), 0.0, frozenset()) for i, s in enumerate(sentences)]
        if not candidates:
            return ""
    chosen: list[_Candidate] = []

    def render(selection: list[_Candidate]) -> str:
        return " ".join(c.text for c in sorted(selection, key=lambda c: c.index))

    def try_add(candidate: _Candidate) -> bool:
        if candidate in chosen or _redundant(candidate, chosen):
            return False
        if count_tokens(render([*chosen, candidate])) <= max_summary_tokens:
            chosen.append(candidate)
            return True
        return False

    ranked = sorted(candidates, key=lambda c: (-c.score, c.index))
    # 0. the first informative sentence usually says what the company is and does
    try_add(candidates[0])
    # 1. one sentence per aspect, strongest first, so every aspect the text has gets covered
    for aspect in ASPECT_NAMES:
        if any(c.aspects[aspect] for c in chosen):
            continue
        having = sorted((c for c in ranked if c.aspects[aspect]), key=lambda c: (-c.aspects[aspect] - c.score, c.index))
        for candidate in having:
            if try_add(candidate):
                break
    # 2. fill the remaining budget with the best remaining sentences
    attempts = 0
    for candidate in ranked:
        if attempts >= 200:
            break
        if candidate not in chosen:
            attempts += 1
            try_add(candidate)
    if not chosen:
        return _truncate_to_fit(ranked[0].text, count_tokens, max_summary_tokens)
    return render(chosen)
