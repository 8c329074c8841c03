"""Drivers and offsets trading places: MD&A explains a change as "primarily due to A, partially offset by B", and a
summary that says "B drove the increase, partially offset by A" states the opposite. A claim's offset item (after
"offset by") whose own words the source gives only among the drivers, and none among the offsets, is in the wrong
role; so is a claim's driver that the source gives only among the offsets."""

from __future__ import annotations

import re

from filingsum.quality.claims.alignment import MIN_BIND, Judge
from filingsum.quality.claims.words import content_words

_OFFSET = re.compile(r"\b(?:partially\s+|partly\s+|largely\s+|in\s+part\s+)?offset(?:\s+in\s+part)?\s+by\b",
                     re.IGNORECASE)
# Where a claim's drivers start: "drove", "came from", "due to", "lifted", "helped", ...
_DRIVER_CUE = re.compile(r"\b(?:drove|driven\s+by|drive[sn]?|came\s+from|due\s+to|from|lifted|boosted|helped|"
                         r"reflect(?:s|ed|ing)?|on|as|thanks\s+to|led\s+by|because\s+of)\b", re.IGNORECASE)
_ITEM_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+as\s+well\s+as\s+")
_MIN_HITS = 2  # an item's words the source gives only on the other side


def _items(text: str) -> list[frozenset[str]]:
    return [words for part in _ITEM_SPLIT.split(text) if (words := content_words(part))]


def _misplaced(item: frozenset[str], own: frozenset[str], other: frozenset[str]) -> bool:
    """Whether an item's words stand only on the other side of the source's "offset by" (at least two of them),
    none only on its own side."""
    specific = item - (own & other)
    return len(specific & (other - own)) >= _MIN_HITS and not specific & (own - other)


def check_offset_roles(judge: Judge, best: int) -> tuple[str, str, int] | None:
    """Contradicted when the claim's drivers and offsets sit on the other side of the source's "offset by"."""
    claim = judge.claim.text
    said = _OFFSET.search(claim)
    if said is None:
        return None
    for cov, k in [(judge.coverage(best), best), *judge.ranked()[:3]]:
        if cov < MIN_BIND:
            continue
        source = judge.index.units[k].text
        given = _OFFSET.search(source)
        if given is None:
            continue
        drivers, offsets = content_words(source[: given.start()]), content_words(source[given.end() :])
        claim_offsets = re.split(r"[.;]", claim[said.end() :], maxsplit=1)[0]
        for item in _items(claim_offsets):
            if _misplaced(item, offsets, drivers):
                return "contradicted", "the source gives this as a driver, not an offset", k
        cue = next(reversed(list(_DRIVER_CUE.finditer(claim[: said.start()]))), None)  # the last cue before it
        if cue is not None:
            for item in _items(claim[cue.end() : said.start()]):
                if _misplaced(item, drivers, offsets):
                    return "contradicted", "the source gives this as an offset, not a driver", k
        return None
    return None
