"""What a filing is, read from its text and file name: the form (10-K or 10-Q), the company and the fiscal
period (pure functions)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from filingsum.filings.ingest.document import Form

# "10-KSB"/"10-QSB": the small-business annual and quarterly reports (until 2009), read as 10-K and 10-Q
_FORM_IN_NAME = re.compile(r"(?:^|[_\-\s.])10-?([kq])(?:sb)?(?=$|[_\-\s.\d])", re.IGNORECASE)
_UPPER_FORM_LINE = re.compile(r"(?m)^[^a-z\n]*\bFORM\s+10-?([KQ])(?:SB)?\b[^a-z\n]*$")
_REPORT_PURSUANT = re.compile(r"\b(QUARTERLY|ANNUAL) REPORT (?:PURSUANT TO|UNDER) SECTION 13", re.IGNORECASE)
_THIS_FORM = re.compile(r"\bthis (?:(?:quarterly|annual) report on )?Form 10-?([KQ])(?:SB)?\b", re.IGNORECASE)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_PERIOD_ENDED = re.compile(
    rf"\bfor the (?:fiscal year|quarterly period|transition period) ended:?\s+((?:{_MONTHS})\s+\d{{1,2}},?\s*\d{{4}})",
    re.IGNORECASE,
)
_REGISTRANT_LINE = re.compile(r"\(\s*exact name of registrant as specified in its charter\s*\)", re.IGNORECASE)
_DEFINED_COMPANY = re.compile(
    r"\b([A-Z][\w&.'’-]*(?:[ ,]+[A-Z][\w&.'’-]*){0,6},? (?:Inc\.|Incorporated|Corporation|Corp\.|Company|Co\.|Ltd\.|"
    r"Limited|LLC|L\.P\.|plc|N\.V\.|S\.A\.|Holdings))\s*\(\s*(?:together with[^)]*)?(?:the )?[“\"]"
)
_NAME_STOP_TOKENS = re.compile(
    r"^(?:10-?[kq]|10|k|q|\d.*|item.*|mdna|md&a|prompt|annual|quarterly|report|filing|form|part.*|section.*)$",
    re.IGNORECASE,
)

# A Form 12b-25 (NT 10-K, NT 10-Q): the notice that a report will be late. Its cover's own heading lines, with at most
# capitals, figures or punctuation after them ("FORM 12b-25   SEC FILE NUMBER 0-12345"), not a sentence naming it.
_LATE_FILING = re.compile(
    r"(?m)^[ \t>#*]*(?:(?i:form)[ \t]+12[bB][ \t]*-[ \t]*25|(?i:notification[ \t]+of[ \t]+late[ \t]+filing)|"
    r"(?i:form[ \t]+)?NT[ \t]+10-?[KQ](?:SB|405)?(?:/A)?)(?![\w-])[^a-z\n]{0,80}$"
)
LATE_FILING_NOTICE = ("a notification of late filing (Form 12b-25, NT 10-K or NT 10-Q), not a 10-K or 10-Q: it has no "
                      "business section to summarize")


def is_late_filing_notice(text: str) -> bool:
    """Whether a document is a notification of late filing (Form 12b-25: NT 10-K, NT 10-Q), by its cover's
    headings."""
    return bool(_LATE_FILING.search(text[:5000]))


def form_from_label(label: str | None) -> Form:
    """Normalise a form label ("10-K", "10k", "10-K/A", "10-KT", "10-Q405") to "10-K", "10-Q" or "unknown"."""
    if not label:
        return "unknown"
    match = re.match(r"\s*10-?([KQ])", label, re.IGNORECASE)
    return f"10-{match.group(1).upper()}" if match else "unknown"  # type: ignore[return-value]


def detect_form(text: str, file_name: str = "") -> Form:
    """Form type from the cover page, the report's own references to itself, or the file name."""
    head = text[:30000]
    match = _UPPER_FORM_LINE.search(head)
    if match:
        return form_from_label("10-" + match.group(1))
    match = _REPORT_PURSUANT.search(head)
    if match:
        return "10-Q" if match.group(1).lower() == "quarterly" else "10-K"
    match = _FORM_IN_NAME.search(Path(file_name).stem)
    if match:
        return form_from_label("10-" + match.group(1))
    match = _THIS_FORM.search(text)
    if match:
        return form_from_label("10-" + match.group(1))
    return "unknown"


_CORPORATE_SUFFIX = re.compile(
    r"(?:[,\s]+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.?p|plc|n\.?v|s\.?a|ag|"
    r"holdings?|group)\.?)+$",
    re.IGNORECASE,
)


def canonical_company(name: str | None) -> str | None:
    """One spelling per company across its filings: "THE BOEING COMPANY" and "BOEING CO" -> "Boeing";
    "WELLS FARGO & COMPANY" -> "Wells Fargo".

    Drops a leading "The", trailing corporate suffixes and "/DE/"-style state tags; title-cases all-caps names.
    Used for detected names so that splitting by company keeps one company's filings together.
    """
    if not name:
        return None
    cleaned = " ".join(name.replace("\u00a0", " ").split())
    cleaned = re.sub(r"\s*/[A-Z]{2,3}/?\s*$", "", cleaned)
    cleaned = re.sub(r"^the\s+", "", cleaned, flags=re.IGNORECASE)
    stripped = _CORPORATE_SUFFIX.sub("", cleaned).strip(" ,.")
    stripped = re.sub(r"(?:\s*&|\s+and)$", "", stripped, flags=re.IGNORECASE)  # "Wells Fargo & Company"
    cleaned = stripped or cleaned
    if cleaned.isupper() and len(cleaned) > 5:
        cleaned = " ".join(w if "&" in w else w.capitalize() for w in cleaned.split())
    return cleaned or None


def company_from_file_name(file_name: str) -> str | None:
    """"crexendo_10k_2016_item1_prompt.txt" -> "Crexendo"; "aapl-10-k-2024-11-01.html" -> "AAPL"."""
    tokens = [t for t in re.split(r"[_\-\s.]+", Path(file_name).stem) if t]
    name: list[str] = []
    for token in tokens:
        if _NAME_STOP_TOKENS.match(token):
            break
        name.append(token)
    if not name:
        return None
    if len(name) == 1 and len(name[0]) <= 4 and name[0].isalpha():
        return name[0].upper()  # a ticker
    return " ".join(t if not t.islower() else t.capitalize() for t in name)


def detect_company(text: str, file_name: str = "") -> str | None:
    """Registrant name from the cover page, else the file name, else the name a filing defines for itself."""
    head = text[:30000]
    match = _REGISTRANT_LINE.search(head)
    if match:
        before = [ln.strip() for ln in head[: match.start()].splitlines() if ln.strip()]
        if before and 2 <= len(before[-1]) <= 120:
            return canonical_company(before[-1])
    from_name = company_from_file_name(file_name)
    if from_name:
        return from_name
    match = _DEFINED_COMPANY.search(head)
    return canonical_company(match.group(1)) if match else None


def iso_date(raw: str) -> str | None:
    """"December 31, 2016", "20161231" or "2016-12-31" as "2016-12-31"; None for anything else."""
    raw = " ".join(raw.replace(",", ", ").split()).replace(" ,", ",")
    for fmt in ("%B %d, %Y", "%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def fiscal_period_from_file_name(file_name: str) -> str | None:
    """"crexendo_10q_2020q3_mdna" -> "2020-Q3"; "crexendo_10k_2016_item1" -> "2016"."""
    stem = Path(file_name).stem
    match = re.search(r"(?<!\d)((?:19|20)\d{2})[_\-]?q([1-4])(?!\d)", stem, re.IGNORECASE)
    if match:
        return f"{match.group(1)}-Q{match.group(2)}"
    match = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", stem)
    return match.group(1) if match else None


def detect_fiscal_period(text: str, file_name: str = "") -> str | None:
    """Period end from the cover page ("for the fiscal year ended December 31, 2016"), else the file name."""
    match = _PERIOD_ENDED.search(text[:30000])
    if match:
        iso = iso_date(match.group(1))
        if iso:
            return iso
    return fiscal_period_from_file_name(file_name)
