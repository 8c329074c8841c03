"""A change stated with both ends, checked against its own direction word: "interest expense rose from $3.2
billion to $2.4 billion" says a fall, whatever the source says; so does "the loss narrowed to $17.7 billion
from $16.1 billion". Pure: the claim's text and figures only."""

from __future__ import annotations

import re

from filingsum.quality.claims.polarity import direction
from filingsum.quality.numbers import NumberMention
from filingsum.quality.numbers.amounts import SCALE_WORDS

# Verbs of size for an amount that is a loss or a gap: widened = grew in size, narrowed = shrank.
_WIDER = re.compile(r"\b(?:widen(?:ed|s|ing)?|deepen(?:ed|s|ing)?|steepen(?:ed|s|ing)?)\b", re.IGNORECASE)
_NARROWER = re.compile(r"\b(?:narrow(?:ed|s|ing)?)\b", re.IGNORECASE)
# Verbs of pace for a rate of growth: "growth slowed to 17% from 25%" says the rate fell, whatever "growth" says.
_SLOWER = re.compile(r"\b(?:slow(?:ed|s|ing)?|decelerat(?:ed|es|ing)|moderat(?:ed|es|ing)|cool(?:ed|s|ing))\b",
                     re.IGNORECASE)
_FASTER = re.compile(r"\b(?:accelerat(?:ed|es|ing)|quicken(?:ed|s|ing)?|sped\s+up|picked\s+up)\b", re.IGNORECASE)
# "from" / "to" right before a figure (a currency sign, "approximately" or "about" may stand between).
_LEAD = r"(?:\s+(?:approximately|about|roughly|nearly|almost))?\s*$"
_FROM = re.compile(r"\bfrom(?:\s+(?:the|its|their|a)\s+(?:[\w'\u2019-]+\s+){0,2}(?:level|levels|total|amount)\s+of)?"
                   + _LEAD, re.IGNORECASE)  # "from $25 billion", "from the FY25 level of $25 billion"
_TO = re.compile(r"\bto" + _LEAD, re.IGNORECASE)


def _led_by(text: str, offset: int, figure: NumberMention, pattern: re.Pattern[str]) -> bool:
    before = text[max(0, figure.start - offset - 50) : figure.start - offset]
    return pattern.search(before) is not None


def _comparable(a: NumberMention, b: NumberMention) -> bool:
    return a.kind == b.kind and a.currency == b.currency


_SCALE_WORD = re.compile(rf"\b({'|'.join(SCALE_WORDS)})\b", re.IGNORECASE)


def _on_one_scale(start: NumberMention, end: NumberMention) -> tuple[float, float] | None:
    """Both ends' values on one scale: "to 376 thousand barrels ... from 387" leaves the bare end in the scaled
    one's unit (387 thousand); None when only one is scaled and its scale word is not in its own text."""
    if start.scaled == end.scaled:
        return start.value, end.value
    scaled, bare = (start, end) if start.scaled else (end, start)
    word = _SCALE_WORD.search(scaled.text)
    if word is None:
        return None
    value = bare.value * SCALE_WORDS[word.group(1).lower()]
    return (scaled.value, value) if scaled is start else (value, scaled.value)


def check_change(text: str, offset: int, figures: list[list[NumberMention]]) -> tuple[str, str] | None:
    """("contradicted", reason) when the claim ``text`` (starting at ``offset`` in the summary its figures'
    positions refer to) moves a quantity "from X to Y" (or "to Y from X") in the direction its verb denies;
    None when it states no such change or they agree."""
    readings = [r[0] for r in figures if r]
    start = next((f for f in readings if _led_by(text, offset, f, _FROM)), None)
    end = next((f for f in readings if f is not start and _led_by(text, offset, f, _TO)), None)
    if start is None or end is None or not _comparable(start, end) or start.value == end.value:
        return None
    values = _on_one_scale(start, end)
    if values is None:
        return None
    start_value, end_value = values
    if start_value == end_value or (start.scaled == end.scaled
                                    and abs(end_value - start_value) <= start.half_unit + end.half_unit):
        return None  # equal within their rounding
    said = direction(text)
    if _WIDER.search(text) and not _NARROWER.search(text):
        said, moved = 1, (1 if end.magnitude > start.magnitude else -1)
    elif _NARROWER.search(text) and not _WIDER.search(text):
        said, moved = -1, (1 if end.magnitude > start.magnitude else -1)
    else:
        moved = 1 if end_value > start_value else -1
        pace = bool(_FASTER.search(text)) - bool(_SLOWER.search(text))
        said = pace or said
    if said and said != moved:
        verb = "rose" if said > 0 else "fell"
        return "contradicted", f"it says the figure {verb}, but from {start.text} to {end.text} is a " \
                               f"{'rise' if moved > 0 else 'fall'}"
    return None
