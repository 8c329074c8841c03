"""The other spellings of a name a filing may use: "U.S." for "United States", "Brazilian" for "Brazil",
"R&D" for "research and development", "EMEA" for "Europe, Middle East and Africa", "ExxonMobil" for "Exxon
Mobil". Pure functions over a source's words (`filingsum.quality.factual.SourceTerms`)."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from filingsum.quality.abbreviations import standard_expansion

if TYPE_CHECKING:
    from filingsum.quality.factual import SourceTerms

_LINKS = frozenset({"and", "of", "the", "for", "per", "&"})


def acronyms(words: list[str]) -> frozenset[str]:
    """The initials of the source's runs of capitalised words, linking words skipped: "Europe, Middle East and
    Africa" gives "EMEA" (and "MEA", "EM", ...), "World Trade Organization" gives "WTO"."""
    out: set[str] = set()
    run: list[str] = []
    for w in [*words, "."]:
        if w[:1].isupper() and w.isalpha():
            run.append(w[0])
            continue
        if w.lower() in _LINKS and run:
            continue
        for i in range(len(run)):
            for j in range(i + 2, min(len(run), i + 6) + 1):
                out.add("".join(run[i:j]))
        run = []
    return frozenset(out)


# Names a filing writes either way: "U.S." for "United States" and back.
ALIASES = {("U.S",): ("United", "State"), ("U.K",): ("United", "Kingdom"), ("U.A.E",): ("United", "Arab", "Emirate")}
ALIASES.update({long: short for short, long in list(ALIASES.items())})


def demonym_forms(token: str) -> tuple[str, ...]:
    """A place and its adjective, either way: "Brazil" / "Brazilian", "Africa" / "African", "Japan" /
    "Japanese"."""
    if not token[:1].isupper() or len(token) < 4:
        return ()
    forms = [token + "ian", token + "n", token + "an", token + "ese", token + "ish"]
    if token.endswith("ese"):
        forms.append(token[:-3] + "a")  # "Chinese" / "China"
    for ending in ("ian", "an", "n", "ese", "ish"):
        if token.endswith(ending) and len(token) - len(ending) >= 4:
            forms.append(token[: -len(ending)])
    return tuple(forms)


def abbreviation_supported(token: str, terms: SourceTerms) -> bool:
    """"R&D", "EMEA", "WTO": an abbreviation whose letters are the initials of a run of the source's words;
    "ExxonMobil": two of its names written as one; "SG&A", "EPS": a standard abbreviation the source spells out
    ("Selling, general and administrative", "earnings per share")."""
    expansion = standard_expansion(token)
    if expansion is not None and _spelled_pattern(expansion).search(terms.joined):
        return True
    if re.fullmatch(r"[A-Z]&[A-Z]", token):  # "R&D": "research and development", in any case
        return re.search(rf" {token[0]}\w* and {token[2]}\w* ", terms.joined, re.IGNORECASE) is not None
    if re.fullmatch(r"[A-Z]{2,6}", token):
        return token in terms.acronyms
    parts = re.findall(r"[A-Z][a-z]+", token)
    return len(parts) >= 2 and "".join(parts) == token and terms.has_phrase(tuple(parts))


@lru_cache(maxsize=64)
def _spelled_pattern(expansion: str) -> re.Pattern[str]:
    """The words of a spelled-out abbreviation in a source's normalised words, any case and word ending, a linking
    word or none between them: "selling general and administrative", "Earnings Per Share"."""
    words = [w for w in re.findall(r"[a-z]+", expansion.lower()) if w not in ("and", "of", "per")]
    gap = r"[a-z]*(?:\s+(?:and|of|per|&))?\s+"
    return re.compile(" " + gap.join(re.escape(w[:5]) for w in words) + r"[a-z]*", re.IGNORECASE)


_ABBREVIATION = re.compile(r"(?<![\w&])[A-Z](?:&?[A-Z]){1,5}(?![\w&])")
_GAP = r"(?:\s+(?:and|of|the|for|per|to|&)\s+|\s*,\s*|\s+)"


@lru_cache(maxsize=256)
def spelled_out(token: str, text: str) -> str | None:
    """The words of ``text`` an abbreviation stands for, the form the text uses most: "G&A" -> "general and
    administrative", "EPS" -> "earnings per share", "WTO" -> "World Trade Organization"; None when no run of
    words spells it, or when the text uses the abbreviation itself. A two-letter one without "&" must be spelled
    by capitalised words ("RL": "Reality Labs")."""
    if re.search(rf"(?<![\w&]){re.escape(token)}(?![\w&])", text):
        return None  # the text uses the abbreviation itself
    letters = [(c, token[i - 1 : i] == "&") for i, c in enumerate(token) if c != "&"]  # (letter, after "&")
    if not 2 <= len(letters) <= 6:
        return None
    strict = len(letters) == 2 and "&" not in token
    parts = []
    for i, (letter, after_amp) in enumerate(letters):
        if i:
            parts.append(r"\s+(?:and|&)\s+" if after_amp else _GAP)
        parts.append((letter if strict else f"[{letter}{letter.lower()}]") + r"[a-z'\u2019-]+")
    pattern = re.compile(r"\b" + "".join(parts) + r"\b")
    found = Counter(" ".join(m.group(0).lower().split()) for m in pattern.finditer(text))
    return found.most_common(1)[0][0] if found else None


@lru_cache(maxsize=4096)
def _spelling(token: str) -> re.Pattern[str] | None:
    """Words whose initials spell an abbreviation of three or more letters ("return on invested capital" for
    "ROIC")."""
    letters = [c for c in token if c != "&"]
    if not 3 <= len(letters) <= 6 or "&" in token:
        return None
    return re.compile(r"\b" + _GAP.join(f"[{c}{c.lower()}][a-z'\u2019-]+" for c in letters) + r"\b")


@lru_cache(maxsize=256)
def source_abbreviations(source: str) -> frozenset[str]:
    """The abbreviations a source uses ("ROIC", "EMEA"); cached per source."""
    return frozenset(abbreviations(source))


def abbreviated_in(text: str, source: str) -> list[str]:
    """The source's abbreviations that ``text`` spells out instead ("return on invested capital" -> "ROIC")."""
    out = []
    for token in sorted(source_abbreviations(source)):
        pattern = _spelling(token)
        if pattern is not None and token not in text and pattern.search(text):
            out.append(token)
    return out


def abbreviations(text: str) -> list[str]:
    """The all-capital abbreviations of a text ("G&A", "EPS", "WTO"), in order."""
    return [m.group(0) for m in _ABBREVIATION.finditer(text)]


def without_initials_in(tokens: tuple[str, ...], joined: str) -> bool:
    """Whether a person's name (two or three capitalised words) stands in ``joined`` (a source's normalised words,
    space-joined) with middle initials the name leaves out ("Brian Olsavsky" for "Brian T. Olsavsky")."""
    return 2 <= len(tokens) <= 3 and all(len(t) > 1 and t[:1].isupper() for t in tokens) and re.search(
        " " + " (?:[A-Z] )?".join(re.escape(t) for t in tokens) + " ", joined) is not None
