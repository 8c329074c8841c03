"""Two names of a claim that trade the places the source gives them: "strengthened against EMEA currencies and
weakened against APAC currencies" where the source says it the other way round, "Richard A. Gonzalez succeeded
Robert A. Michael". The claim's words and names are laid along the aligned source sentence's (their longest
common subsequence, a name counting double); when exchanging two names makes the claim follow the source clearly
better, the claim has them the wrong way round. A paraphrase that reorders a name with its own words ("U.S.
manufacturing facilities" for "facilities in the U.S.") gains nothing from the exchange."""

from __future__ import annotations

import re

from filingsum.quality.claims.alignment import Judge
from filingsum.quality.claims.words import WORD_PATTERN, word_key

_NAME = re.compile(r"\b[A-Z][A-Za-z&'.\u2019-]*(?:\s+[A-Z][A-Za-z&'.\u2019-]*)*")
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|being)\s+\w+(?:ed|en)\s+by\b", re.IGNORECASE)
_MONTH = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NAME_WEIGHT = 2
_MIN_GAIN = 2


def _sequence(text: str, names: list[str]) -> list[str]:
    """The text's content words in order, each name one token ("\\x00k" for the k-th name)."""
    marked = text
    for k, name in enumerate(names):
        marked = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", f" \x00{k} ", marked)
    out: list[str] = []
    for part in re.split(r"(\x00\d+)", marked):
        if part.startswith("\x00"):
            out.append(part)
            continue
        out.extend(k for k in (word_key(w) for w in WORD_PATTERN.findall(part.lower())) if k)
    return out


def _weighted_lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + (_NAME_WEIGHT if x.startswith("\x00") else 1) if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _between(sequence: list[str], a: str, b: str) -> frozenset[str]:
    """The words between two names of a sequence, in whichever order they stand."""
    i, j = sorted((sequence.index(a), sequence.index(b)))
    return frozenset(t for t in sequence[i + 1 : j] if not t.startswith("\x00"))


def _same_skeleton(in_claim: frozenset[str], in_source: frozenset[str]) -> bool:
    """Whether the claim says between the two names what the source says between them ("X succeeded Y"): a swap
    keeps the sentence and exchanges the names; a paraphrase that reorders says something else between them."""
    return bool(in_claim) and 2 * len(in_claim & in_source) >= len(in_claim)


def check_swapped_names(judge: Judge, best: int) -> tuple[str, str, int] | None:
    """Contradicted when two names of the claim sit in each other's places of the aligned source unit."""
    claim = judge.claim.text
    source = judge.index.units[best].text
    if _PASSIVE.search(claim) or _PASSIVE.search(source):
        return None  # "Gonzalez was succeeded by Michael": the roles turn with the voice

    def once(name: str, text: str) -> bool:
        return len(re.findall(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)) == 1

    names = [n for n in dict.fromkeys(m.group(0) for m in _NAME.finditer(claim))
             if len(n) > 1 and not _MONTH.match(n) and word_key(n.lower()) is not None
             and once(n, claim) and once(n, source)]
    if len(names) < 2:
        return None
    in_source = _sequence(source, names)
    in_claim = _sequence(claim, names)
    # only shared tokens can be matched: dropping the rest leaves every LCS the same and the tables small
    shared = set(in_source) & set(in_claim)
    in_source_lcs = [t for t in in_source if t in shared]
    in_claim_lcs = [t for t in in_claim if t in shared]
    as_stated = _weighted_lcs(in_claim_lcs, in_source_lcs)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = f"\x00{i}", f"\x00{j}"
            crossed = [b if t == a else a if t == b else t for t in in_claim_lcs]
            if _weighted_lcs(crossed, in_source_lcs) >= as_stated + _MIN_GAIN and _same_skeleton(
                    _between(in_claim, a, b), _between(in_source, a, b)):
                return ("contradicted", f"the source puts {names[j]!r} where the claim has {names[i]!r}, and the "
                        "other way round", best)
    return None
