"""Finding every figure of a text (dates, amounts, counts, percentages, number words) with what it measures,
reading one figure written on its own, and whether a parsed value is a sane figure."""

from __future__ import annotations

import math
import re

from filingsum.quality.numbers.amounts import AMOUNT, amount_mention
from filingsum.quality.numbers.clause import with_context
from filingsum.quality.numbers.columns import type_table_columns
from filingsum.quality.numbers.dates import date_mentions
from filingsum.quality.numbers.mention import NumberKind, NumberMention
from filingsum.quality.numbers.spans import TakenSpans
from filingsum.quality.numbers.words import IDIOMATIC_WORDS, NUMBER_WORDS, words_to_number

_LENGTH_UNIT = re.compile(r"-(month|year|week|day|quarter)s?\b", re.IGNORECASE)
_DIGIT_LENGTH = re.compile(r"(?<![\w.,$-])(\d{1,3})-(month|year|week|day|quarter)s?\b", re.IGNORECASE)


def extract_numbers(text: str) -> list[NumberMention]:
    """Every figure in a text, in order: dates and fiscal years, amounts, counts, percentages, number words,
    each with its unit, noun, direction cues and metric words (scale notes are applied by `check_numbers`)."""
    mentions = date_mentions(text)
    taken = TakenSpans()
    for x in mentions:
        taken.add(x.start, x.end)
    free = taken.free

    for m in AMOUNT.finditer(text):
        mention = amount_mention(m)
        if mention is not None and free(mention.start, mention.end):
            mentions.append(mention)
            taken.add(mention.start, mention.end)
    for m in _DIGIT_LENGTH.finditer(text):  # "12-month", "364-day": lengths of time, counts of their unit
        if free(m.start(1), m.end(1)):
            unit = m.group(2).lower()
            mentions.append(NumberMention(m.start(1), m.end(1), m.group(1), "number", float(m.group(1)),
                                          half_unit=0.5, noun=frozenset({unit}), head=unit))
            taken.add(m.start(1), m.end(1))
    for m in NUMBER_WORDS.finditer(text):
        phrase = m.group(0)
        if phrase.lower() in IDIOMATIC_WORDS or not free(m.start(), m.end()):
            continue
        if re.match(r"[\s-]+(?:thirds?|quarters?|fourths?|fifths?|halves|half)\b", text[m.end() : m.end() + 12],
                    re.IGNORECASE):
            continue  # "two-thirds", "three quarters": a share, read by the claim checks
        length = _LENGTH_UNIT.match(text, m.end())
        if length:  # "two-week": a length of time, the count of its unit ("two weeks")
            value = words_to_number(phrase)
            if value is not None:
                unit = length.group(1).lower()
                mentions.append(NumberMention(m.start(), m.end(), phrase, "number", float(value), half_unit=0.5,
                                              noun=frozenset({unit}), head=unit))
                taken.add(m.start(), m.end())
            continue

        value = words_to_number(phrase)
        if value is None:
            continue
        kind: NumberKind = "number"
        end = m.end()
        pct = re.match(r"\s?(?:percent|per\s?cent)\b", text[end:], re.IGNORECASE)
        if pct:
            kind, end = "percent", end + pct.end()
        mentions.append(NumberMention(m.start(), end, text[m.start():end], kind, float(value), half_unit=0.5))
        taken.add(m.start(), end)
    mentions.sort(key=lambda x: x.start)
    return with_context(text, type_table_columns(text, mentions))


def parse_number(text: str) -> NumberMention | None:
    """The canonical value of one figure written on its own ("$1.1 billion", "thirty-six", "fiscal 2016")."""
    stripped = text.strip()
    mentions = extract_numbers(stripped)
    if len(mentions) != 1:
        return None
    mention = mentions[0]
    rest = stripped[: mention.start] + stripped[mention.end :]
    return mention if not re.sub(r"[\s().,:;$%-]", "", rest) else None


# Beyond this a figure is not a quantity a filing states (the largest in a filing are ~1e13 dollars); a string
# of 309+ digits does not even parse to a finite float.
MAX_SANE_MAGNITUDE = 1e15


def is_sane(mention: NumberMention) -> bool:
    """Whether a figure parsed to a finite value of sane magnitude (a 308-digit "figure" is neither).

    >>> is_sane(parse_number("$60.9 billion")), is_sane(parse_number("9" * 309))
    (True, False)
    """
    return math.isfinite(mention.value) and abs(mention.value) < MAX_SANE_MAGNITUDE
