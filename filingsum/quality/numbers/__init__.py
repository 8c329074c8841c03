"""Figures in text (amounts, counts, percentages, years, dates) with what they measure, matched across texts.

A figure is its value and what makes two equal values the same fact:

- value: "$1.1 billion", "1,100 million", "1.1bn dollars" and "1,100,000,000" are one value; "thirty-six"
  is 36; "December 31, 2016" is a date; a four-digit number is a year only where it acts as one ("in 2000",
  "fiscal 2000", a table header), so "2000 stores" is a count;
- unit: a currency ("$", "USD", "dollars"), a percentage, or for a count the noun it counts ("5,000
  employees" is neither "$5,000" nor "5,000 stores");
- scale: a scale word on the figure ("$1.2 billion"), or a table's note "(in thousands)" / "(in millions)"
  for the figures of that table only, before or after the note. Prose ("millions of homes") scales nothing;
- sign and direction: negative figures ("$(3,210)", "-4%"), a level cue (loss vs income) and a change cue
  (increased vs decreased) read from the figure's clause.

`check_numbers` sorts each summary figure into supported (the source states it: same unit, value within
tolerance, no opposite sign or direction), contradicted (the source states the same figure with the
opposite sign or direction, or the same metric, e.g. "employees" or "revenue", only with other values) or
unverifiable (neither). Values match within a relative tolerance (0.5% by default), widened to the
rounding a stated figure implies ("$7.8 million" covers 7,750,000-7,850,000, capped at 5%).

The package, one job a module:

- mention: the NumberMention record of one figure; spans: the spans figures already claim;
- words: numbers spelled out; dates: dates, fiscal years and table-header dates; amounts: one figure in digits
  (sign, currency, scale word, percent, hedged rounding); nouns: what a count counts or a number names;
  clause: what a figure measures, from its clause (metric words, direction cues, table row);
- extract: every figure of a text (`extract_numbers`, `parse_number`, `is_sane`);
- scale_notes: "(in thousands)" notes and the figures they scale;
- source: the figure index of a source (`SourceFigures`, `source_figures`, `source_readings`);
- matching: when a source figure states a summary figure's fact, and the tolerance of values;
- check: the verdict on each summary figure (`classify_figure`, `check_numbers`).
"""

from filingsum.quality.numbers.check import (
    FigureVerdict,
    NumberCheck,
    SupportCheck,
    Verdict,
    check_numbers,
    classify_figure,
    is_supported,
)
from filingsum.quality.numbers.extract import MAX_SANE_MAGNITUDE, extract_numbers, is_sane, parse_number
from filingsum.quality.numbers.matching import DEFAULT_MAX_ROUNDING, DEFAULT_REL_TOL
from filingsum.quality.numbers.mention import NumberKind, NumberMention
from filingsum.quality.numbers.nouns import nouns_match
from filingsum.quality.numbers.scale_notes import SCALE_NOTE_REACH, ScaleRegion, apply_scale_notes, scale_regions
from filingsum.quality.numbers.source import SourceFigures, source_figures, source_readings
from filingsum.quality.numbers.words import words_to_number

__all__ = [
    "DEFAULT_MAX_ROUNDING",
    "DEFAULT_REL_TOL",
    "MAX_SANE_MAGNITUDE",
    "SCALE_NOTE_REACH",
    "FigureVerdict",
    "NumberCheck",
    "NumberKind",
    "NumberMention",
    "ScaleRegion",
    "SourceFigures",
    "SupportCheck",
    "Verdict",
    "apply_scale_notes",
    "check_numbers",
    "classify_figure",
    "extract_numbers",
    "is_sane",
    "is_supported",
    "nouns_match",
    "parse_number",
    "scale_regions",
    "source_figures",
    "source_readings",
    "words_to_number",
]
