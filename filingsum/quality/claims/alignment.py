"""Alignment of one claim to the source units it may come from: each unit scored by the share of the claim's
content it holds (content words weighted by idf, the claim's figures as anchors), and the thresholds that bind
a claim or a figure to a unit."""

from __future__ import annotations

import re

from filingsum.quality.claims.index import SourceIndex
from filingsum.quality.claims.records import Claim
from filingsum.quality.claims.words import content_words, plain_words
from filingsum.quality.numbers import classify_figure, is_sane

# A unit must hold this share of a claim's (idf-weighted) content for the claim to be read as coming from it.
MIN_SUPPORT = 0.45
# A figure is bound to a unit only when the unit holds this much of the claim's content besides the figure.
MIN_BIND = 0.3
# A unit that gives another value wins over the unit holding the claim's value only by this margin.
BIND_MARGIN = 0.2
# Candidate units checked per claim (by overlap), besides those holding one of its figures.
TOP_UNITS = 6
FIGURE_WEIGHT = 3.0


class Judge:
    """Checks one claim against an indexed source: the units ranked by the share of the claim they hold
    (coverage), and for each of its figures the units holding a value near it."""

    def __init__(self, index: SourceIndex, claim: Claim) -> None:
        self.index = index
        self.claim = claim
        # Words in sorted order, units ranked with ties by position: the sums and the ranking must not depend on
        # the order of a set of strings, which changes with PYTHONHASHSEED from one process to the next.
        words = sorted(claim.words)
        self.total = sum(index.weight(w) for w in words)
        scores: dict[int, float] = {}
        for w in words:
            weight = index.weight(w)
            for k in index.postings.get(w, ()):
                scores[k] = scores.get(k, 0.0) + weight
        self.word_scores = scores
        # Per figure, the units holding a value near it (one pass over the units per claim, not per call).
        self.figure_units: list[set[int]] = []
        for readings in claim.figures:
            near: set[int] = set()
            if is_sane(readings[0]):
                for k, figs in enumerate(index.unit_figures):
                    if figs.mentions and any(figs.near(r, max(r.half_unit, 0.005 * r.magnitude, 1e-9))
                                             for r in readings):
                        near.add(k)
            self.figure_units.append(near)
        self.sane = [is_sane(readings[0]) for readings in claim.figures]
        self._supports: dict[tuple[int, int], bool] = {}
        self._coverage: dict[tuple[int, int | None], float] = {}

    def supports(self, i: int, k: int) -> bool:
        key = (i, k)
        if key not in self._supports:
            self._supports[key] = k in self.figure_units[i] and any(
                classify_figure([r], self.index.unit_figures[k]).verdict == "supported"
                for r in self.claim.figures[i])
        return self._supports[key]

    def coverage(self, k: int, skip: int | None = None) -> float:
        """Share of the claim's content unit k holds: its words by idf, and its other figures as anchors."""
        key = (k, skip)
        if key not in self._coverage:
            self._coverage[key] = self._compute_coverage(k, skip)
        return self._coverage[key]

    def _compute_coverage(self, k: int, skip: int | None) -> float:
        total = self.total
        got = self.word_scores.get(k, 0.0)
        for i, sane in enumerate(self.sane):
            if i == skip or not sane:
                continue
            total += FIGURE_WEIGHT
            if self.supports(i, k):
                got += FIGURE_WEIGHT
        cov = got / total if total else 0.0
        unit = self.index.units[k]
        if unit.kind == "row":
            head = re.split(r"[:|$(\d]", unit.text, maxsplit=1)[0]
            label = content_words(head)
            # the claim names the row: "Hardware revenues decreased 8%"; every word of the label, "Total"
            # included ("Total revenues" is not named by "hardware revenues")
            if label and label <= self.claim.words and plain_words(head) <= plain_words(self.claim.text):
                cov = max(cov, 0.6 + 0.4 * cov)
        return cov

    def ranked(self, skip: int | None = None) -> list[tuple[float, int]]:
        candidates = sorted(self.word_scores, key=lambda k: (-self.word_scores[k], k))[:TOP_UNITS]
        for units in self.figure_units:  # the skipped figure's own units too: scored without it, not dropped
            candidates.extend(units)
        return sorted({(self.coverage(k, skip), k) for k in candidates}, key=lambda x: (-x[0], x[1]))

    def evidence(self, k: int) -> str:
        return self.index.units[k].evidence


_SELF_REFERENCE = re.compile(r"\b(?:the\s+Company|we|our|us)\b", re.IGNORECASE)


def subject_of(index: SourceIndex, k: int, claim: Claim) -> frozenset[str]:
    """The claim's subject words when the source unit speaks of the company as "we" or "the Company" (so
    "Walmart" in the claim is the "we" of the unit); otherwise they qualify like any word ("Europe")."""
    unit = index.units[k]
    return claim.subject if _SELF_REFERENCE.search(index.text[unit.start : unit.end]) else frozenset()
