"""The five aspects every summary must cover, and the vocabulary that detects them.

One source of truth: context fitting, the extractive fallback and the eval's aspect coverage all use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Aspect:
    name: str
    label: str
    pattern: re.Pattern[str]

    def found_in(self, text: str) -> bool:
        return self.pattern.search(text) is not None

    def hits(self, text: str) -> int:
        return len(self.pattern.findall(text))


def _words(*terms: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(terms) + r")", re.IGNORECASE)


ASPECTS: tuple[Aspect, ...] = (
    Aspect(
        "revenue_sources",
        "sources of revenue",
        _words(
            r"revenues?", r"sales\b", r"sells?\b", r"sold\b", r"fees?\b", r"subscriptions?", r"recurring",
            r"royalt", r"licens", r"pricing", r"monthly rates?", r"income from", r"generat\w* (?:revenue|income)",
            r"advertis", r"commissions?", r"earns?\b", r"billing", r"charges?\b",
        ),
    ),
    Aspect(
        "customer_base",
        "intended customer base",
        _words(
            r"customers?", r"clients?", r"consumers?", r"subscribers?", r"businesses", r"enterprises?",
            r"small(?:,| and) medium", r"SMBs?", r"carriers?", r"members?", r"users?", r"households",
            r"governments?", r"end[- ]users?", r"buyers?", r"patients?", r"retailers?",
        ),
    ),
    Aspect(
        "products",
        "products",
        _words(
            r"products?", r"services?", r"solutions?", r"offerings?", r"platforms?", r"software",
            r"devices?", r"hardware", r"applications?", r"equipment", r"portfolio", r"brands?",
        ),
    ),
    Aspect(
        "distribution_channels",
        "distribution channels",
        _words(
            r"distribut", r"channels?", r"resellers?", r"dealers?", r"agents?", r"direct sales",
            r"sales (?:force|team|representatives?|organization)", r"partners?", r"wholesale",
            r"retail", r"online", r"e-?commerce", r"stores?", r"marketplaces?", r"referral",
            r"telesales", r"through (?:our|its) (?:website|network)", r"marketing",
        ),
    ),
    Aspect(
        "financing",
        "details of financing",
        _words(
            r"financ", r"loans?", r"credit (?:facility|facilities|agreement|line)", r"line of credit",
            r"debt", r"notes? payable", r"debentures?", r"equity", r"capital", r"borrow",
            r"cash (?:flows?|on hand|and cash equivalents)", r"liquidity", r"leases?", r"preferred stock",
            r"common stock", r"offering of", r"private placement", r"warrants?", r"investors?",
        ),
    ),
)

ASPECT_NAMES: tuple[str, ...] = tuple(a.name for a in ASPECTS)


def aspects_found(text: str) -> dict[str, bool]:
    """Which of the five aspects a text mentions."""
    return {a.name: a.found_in(text) for a in ASPECTS}


def aspect_scores(text: str) -> dict[str, int]:
    """How many aspect cue words a text holds, per aspect (used to rank paragraphs and sentences)."""
    return {a.name: a.hits(text) for a in ASPECTS}
