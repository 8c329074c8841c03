"""The other spellings of a name a filing may use: "U.S." for "United States", "Brazilian" for "Brazil",
"R&D" for "research and development", "EMEA" for "Europe, Middle East and Africa", "ExxonMobil" for "Exxon
Mobil". Pure functions over a source's words (`filingsum.quality.factual.SourceTerms`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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
    "ExxonMobil": two of its names written as one."""
    if re.fullmatch(r"[A-Z]&[A-Z]", token):  # "R&D": "research and development", in any case
        return re.search(rf" {token[0]}\w* and {token[2]}\w* ", terms.joined, re.IGNORECASE) is not None
    if re.fullmatch(r"[A-Z]{2,6}", token):
        return token in terms.acronyms
    parts = re.findall(r"[A-Z][a-z]+", token)
    return len(parts) >= 2 and "".join(parts) == token and terms.has_phrase(tuple(parts))
