"""The records of a claim check: a claim as read from the summary (its text, words, figures and periods), the
verdict on it, and a summary's verdicts with their rates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from filingsum.quality.numbers import NumberMention

ClaimVerdictKind = Literal["supported", "contradicted", "unsupported"]


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim of a summary, its verdict, the source text behind it and why."""

    claim: str
    sentence: int  # index of the summary sentence it belongs to
    start: int  # offsets in the whitespace-normalised summary
    end: int
    verdict: ClaimVerdictKind
    reason: str
    evidence: str | None = None
    coverage: float = 0.0  # share of the claim's content the evidence unit holds


@dataclass
class ClaimCheck:
    """A summary's claims with their verdicts, and the sentence-level view."""

    claims: list[ClaimVerdict]
    sentences: list[str]

    def _share(self, verdict: str) -> float | None:
        return sum(c.verdict == verdict for c in self.claims) / len(self.claims) if self.claims else None

    @property
    def support_rate(self) -> float | None:
        return self._share("supported")

    @property
    def contradiction_rate(self) -> float | None:
        return self._share("contradicted")

    @property
    def unsupported_sentence_rate(self) -> float | None:
        """Share of the summary's sentences with at least one claim the source does not support (unsupported
        or contradicted)."""
        if not self.sentences:
            return None
        bad = {c.sentence for c in self.claims if c.verdict != "supported"}
        return len(bad) / len(self.sentences)


@dataclass
class Claim:
    """A claim as read from the summary: where it is, its content words, its figures and periods, and the words
    of the name it is about."""

    sentence: int
    start: int
    end: int
    text: str
    words: frozenset[str]
    figures: list[list[NumberMention]]  # readings of each amount, count or percentage
    periods: list[NumberMention]  # its years and dates
    subject: frozenset[str] = frozenset()  # words of the name the claim is about ("Walmart U.S.")
