"""Fit a cleaned section to the model's source-token budget.

Strategies (all pure, given a ``count_tokens`` callable):
- ``aspects``: keep the paragraphs that carry the five aspects, highest-scoring first, until the budget is
  spent, then restore document order (a 10-K Item 1 runs to 10-30k tokens; the business model is spread
  over a few paragraphs about revenue, customers, products, channels and financing);
- ``extract``: extract-then-generate: the most salient sentences for each of the five aspects, taken in turn
  (revenue, customers, products, channels, financing) until the budget is spent, in document order;
- ``truncate``: leading paragraphs until the budget;
- ``chunk``: consecutive chunks each under the budget, for map-reduce summarization.

Paragraphs longer than the budget are cut into sentence runs, and a sentence longer than the budget into
word runs, so every strategy can always make progress.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from filingsum.core.aspects import aspect_scores
from filingsum.core.schema import FitStrategy
from filingsum.core.text import split_paragraphs, split_sentences
from filingsum.core.tokens import CountTokens

PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class FittedText:
    """A section (or one chunk of it) fitted to the budget."""

    text: str
    token_count: int
    kept_ratio: float  # characters kept / characters of the whole section
    part: int = 1
    parts: int = 1


# Every whitespace-separated word is at least one token, and no token of a real vocabulary comes near this many
# characters: past either bound a text cannot fit the budget, so it is never tokenized whole. (A 50 MB one-line
# filing tokenized whole at each level took gigabytes; a text wrongly judged too long is only cut finer.)
MAX_CHARS_PER_TOKEN = 64


def within_budget(text: str, count_tokens: CountTokens, budget: int) -> bool:
    """Whether ``text`` fits ``budget`` tokens; texts that cannot fit are refused without tokenizing them."""
    if len(text) > max(budget, 1) * MAX_CHARS_PER_TOKEN or len(text.split()) > budget:
        return False
    return count_tokens(text) <= budget


def _words(text: str, max_chars: int) -> Iterator[str]:
    """The whitespace-separated words of ``text``, lazily; a word longer than ``max_chars`` (a blob with no
    space) comes in ``max_chars`` pieces, so no word alone is past every budget."""
    for match in re.finditer(r"\S+", text):
        word = match.group()
        for start in range(0, len(word), max_chars):
            yield word[start:start + max_chars]


def _split_words(text: str, count_tokens: CountTokens, budget: int) -> list[str]:
    """Runs of whole words under the budget (for a single sentence longer than the budget).

    Every word is at least one token, so a fitting run has at most ``budget`` words: only the next ``budget``
    words are held and searched, never the rest of a huge one-line filing (linear time, memory of one run)."""
    window = max(budget, 1)
    words = _words(text, window * MAX_CHARS_PER_TOKEN)
    pending = list(islice(words, window))
    pieces: list[str] = []
    while pending:
        lo, hi = 1, len(pending)
        # Largest end such that pending[:end] fits (at least one word, even if it alone is over).
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if within_budget(" ".join(pending[:mid]), count_tokens, budget):
                lo = mid
            else:
                hi = mid - 1
        if lo == 1 and count_tokens(pending[0]) > budget:
            pieces.extend(_split_chars(pending[0], count_tokens, budget))
        else:
            pieces.append(" ".join(pending[:lo]))
        pending = pending[lo:] + list(islice(words, lo))
    return pieces


def _split_chars(word: str, count_tokens: CountTokens, budget: int) -> list[str]:
    """Character runs of one word that is alone over the budget (a blob with no space), each under it."""
    pieces: list[str] = []
    start = 0
    while start < len(word):
        lo, hi = start + 1, len(word)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(word[start:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(word[start:lo])
        start = lo
    return pieces


def _pack(pieces: list[str], count_tokens: CountTokens, budget: int, separator: str) -> list[str]:
    """Greedily join consecutive pieces into runs that stay under the budget.

    Runs are planned on summed piece counts (linear, not quadratic, in the section length), then each run
    is checked exactly, since tokens can merge across a join; an overflow moves to the next run.
    """
    separator_cost = count_tokens(separator)
    planned: list[list[str]] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        cost = count_tokens(piece)
        extra = cost + (separator_cost if current else 0)
        if current and used + extra > budget:
            planned.append(current)
            current, used = [piece], cost
        else:
            current.append(piece)
            used += extra
    if current:
        planned.append(current)
    runs: list[str] = []
    queue = deque(planned)
    while queue:
        run = queue.popleft()
        overflow: list[str] = []
        while len(run) > 1 and count_tokens(separator.join(run)) > budget:
            overflow.insert(0, run.pop())
        runs.append(separator.join(run))
        if overflow:
            queue.appendleft(overflow)
    return runs


def fitting_units(text: str, count_tokens: CountTokens, budget: int) -> list[str]:
    """Paragraphs of a text, with any paragraph over the budget cut into sentence (or word) runs under it."""
    units: list[str] = []
    for paragraph in split_paragraphs(text):
        if within_budget(paragraph, count_tokens, budget):
            units.append(paragraph)
            continue
        sentences: list[str] = []
        for sentence in split_sentences(paragraph):
            if within_budget(sentence, count_tokens, budget):
                sentences.append(sentence)
            else:
                sentences.extend(_split_words(sentence, count_tokens, budget))
        units.extend(_pack(sentences, count_tokens, budget, " "))
    return units


def _result(kept: list[str], section_chars: int, count_tokens: CountTokens, **part: int) -> FittedText:
    text = PARAGRAPH_SEPARATOR.join(kept)
    ratio = min(1.0, len(text) / section_chars) if section_chars else 0.0
    return FittedText(text=text, token_count=count_tokens(text), kept_ratio=round(ratio, 4), **part)


def _trim_to_budget(kept: list[str], count_tokens: CountTokens, budget: int, drop_order: list[int]) -> list[str]:
    """Joining can add a token or two over the sum of the parts: drop units (in drop_order) until it fits."""
    alive = dict(enumerate(kept))
    for index in drop_order:
        if count_tokens(PARAGRAPH_SEPARATOR.join(alive.values())) <= budget or len(alive) == 1:
            break
        alive.pop(index, None)
    return list(alive.values())


def fit_truncate(text: str, count_tokens: CountTokens, budget: int) -> FittedText:
    """Leading paragraphs (cut at sentences or words where one is over the budget) until the budget."""
    if within_budget(text, count_tokens, budget):
        return _result([text.strip()], len(text.strip()), count_tokens)
    separator_cost = count_tokens(PARAGRAPH_SEPARATOR)
    kept: list[str] = []
    used = 0
    for unit in fitting_units(text, count_tokens, budget):
        cost = count_tokens(unit) + (separator_cost if kept else 0)
        if used + cost > budget:
            break
        kept.append(unit)
        used += cost
    kept = _trim_to_budget(kept, count_tokens, budget, list(range(len(kept) - 1, -1, -1)))
    return _result(kept, len(text.strip()), count_tokens)


def unit_score(unit: str) -> tuple[int, int]:
    """(aspects mentioned, aspect cue words): breadth first, then depth."""
    scores = aspect_scores(unit)
    return sum(1 for n in scores.values() if n), sum(scores.values())


def fit_aspects(text: str, count_tokens: CountTokens, budget: int) -> FittedText:
    """The highest-scoring paragraphs for the five aspects that fit the budget, in document order."""
    if within_budget(text, count_tokens, budget):
        return _result([text.strip()], len(text.strip()), count_tokens)
    units = fitting_units(text, count_tokens, budget)
    costs = [count_tokens(u) for u in units]
    separator_cost = count_tokens(PARAGRAPH_SEPARATOR)
    # Ties keep document order, so equal-scoring paragraphs near the start (the overview) win.
    ranked = sorted(range(len(units)), key=lambda i: (tuple(-s for s in unit_score(units[i])), i))
    chosen: list[int] = []
    used = 0
    for index in ranked:
        cost = costs[index] + (separator_cost if chosen else 0)
        if used + cost <= budget:
            chosen.append(index)
            used += cost
    rank_of = {index: r for r, index in enumerate(chosen)}
    in_order = sorted(chosen)
    lowest_first = sorted(range(len(in_order)), key=lambda pos: -rank_of[in_order[pos]])
    kept = _trim_to_budget([units[i] for i in in_order], count_tokens, budget, lowest_first)
    return _result(kept, len(text.strip()), count_tokens)


def fit_extract(text: str, count_tokens: CountTokens, budget: int) -> FittedText:
    """The salient sentences of each aspect, in turn, until the budget; then document order.

    Each aspect ranks the sentences by its own cue count (ties: earlier first); the aspects take one sentence
    each per round, so every aspect the section covers gets into the window before any gets a second.
    """
    if within_budget(text, count_tokens, budget):
        return _result([text.strip()], len(text.strip()), count_tokens)
    sentences: list[str] = []
    for unit in fitting_units(text, count_tokens, budget):
        sentences.extend(s for s in split_sentences(unit) if s.strip())
    scores = [aspect_scores(s) for s in sentences]
    queues = {
        aspect: deque(i for i in sorted(range(len(sentences)), key=lambda i: (-scores[i][aspect], i))
                      if scores[i][aspect] > 0)
        for aspect in (scores[0] if scores else {})
    }
    chosen: set[int] = set()
    used = 0
    separator_cost = count_tokens(" ")
    while any(queues.values()):
        for queue in queues.values():
            while queue and queue[0] in chosen:
                queue.popleft()
            if not queue:
                continue
            index = queue.popleft()
            cost = count_tokens(sentences[index]) + (separator_cost if chosen else 0)
            if used + cost <= budget:
                chosen.add(index)
                used += cost
    kept = [sentences[i] for i in sorted(chosen)] or [sentences[0]] if sentences else []
    kept = _trim_to_budget(kept, count_tokens, budget, list(range(len(kept) - 1, -1, -1)))
    return _result(kept, len(text.strip()), count_tokens)


def chunk_text(text: str, count_tokens: CountTokens, budget: int) -> list[str]:
    """Consecutive chunks of a text, each under ``budget`` tokens, cut at paragraphs (or sentences/words)."""
    if not text.strip():
        return []
    if within_budget(text, count_tokens, budget):
        return [text.strip()]
    return _pack(fitting_units(text, count_tokens, budget), count_tokens, budget, PARAGRAPH_SEPARATOR)


def fit_chunks(text: str, count_tokens: CountTokens, budget: int) -> list[FittedText]:
    chunks = chunk_text(text, count_tokens, budget)
    section_chars = len(text.strip())
    return [
        _result([chunk], section_chars, count_tokens, part=i, parts=len(chunks))
        for i, chunk in enumerate(chunks, start=1)
    ]


def extra_windows(
    text: str, count_tokens: CountTokens, budget: int, count: int, *, exclude: str | None = None
) -> list[FittedText]:
    """Up to ``count`` consecutive chunks of a long section, the best by aspect score, in document order.

    Extra training examples from one section (a 10-K Item 1 yields 10-30 chunks; the aspect-fitted window is
    one of its views). Chunks equal to ``exclude`` (the fitted window) or under a third of the budget are
    skipped: a stub chunk teaches little. [] when the section fits the budget whole.
    """
    if count < 1:
        return []
    chunks = [c for c in fit_chunks(text, count_tokens, budget) if c.parts > 1]
    ranked = sorted(chunks, key=lambda c: (tuple(-s for s in unit_score(c.text)), c.part))
    best = sorted(ranked[:count], key=lambda c: c.part)
    return [c for c in best if c.text != exclude and c.token_count >= budget // 3]


def fit_section(text: str, count_tokens: CountTokens, budget: int, strategy: FitStrategy) -> list[FittedText]:
    """Fit a section with a strategy; one result, or one per chunk for ``chunk``."""
    if budget < 1:
        raise ValueError(f"token budget must be positive, got {budget}")
    if strategy == "aspects":
        return [fit_aspects(text, count_tokens, budget)]
    if strategy == "extract":
        return [fit_extract(text, count_tokens, budget)]
    if strategy == "truncate":
        return [fit_truncate(text, count_tokens, budget)]
    if strategy == "chunk":
        return fit_chunks(text, count_tokens, budget)
    raise ValueError(f"unknown fit strategy {strategy!r}; use aspects, extract, truncate or chunk")
