"""Figures that name their item right after them: "a $9.0 billion 364-day bridge credit agreement and $5.0 billion
364-day term loan credit agreement". When the claim's figure also names its item right after it ("a $5.0 billion
364-day bridge credit agreement") and those words are another figure's of the sentence, the figure is bound to the
wrong item. Figures whose item stands before them ("revenue was $5.0 billion") are left to the other checks."""

from __future__ import annotations

import re

from filingsum.quality.claims.alignment import Judge
from filingsum.quality.claims.words import content_words
from filingsum.quality.numbers import NumberMention

# Right after a figure these start no item: "of", "in", "was", ",", "compared", a scale word.
_NOT_AN_ITEM = frozenset("of in for to from was were is are and or compared versus as at during on by respectively "
                         "with which million billion thousand percent per a the its their over than".split())
# Where an item named after its figure ends: "a $9.0 billion 364-day bridge credit agreement and ...".
_ITEM_END = frozenset("and or that which in on at during for from to with by as of was were is are".split())


def item_after(text: str, end: int) -> frozenset[str]:
    """The words of the item a figure ending at ``end`` names right after it; empty when none stands there."""
    first = re.match(r"\s+(\w[\w'-]*)", text[end:])
    if first is None or first.group(1).lower() in _NOT_AN_ITEM or first.group(1).replace(",", "").isdigit():
        return frozenset()
    words = []
    for w in re.findall(r"[\w'-]+|[,;.()]", text[end : end + 120]):
        if w in ",;.()" or w.lower() in _ITEM_END or len(words) == 6:
            break
        words.append(w)
    return content_words(" ".join(words))


def check_prenominal(judge: Judge, k: int, evidence: NumberMention, claim_figure: NumberMention) -> str | None:
    """The other figure of unit k whose item the claim's figure names; None when the claim names the evidence
    figure's item, or either names none right after it."""
    unit = judge.index.units[k]
    if unit.kind != "sentence":
        return None
    claim = judge.claim
    said = item_after(claim.text, claim_figure.end - claim.start)
    text = judge.index.text
    own = item_after(text, evidence.end)
    if not said or not own:
        return None
    others = [m for m in {m.start: m for m in judge.index.unit_figures[k].mentions}.values()
              if m.kind == evidence.kind and m.currency == evidence.currency and abs(m.value) != abs(evidence.value)]
    items = {text[m.start : m.end]: item_after(text, m.end) for m in others}
    items = {t: w for t, w in items.items() if w}
    if not items:
        return None
    shared = own & frozenset().union(*items.values())
    if said & (own - shared):
        return None
    return next((t for t, w in items.items() if said & (w - own)), None)
