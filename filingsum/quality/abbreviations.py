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
# Places a table row spells out ("United States: 1,494 | ...") and a summary abbreviates ("U.S. liquids").
PLACE_ABBREVIATIONS = {"U.S.": "United States", "U.K.": "United Kingdom"}


def _pattern(abbreviations: dict[str, str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
    return re.compile(rf"(?<![\w&])(?:{alternatives})(?![\w&])(?!(?<=\.)[A-Z])")


_ALL_ABBREVIATIONS = {**STANDARD_ABBREVIATIONS, **PLACE_ABBREVIATIONS}
_STANDARD = _pattern(STANDARD_ABBREVIATIONS)
_WITH_PLACES = _pattern(_ALL_ABBREVIATIONS)

# Analysts' names for cash-flow statement lines, which the statement spells out ("Net cash provided by operating
# activities: $2,423,258 | ..." for a summary's "operating cash flow").
CASH_FLOW_NAMES = {
    "operating cash flow": "cash provided by operating activities",
    "cash flow from operations": "cash provided by operating activities",
    "cash from operations": "cash provided by operating activities",
    "investing cash flow": "cash used in investing activities",
    "financing cash flow": "cash used in financing activities",
}
_CASH_FLOW = [(re.compile(r"\b" + re.escape(name).replace("flow", "flows?").replace(r"\ ", r"\s+") + r"\b",
                          re.IGNORECASE), spelled) for name, spelled in CASH_FLOW_NAMES.items()]


@lru_cache(maxsize=65_536)
def spelled_out_words(text: str, places: bool = False) -> str:
    """The spelled-out forms of the standard abbreviations ``text`` uses (and with ``places``, "U.S.", "U.K."),
    joined by spaces ("" when none): "Tesla's R&D rose" -> "research and development"; also what an analyst's name
    for a cash-flow line stands for ("operating cash flow" -> "cash provided by operating activities")."""
    pattern = _WITH_PLACES if places else _STANDARD
    found = dict.fromkeys(_ALL_ABBREVIATIONS[m.group(0)] for m in pattern.finditer(text))
    found.update((spelled, None) for name, spelled in _CASH_FLOW if name.search(text))
    return " ".join(found)


def standard_expansion(token: str) -> str | None:
    """What a standard abbreviation stands for ("SG&A" -> "selling, general and administrative"), else None."""
    return STANDARD_ABBREVIATIONS.get(token)
