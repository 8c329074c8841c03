"""Negation, modality, exclusivity and direction of a claim checked against the clause of the source it comes
from: "sells directly" for "does not sell directly", "rose" for "fell", "only" for "primarily"."""

from __future__ import annotations

import re
from functools import lru_cache

from filingsum.quality.claims.alignment import TOP_UNITS, Judge
from filingsum.quality.claims.split import clause_at
from filingsum.quality.claims.words import WORD_PATTERN, content_words, word_key

# Cues read in a clause.
_NEGATION = re.compile(r"\b(?:not|no|nothing|never|none|neither|nor|without|cannot)\b|n't\b", re.IGNORECASE)
# Verbs of ending: they say what "no longer" says.
_ENDED = re.compile(r"\b(?:discontinu\w*|ceased?|stopped|eliminated|exited|prohibit\w*|unable|forbid\w*|"
                    r"barred|precluded)\b", re.IGNORECASE)
# "may", "might", "could" (not the month: "May 2025", "May 31"; "could not" is a negation)
_MODAL = re.compile(r"\b(?:[Mm]ay(?!\s+\d)|MAY|[Mm]ight|[Cc]ould(?!\s+not\b))\b")
# "no revenue unless approved" says what "revenue only after approval" says.
_CONDITIONAL = re.compile(r"\b(?:unless|until|only\s+(?:after|if|when|once|upon))\b", re.IGNORECASE)
_EXCLUSIVE = re.compile(r"\b(?:only|exclusively|solely|entirely|all\s+of\s+its)\b", re.IGNORECASE)
_HEDGED = re.compile(r"\b(?:primarily|mainly|principally|largely|mostly|predominantly|also|some|certain|"
                     r"majority|most)\b", re.IGNORECASE)

_UP = frozenset(word_key(w) or w for w in "increase increased increases grew grow grows rose rise rises higher "
                                          "gained improved expanded raise raised raises boost boosted lift "
                                          "lifted".split())
_DOWN = frozenset(word_key(w) or w for w in "decrease decreased decreases declined decline fell fall falls lower "
                                            "dropped reduced contracted cut cuts lowered trim trimmed slash "
                                            "slashed".split())


def direction(text: str) -> int:
    """+1 when a text says something rose, -1 fell, 0 neither or both."""
    words = {word_key(w) or w for w in WORD_PATTERN.findall(text.lower())}
    ups, downs = bool(words & _UP), bool(words & _DOWN)
    return 0 if ups == downs else (1 if ups else -1)


# "not" that negates nothing: "more likely than not", "incurred but not reported", "not only", "whether or not",
# and a contrast set off by commas (the claim still states what it says of the first item).
_IDIOMATIC_NOT = re.compile(r"\blikely\s+than\s+not\b|\bbut[\s-]+not[\s-]+reported\b|\bnot\s+only\b|"
                            r"\b(?:whether|if)\s+or\s+not\b|\bif\s+not\b|"
                            # a contrast set off by commas: "Botox Cosmetic, not Juvederm, was the larger"
                            r",\s+not\s+(?:the\s+|its\s+)?[\w&'\u2019-]+(?:\s+[\w&'\u2019-]+){0,5},", re.IGNORECASE)
# "may" that hedges nothing: "before we may acquire", "so that it may": the condition of a rule, not a hedge.
_CONDITIONED_MAY = re.compile(r"\b(?:before|until|unless|so\s+that|in\s+order\s+that)\s+(?:\w+\s+){0,3}may\b",
                              re.IGNORECASE)
# The claim keeps a source's "may" of permission with "can", "is able to", "is permitted to".
_PERMISSION = re.compile(r"\b(?:can|could|is\s+able\s+to|are\s+able\s+to|(?:is|are)\s+permitted\s+to|"
                         r"(?:is|are)\s+allowed\s+to)\b", re.IGNORECASE)


@lru_cache(maxsize=16_384)  # a source unit is read again for every claim aligned to it
def _without_idioms(text: str) -> str:
    return _IDIOMATIC_NOT.sub(" ", _CONDITIONED_MAY.sub(" ", text))


def check_polarity(judge: Judge, best: int) -> tuple[str, str, int] | None:
    """Negation, modal and exclusivity of the claim against the clause of the source it comes from."""
    claim = _IDIOMATIC_NOT.sub(" ", judge.claim.text)
    unit = _without_idioms(judge.index.units[best].text)
    source = clause_at(unit, judge.claim.words)
    conditional = _CONDITIONAL.search(claim)
    for pattern, what in ((_NEGATION, "negation"), (_MODAL, "modal")):
        if what == "negation" and conditional:
            continue
        in_claim, in_source = pattern.search(claim), pattern.search(source)
        if what == "negation" and in_claim and not in_source:
            # "no longer reports" for "discontinued reporting"; "subject to prohibitions on our ability to merge,
            # acquire ... or acquire control of" governs every clause of its sentence
            in_source = _ENDED.search(source) or _ENDED.search(unit[: max(0, unit.find(source))])
        if what == "modal" and in_claim and not in_source:
            continue  # the claim hedges what the source states ("may work remotely" for "have flexibility to")
        if what == "modal" and in_source and not in_claim and _PERMISSION.search(claim):
            continue  # "can affiliate with securities firms" for "may affiliate with securities firms"
        if bool(in_claim) != bool(in_source):
            if in_claim and (_said_elsewhere(judge, best, pattern, in_claim.start())
                             or _in_a_sharing_clause(judge, best, pattern)):
                continue
            said = in_source.group(0) if in_source else in_claim.group(0)  # type: ignore[union-attr]
            side = "the source says" if in_source else "the source does not say"
            return "contradicted", f"{what} differs: {side} {said!r}", best
    up, down = direction(claim), direction(source)
    if up and down and up != down:
        return "contradicted", f"direction differs: the source says it {'rose' if down > 0 else 'fell'}", best
    if _EXCLUSIVE.search(claim) and not _EXCLUSIVE.search(source) and _HEDGED.search(source):
        return "contradicted", f"the claim says {_EXCLUSIVE.search(claim).group(0)!r}, the source does not", best  # type: ignore[union-attr]
    return None


def _said_elsewhere(judge: Judge, best: int, pattern: re.Pattern[str], at: int) -> bool:
    """Whether another source unit says the claim's negated (or modal) clause with the cue: "Adobe, which
    employed 30,709 people, has not experienced work stoppages" takes its figure from one sentence and its
    negation from another."""
    claim = judge.claim.text
    clause = claim[max(0, claim.rfind(",", 0, at) + 1) :]
    words = content_words(clause) - judge.claim.subject
    if not words:
        return False
    total = sum(judge.index.weight(w) for w in sorted(words))
    for _, k in judge.ranked()[:TOP_UNITS]:
        if k == best:
            continue
        unit = judge.index.units[k]
        held = sum(judge.index.weight(w) for w in sorted(words & unit.words))
        if total and held / total >= 0.6 and pattern.search(clause_at(unit.text, words)):
            return True
    return False


def _in_a_sharing_clause(judge: Judge, best: int, pattern: re.Pattern[str]) -> bool:
    """Whether another clause of the same unit says the cue with claim words ("LOPROX is the only ... agent,
    and unlike other antifungals, does not effect sterol biosynthesis" for "LOPROX does not affect sterol
    biosynthesis")."""
    words = judge.claim.words - judge.claim.subject
    for part in re.split(r";|,\s+|\s+(?:and|while|whereas|but|although)\s+", judge.index.units[best].text):
        if pattern.search(part) and len(content_words(part) & words) >= 2:
            return True
    return False
