"""The standard abbreviations of financial statements ("R&D", "SG&A", "EPS"), which a summary writes where the
filing's table spells the line item out ("Selling, general and administrative: $5,150 | ..."). Pure functions
over text: the words an abbreviation stands for, so that a claim's words and figures meet the row they state."""

from __future__ import annotations

import re
from functools import lru_cache

# Line items and measures filings spell out and analysts abbreviate; the letters alone never say which.
STANDARD_ABBREVIATIONS = {
    "R&D": "research and development",
    "IPR&D": "in-process research and development",
    "SG&A": "selling, general and administrative",
    "G&A": "general and administrative",
    "S&M": "sales and marketing",
    "D&A": "depreciation and amortization",
    "PP&E": "property, plant and equipment",
    "M&A": "mergers and acquisitions",
    "EPS": "earnings per share",
    "COGS": "cost of goods sold",
    "FCF": "free cash flow",
    "CapEx": "capital expenditures",
    "capex": "capital expenditures",
    "OpEx": "operating expenses",
    "opex": "operating expenses",
    "EBIT": "earnings before interest and taxes",
    "EBITDA": "earnings before interest, taxes, depreciation and amortization",
    "ARPU": "average revenue per user",
    "ARR": "annual recurring revenue",
    "AUM": "assets under management",
    "NII": "net interest income",
    "YoY": "year over year",
}
_ABBREVIATION = re.compile(
    r"(?<![\w&])(?:" + "|".join(re.escape(a) for a in sorted(STANDARD_ABBREVIATIONS, key=len, reverse=True))
    + r")(?![\w&])")


@lru_cache(maxsize=65_536)
def spelled_out_words(text: str) -> str:
    """The spelled-out forms of the standard abbreviations ``text`` uses, joined by spaces ("" when none):
    "Tesla's R&D rose" -> "research and development"."""
    found = dict.fromkeys(STANDARD_ABBREVIATIONS[m.group(0)] for m in _ABBREVIATION.finditer(text))
    return " ".join(found)


def standard_expansion(token: str) -> str | None:
    """What a standard abbreviation stands for ("SG&A" -> "selling, general and administrative"), else None."""
    return STANDARD_ABBREVIATIONS.get(token)
