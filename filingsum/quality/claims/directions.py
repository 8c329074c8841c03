"""The direction a claim gives each thing it says moved, against the aligned source sentence's: "a decrease in
switched transactions" where the source says "an increase in the number of switched transactions", "higher
interest rates" for "lower interest rates", "raised the segment's gross margin" for "Gross margin decreased".
A sentence may move several things in several directions ("Gross margin decreased due to higher commodity
costs"): each direction word is tied to the words it moves."""

from __future__ import annotations

import re
from functools import lru_cache

from filingsum.quality.claims.alignment import Judge
from filingsum.quality.claims.words import word_key

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|[0-9][0-9,.%]*|[.;:,()]")
_UP_ADJ = frozenset("higher greater larger more favorable positive increased".split())
_DOWN_ADJ = frozenset("lower smaller fewer less unfavorable negative reduced decreased".split())
_UP_NOUN = frozenset("increase increases growth rise rises gain gains improvement expansion".split())
_DOWN_NOUN = frozenset("decrease decreases decline declines drop drops reduction reductions fall".split())
_UP_VERB = frozenset("increased increase increases grew grow grows rose rise rises raised raises raise boosted "
                     "lifted improved expanded".split())
_DOWN_VERB = frozenset("decreased decrease decreases declined decline declines fell falls reduced reduces lowered "
                       "lowers cut cuts dropped shrank narrowed".split())
# Adverbs that turn the next verb into a direction: "positively impacted operating income".
_UP_ADV = frozenset("positively favorably".split())
_DOWN_ADV = frozenset("negatively unfavorably adversely".split())
_DETERMINERS = frozenset("the a an its their our his her this that these those".split())
# After a verb these start no object: the verb is intransitive and moves its subject ("Gross margin decreased
# primarily due to ...").
_NO_OBJECT = frozenset("by to from in during for primarily mainly largely due as compared versus slightly "
                       "sharply significantly modestly and or but while which when over year".split())
_REACH = 4


def _content(tokens: list[str]) -> frozenset[str]:
    keys = (word_key(t) for t in tokens if t.isalpha() or "-" in t)
    return frozenset(k for k in keys if k and k not in ("increas", "decreas"))


def _after(tokens: list[str], i: int) -> list[str]:
    out: list[str] = []
    for t in tokens[i + 1 :]:
        if t in ".;:,()" or (out and t in ("or", "but", "due", "by", "primarily", "driven", "partially")):
            break
        if t in _DETERMINERS or t in ("in", "of", "the", "number", "and"):
            continue  # "a decrease in hardware and services revenues": the list is what moved
        out.append(t)
        if len(out) >= _REACH:
            break
    return out


def _before(tokens: list[str], i: int) -> list[str]:
    out: list[str] = []
    for t in reversed(tokens[:i]):
        if t in ".;:,()" or t in ("and", "or", "but", "while", "as", "that", "which", "with"):
            break
        out.append(t)
        if len(out) >= _REACH:
            break
    return out


@lru_cache(maxsize=16_384)  # a source unit is read again for every claim aligned to it
def direction_pairs(text: str) -> tuple[tuple[frozenset[str], int], ...]:
    """(the words moved, +1 up / -1 down) for each direction word of a text."""
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    pairs: list[tuple[frozenset[str], int]] = []
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if t in ("more", "less") and nxt in ("than", "of"):
            continue  # "more than 40 countries": a bound, not a direction
        if t in _UP_ADJ | _DOWN_ADJ and (nxt.isalpha() and nxt not in _NO_OBJECT):
            pairs.append((_content(_after(tokens, i)), 1 if t in _UP_ADJ else -1))
        elif t in _UP_NOUN | _DOWN_NOUN and nxt in ("in", "of"):
            pairs.append((_content(_after(tokens, i + 1)), 1 if t in _UP_NOUN else -1))
        elif t in _UP_ADV | _DOWN_ADV and nxt.isalpha():
            pairs.append((_content(_after(tokens, i + 1)), 1 if t in _UP_ADV else -1))
        elif t in _UP_VERB | _DOWN_VERB:
            sign = 1 if t in _UP_VERB else -1
            if nxt and nxt.isalpha() and nxt not in _NO_OBJECT:
                pairs.append((_content(_after(tokens, i)), sign))  # "raised the segment's gross margin"
            else:
                pairs.append((_content(_before(tokens, i)), sign))  # "Gross margin decreased primarily ..."
    return tuple((words, sign) for words, sign in pairs if words)


def _same_thing(a: frozenset[str], b: frozenset[str]) -> bool:
    shared = a & b
    return len(shared) >= 2 or (len(shared) == 1 and len(a) == 1 and len(b) == 1)


def check_directions(judge: Judge, best: int) -> tuple[str, str, int] | None:
    """Contradicted when the claim moves a thing one way and the aligned source sentence moves the same thing only
    the other way."""
    source = direction_pairs(judge.index.units[best].text)
    if not source:
        return None
    for words, sign in direction_pairs(judge.claim.text):
        said = [s for w, s in source if _same_thing(words, w)]
        if said and all(s == -sign for s in said):
            return ("contradicted", f"direction differs: the source says {' '.join(sorted(words))} "
                    f"{'rose' if -sign > 0 else 'fell'}", best)
    return None
