"""The names of a claim: which one is the company the claim is about (the filer, which a filing calls "we"), and
the role a claim gives any other name (customer, supplier, competitor, subsidiary, partner, regulator) checked
against its role in the source sentences that name it."""

from __future__ import annotations

import re

from filingsum.quality.claims.index import SourceIndex
from filingsum.quality.claims.records import Claim
from filingsum.quality.factual import EntityMention

_ROLES = {
    "customer": r"customers?|clients?|buyers?|purchasers?|sells?\s+to|sold\s+to",
    "supplier": r"suppliers?|vendors?|manufacturers?|sources?\s+from|sourced\s+from|supplie[sd]|supply|"
                r"contract\s+manufactur\w*|provided\s+by|manufactured\s+(?:\w+\s+){0,8}?by|made\s+by|buys?\s+from",
    "competitor": r"competitors?|compet\w+|rivals?",
    "subsidiary": r"subsidiar(?:y|ies)|wholly[\s-]owned|acquired|acquisition\s+of",
    "partner": r"partners?|partnered|partnering|partnerships?|alliances?|collaborat\w+|joint\s+venture",
    "regulator": r"regulators?|regulated\s+by|regulatory\s+authorit\w+|agency|commission",
}
_ROLE_RE = {role: re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE) for role, pattern in _ROLES.items()}


def _roles_in(text: str) -> set[str]:
    return {role for role, pattern in _ROLE_RE.items() if pattern.search(text)}


_ROLE_WORDS_REACH = 8


def _claim_roles(claim: str, start: int, end: int) -> set[str]:
    """The roles a claim gives the name at [start, end): role words within eight words of it, unless the name
    owns them ("Crexendo's customers", "the customers of BDS")."""
    if re.match(r"['\u2019]s\s+[a-z]", claim[end : end + 4]) or re.search(r"\b(?:of|for|by)\s+$", claim[:start]):
        return set()
    before = " ".join(claim[:start].split()[-_ROLE_WORDS_REACH:])
    after = " ".join(claim[end:].split()[:_ROLE_WORDS_REACH])
    return _roles_in(before + " | " + after)


def check_roles(index: SourceIndex, claim: Claim, names: list[EntityMention],
                subjects: set[int]) -> tuple[str, str, int | None] | None:
    """A name the claim gives a role (customer, supplier, competitor, ...) must have that role in the source
    sentences that name it."""
    for name in names:
        s, e = name.start - claim.start, name.end - claim.start
        copula = re.match(r"\s+(?:is|are|was|were|became|remains?)\b|,\s+(?:a|an|its)\b", claim.text[e:])
        if name.start in subjects and _VERB_AFTER.match(claim.text[e : e + 30]) and not copula:
            continue  # the company the claim is about: "Home Depot acquired SRS"
        claim_roles = _claim_roles(claim.text, s, e)
        if not claim_roles:
            continue
        pattern = re.compile(r"\b" + r"\s+".join(re.escape(t) for t in name.text.split()) + r"\b")
        source_roles: set[str] = set()
        where = None
        for m in pattern.finditer(index.text):
            k = index.unit_at(m.start())
            unit = index.units[k]
            source_roles |= _roles_in(index.text[unit.start : unit.end])
            where = where if where is not None else k
        if where is None:
            continue
        if not (claim_roles & source_roles):
            said = "/".join(sorted(source_roles)) or "no role"
            kind = "contradicted" if source_roles else "unsupported"
            return (kind, f"the source gives {name.text} {said}, not {'/'.join(sorted(claim_roles))}", where)
    return None


# A filing speaks of itself as "the Company" or "we": a summary names it ("Apple sells ..."), and that name
# need not be in the excerpt. The claim's first name is its subject when it opens the claim, owns something
# ("Apple's") or a verb follows it ("... Apple had").
_VERB_AFTER = re.compile(r"\s+(?:also\s+)?(?:is|are|was|were|has|had|have|will|may|can|does|did|[a-z]+(?:s|ed))\b")


def is_subject(flat: str, claim: Claim, name: EntityMention) -> bool:
    """Whether a name is what the claim is about: in its first words, or the owner ("Apple's iPhone")."""
    lead = flat[claim.start : name.start]
    owner = re.match(r"['\u2019]s\b", flat[name.end : name.end + 2]) is not None
    if _LEADING_PLACE.match(lead) and re.match(r"\s*,", flat[name.end : name.end + 2]) and not owner:
        return False  # "In Mexico and Canada, it offers ...": where, not who
    return len(lead.split()) <= 3 or owner or _VERB_AFTER.match(flat[name.end : name.end + 30]) is not None


_LEGAL_FORM = frozenset({"inc", "incorporated", "corp", "corporation", "co", "company", "companies", "ltd",
                         "limited", "plc", "holdings", "holding", "group", "the", "llc", "lp", "na", "sa", "ag", "nv"})


def _name_tokens(name: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", name.lower().replace("\u2019", "'").replace("'s ", " "))
    return [w for w in words if w not in _LEGAL_FORM]


def is_company_name(name: str, company: str) -> bool:
    """Whether a name in a summary names the filer: "Meta" for "Meta Platforms, Inc.", "Coca-Cola" for "Coca
    Cola", "Wells Fargo" for "Wells Fargo & Company" (one is a leading run of the other's words)."""
    said, filer = _name_tokens(name.removesuffix("'s").removesuffix("\u2019s")), _name_tokens(company)
    if not said or not filer:
        return False
    if len(said) > 1 and all(len(w) == 1 for w in said) and said == [w[0] for w in filer]:
        return True  # "P&G" for Procter & Gamble, "J&J" for Johnson & Johnson
    shorter, longer = sorted((said, filer), key=len)
    return longer[: len(shorter)] == shorter or "".join(said) == "".join(filer)  # "ExxonMobil", "Exxon Mobil"


def self_reference(*words: str) -> re.Pattern[str]:
    """The words a filing calls itself by ("the Company's", "the Registrant"), with ``words`` added."""
    names = "|".join(("Company", "Registrant", "Corporation", "Group", *words))
    return re.compile(rf"(?:the\s+)?(?:{names})(?:['\u2019]s)?", re.IGNORECASE)


def ends_company_name(text_before: str, name: str, company: str) -> bool:
    """Whether ``name`` ends the filer's name that ``text_before`` begins: "Fargo" after a sentence-initial
    "Wells" (which a name finder drops as a capitalised first word) for "Wells Fargo"."""
    said, filer = _name_tokens(name.removesuffix("'s").removesuffix("\u2019s")), _name_tokens(company)
    if not said or len(filer) <= len(said) or filer[-len(said):] != said:
        return False
    lead = filer[: len(filer) - len(said)]
    before = re.findall(r"[a-z0-9]+", text_before.lower())[-len(lead):]
    return before == lead


_SELF_NAME = self_reference("Parent")  # a holding company's filing calls itself the Parent too


def abbreviates(short: str, text: str) -> bool:
    """Whether ``short`` ("RL", "FoA") spells the initials of a run of ``text``'s words ("Reality Labs", "Family
    of Apps"), linking words counted or not."""
    letters = short.lower()
    if not 2 <= len(letters) <= 6 or not short[:1].isupper():
        return False
    words = re.findall(r"[A-Za-z]+", text)
    for i in range(len(words)):
        for skip_links in (False, True):
            run = [w for w in words[i : i + 8] if not (skip_links and w.lower() in ("of", "and", "the", "for"))]
            if "".join(w[0] for w in run[: len(letters)]).lower() == letters:
                return True
    return False


def _defined_term(name: str, text: str) -> bool:
    """A capitalised word the source uses as a defined term ("the Merger", "the Successor"): a thing the filing
    names, not a party another name could stand in for."""
    return " " not in name and re.search(rf"\bthe {re.escape(name)}\b", text) is not None


def _place_written_otherwise(name: str, text_lower: str) -> bool:
    """Whether ``text_lower`` names the place ``name`` abbreviates or spells out ("U.S." / "United States")."""
    from filingsum.quality.abbreviations import PLACE_ABBREVIATIONS

    for short, full in PLACE_ABBREVIATIONS.items():
        if name.rstrip(".") == short.rstrip("."):
            return full.lower() in text_lower
        if name.lower() == full.lower():
            return re.search(rf"(?<!\w){re.escape(short.lower())}", text_lower) is not None
    return False


# A claim that opens by placing itself: "In Mexico and Canada, it ...", "In the U.S., ...".
_LEADING_PLACE = re.compile(r"\s*(?:and\s+)?(?:[Ii]n|[Aa]cross)\s+(?:[Tt]he\s+)?(?:[A-Z][\w.&'-]*\s+(?:and\s+)?)*$")


def check_name_swap(index: SourceIndex, claim: Claim, names: list[EntityMention], subjects: set[int],
                    best: int) -> tuple[str, str, int] | None:
    """"Moody's placed Boeing's ratings on review" where the sentence the claim comes from says S&P: a name the
    claim puts where the source has another. The claim's name is in the source elsewhere (an invented one is
    the name check's), the unit it comes from lacks it and names someone the claim does not."""
    from filingsum.quality.factual import _sentence_initial, extract_entities, source_terms

    unit = index.units[best]
    raw = index.text[unit.start : unit.end]
    raw_lower, claim_lower, text_lower = raw.lower(), claim.text.lower(), index.text.lower()
    swapped = [n for n in names if n.start not in subjects and n.text.lower() not in raw_lower
               and (len(claim.text[: n.start - claim.start].split()) > 3  # not the claim's topic ("Asia Pacific")
                    or _LEADING_PLACE.match(claim.text[: n.start - claim.start]) is not None)  # "In Mexico, ..."
               and n.text.lower() in text_lower and not _SELF_NAME.fullmatch(n.text)
               and not _place_written_otherwise(n.text, raw_lower)
               and not _defined_term(n.text, index.text)
               and not any(abbreviates(m, n.text) for m in re.findall(r"\b[A-Z][A-Za-z&]{1,5}\b", raw))]
    if not swapped:
        return None
    from filingsum.quality.claims.words import content_words

    # the rest of the claim must come from this unit: "acquired NBS in 2012 and Broadvox in 2013" is two facts
    rest = sorted(claim.words - content_words(swapped[0].text) - claim.subject)
    total = sum(index.weight(w) for w in rest)
    if not total or sum(index.weight(w) for w in rest if w in unit.words) < 0.75 * total:
        return None
    terms = source_terms(index.text)
    others = [m for m in extract_entities(raw, terms.lowercase) if m.text.lower() not in claim_lower
              and all(t in terms.names for t in m.tokens) and not _SELF_NAME.fullmatch(m.text)
              and not _sentence_initial(raw, m.start, ".!?:;\u2013\u2014") and not abbreviates(m.text, claim.text)]
    if not others:
        return None
    return "contradicted", f"the source says {others[0].text!r} here, not {swapped[0].text!r}", best
