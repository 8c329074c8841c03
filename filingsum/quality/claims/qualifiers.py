"""Qualifiers that bind a figure: where, on what basis and of which total it is. "5% on a constant currency
basis" is not "5% on a reported basis"; "8.5% of U.S. sales" is not "8.5% of international sales"; "current
remaining performance obligation" is not the total one. A claim that gives a supported figure a qualifier of
the same kind other than the one the source gives it is contradicted."""

from __future__ import annotations

import re

from filingsum.quality.claims.alignment import Judge
from filingsum.quality.claims.names import abbreviates, self_reference
from filingsum.quality.claims.words import content_words
from filingsum.quality.numbers import NumberMention

# kind -> label -> pattern. A text's labels of one kind say which of the mutually exclusive qualifiers it uses.
_QUALIFIERS: dict[str, dict[str, re.Pattern[str]]] = {
    "region": {
        "U.S.": re.compile(r"\bU\.\s?S\.?(?!\s*dollar)|\bUnited\s+States\b|\bdomestic\b", re.I),
        "international": re.compile(r"\binternational\b|\bforeign\b|\boutside\s+(?:of\s+)?the\s+(?:U\.S|United)|"
                                    r"\bnon-U\.S\.", re.I),
        "worldwide": re.compile(r"\bworldwide\b|\bglobal(?:ly)?\b", re.I),
    },
    "basis": {
        "reported": re.compile(r"\breported\b|\bas\s+reported\b", re.I),
        "constant currency": re.compile(r"\bconstant[\s-]currency\b", re.I),
        "organic": re.compile(r"\borganic(?:ally)?\b", re.I),
        "adjusted": re.compile(r"\badjusted\b|\bnon-GAAP\b", re.I),
    },
    "extent": {
        "current": re.compile(r"\bcurrent\s+(?:remaining|portion|RPO)\b|\bcRPO\b", re.I),
        "total": re.compile(r"\btotal\s+(?:remaining|RPO)\b", re.I),
        "noncurrent": re.compile(r"\bnon-?current\b|\blong-term\s+portion\b", re.I),
    },
    "per-share": {
        "diluted": re.compile(r"\bdiluted\b", re.I),
        "basic": re.compile(r"\bbasic\b", re.I),
    },
}


_SELF = self_reference()


def _labels(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for kind, labels in _QUALIFIERS.items():
        hit = {label for label, pattern in labels.items() if pattern.search(text)}
        if hit:
            found[kind] = hit
    return found


def _figure_window(unit_text: str, unit_start: int, figure: NumberMention, others: list[NumberMention]) -> str:
    """The words that qualify one figure of a source unit: from it to the next figure ("5% on a constant
    currency basis"), else from the previous figure to it ("impact on U.S. operational sales was 8.5%")."""
    at, end = figure.start - unit_start, figure.end - unit_start
    later = [m.start - unit_start for m in others if m.start - unit_start >= end]
    after = unit_text[end : min(later, default=len(unit_text))]
    if _labels(after):
        return after
    earlier = [m.end - unit_start for m in others if m.end - unit_start <= at]
    return unit_text[max(earlier, default=0) : at]


def check_qualifiers(judge: Judge, k: int, evidence: NumberMention) -> tuple[str, str, int] | None:
    """A supported figure's qualifiers in the claim against those the source unit ``k`` gives it."""
    index = judge.index
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    others = [m for m in index.unit_figures[k].mentions
              if m.start != evidence.start and unit.start <= m.start < unit.end]
    stated = _labels(_figure_window(raw, unit.start, evidence, others))
    claimed = _labels(judge.claim.text)
    for kind, labels in claimed.items():
        source_labels = stated.get(kind)
        if source_labels and not labels & source_labels:
            said = ", ".join(sorted(source_labels))
            return "contradicted", f"the source gives {evidence.text} for {said}, not {', '.join(sorted(labels))}", k
    return None


def check_named_item(judge: Judge, k: int, evidence: NumberMention) -> tuple[str, str, int] | None:
    """"Creative revenue grew 18%" where the source says "Document Cloud revenue ... 18% growth": the claim
    names an item the source has elsewhere, and the unit gives the figure to another named item the claim does
    not name."""
    from filingsum.quality.factual import extract_entities

    index = judge.index
    unit = index.units[k]
    raw = index.text[unit.start : unit.end]
    others = [m for m in index.unit_figures[k].mentions
              if m.start != evidence.start and unit.start <= m.start < unit.end]
    window = _figure_window(raw, unit.start, evidence, others)
    if not extract_entities(window):  # "Document Cloud revenue was $3.18 billion, representing 18% growth"
        window = raw[: evidence.start - unit.start]
    unit_lower, claim_lower = raw.lower(), judge.claim.text.lower()
    subject = judge.claim.subject

    def own(tokens: tuple[str, ...]) -> bool:  # the company itself ("Adobe's", "we", "the Company")
        words = content_words(" ".join(tokens))
        return not words or bool(words & subject) or _SELF.fullmatch(" ".join(tokens)) is not None

    names = extract_entities(judge.claim.text)
    owners_joined = re.sub(r"['\u2019]s\b", "", judge.claim.text)
    initials = {"".join(t[0] for t in e.tokens).upper() for e in names if len(e.tokens) > 1}
    claimed = [e for e in names if not own(e.tokens)
               and not re.match(r"['\u2019]s?\b", judge.claim.text[e.end :])  # an owner ("Meta's")
               and e.text.lower() not in unit_lower and e.text.lower() in index.text.lower()]
    given = [e for e in extract_entities(window)
             if not own(e.tokens) and e.text.lower() not in claim_lower
             and e.text.upper() not in initials  # "RL" for the claim's "Reality Labs"
             and not abbreviates(e.text, owners_joined)]  # "BGS" for the claim's "Boeing's Global Services"
    if claimed and given:
        return "contradicted", f"the source gives {evidence.text} for {given[0].text!r}, not {claimed[0].text!r}", k
    return None
