"""Find the wanted sections of a filing (10-K Item 1 / 1A / 7, 10-Q Part I Item 2, or the whole filing).

HTML filings go through edgartools' section extractor first; plain text (and HTML where edgartools finds
nothing) through `find_item_section`, a heading search that skips the table of contents and in-text
cross-references. Every returned section is cleaned (`clean_section_text`) and stripped of sentences that
try to instruct the model.

Form mismatches are mapped, not failed: a 10-Q has no Item 1 or Item 7, so asking it for `item_1` or
`item_7` gives its MD&A (Part I Item 2) with a warning, and asking a 10-K for `part_i_item_2` gives its
Item 7 MD&A with a warning. A 10-Q asked for `item_1a` is skipped (logged): its risk factors are usually
only updates to the 10-K's. Sections that are asked twice after mapping come back once. A text with no item
heading at all is its own section, with a warning ending `WHOLE_TEXT_USED`; a notification of late filing (Form
12b-25) is skipped: it has no section but `whole`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filingsum.core.schema import SECTION_NAMES, FilingSection
from filingsum.filings.clean import clean_section_text, strip_prompt_injection
from filingsum.filings.ingest import DEFAULT_MAX_BYTES, SourceDocument, load_documents
from filingsum.filings.ingest.metadata import LATE_FILING_NOTICE, is_late_filing_notice

log = logging.getLogger(__name__)

SECTION_TITLES: dict[str, str] = {
    "item_1": "Item 1. Business",
    "item_1a": "Item 1A. Risk Factors",
    "item_7": "Item 7. Management's Discussion and Analysis",
    "part_i_item_2": "Part I, Item 2. Management's Discussion and Analysis",
    "whole": "the whole filing",
}
WHOLE_TEXT_USED = "used the whole text"  # how a section's warning ends when no heading was found: not the section


@dataclass(frozen=True)
class _ItemSpec:
    number: str
    part: str | None
    title: re.Pattern[str]
    edgar_names: tuple[str, ...]


_SPECS: dict[str, _ItemSpec] = {
    # "Business", "Description of Business" (the 10-KSB title), "Our Business", "Business and Properties"
    "item_1": _ItemSpec("1", "I", re.compile(r"^(?:(?:narrative\s+|general\s+)?description\s+of\s+(?:the\s+|our\s+)?|"
                                             r"our\s+|the\s+)?business(?:es)?\b", re.I), ("part_i_item_1", "Item 1")),
    "item_1a": _ItemSpec("1A", "I", re.compile(r"^risk\s+factors", re.I), ("part_i_item_1a", "Item 1A")),
    "item_7": _ItemSpec("7", "II", re.compile(r"^management", re.I), ("part_ii_item_7", "Item 7")),
    "part_i_item_2": _ItemSpec("2", "I", re.compile(r"^management", re.I), ("part_i_item_2", "Item 2")),
}
_MIN_SECTION_CHARS = 200  # below this an extracted section is taken as a miss (a TOC line, a stub)
_MIN_ITEM_BODY_CHARS = 20  # below this the text under a found heading is too short to use
_LONG_LINE = 2_000  # characters: a "heading" line this long is text run into it (a file whose line breaks were lost)


# ---------------------------------------------------------------------------------------------------------
# Heading search in plain text


_ITEM_HEADING = re.compile(
    r"^[ \t>#*]*(?:PART[ \t]+(?P<part>IV|I{1,3})[ \t]*[.,:\-–—]?[ \t]*)?"
    # "Item 1", or "Items 1 and 2" (one heading for both, "Business and Properties"), taken as its first item
    r"(?:ITEM[ \t]*(?P<num>\d{1,2}[A-D]?)|ITEMS[ \t]+(?P<first>\d{1,2}[A-D]?)(?:[ \t]*(?:,|and|&)[ \t]*\d{1,2}[A-D]?)+)"
    r"(?![\w])[ \t]*(?P<punct>[.:\-–—])?[ \t]*(?P<title>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_PART_HEADING = re.compile(
    r"^[ \t>#*]*PART[ \t]+(?P<part>IV|I{1,3})\b[ \t]*[.,:\-–—]?[ \t]*(?P<rest>[^\n]*)$", re.I | re.M
)
_END_HEADING = re.compile(r"^[ \t]*(?:SIGNATURES?|EXHIBIT INDEX)[ \t]*$", re.MULTILINE)
_PAGE_REF = re.compile(r"(?:\.{2,}|\s)\s*\d{1,3}\s*$")
# A heading's title names the item; one whose first clause goes on with a verb is a sentence that starts with
# the item's name, "Item 1. Business is not amended by this Amendment ..." in a 10-K/A's explanatory note.
_PROSE_TITLE = re.compile(
    r"^[^.:;()\n]*?\S[ \t,]+(?:is|are|was|were|has|have|had|will|would|shall|should|may|does|did|remains?|"
    r"continues?)\b"
)
_ITEM_NAMED = re.compile(r"\bItems?[ \t]*\d{1,2}[A-D]?\.", re.I)


def _reads_as_prose(title: str) -> bool:
    """Whether a heading's title goes on as a sentence ("Business and Item 7. MD&A are not amended")."""
    return bool(_PROSE_TITLE.match(_ITEM_NAMED.sub("Item", title[:300])))


@dataclass(frozen=True)
class _Heading:
    start: int  # offset of the heading line
    body: int  # offset just after the heading line
    number: str | None  # item number ("1A"), None for PART / SIGNATURES lines
    part: str | None  # the part this heading belongs to, as far as known
    title: str


def _next_line(text: str, offset: int) -> str:
    match = re.compile(r"\s*([^\n]*)").match(text, offset)
    return match.group(1).strip() if match else ""


def _find_headings(text: str) -> list[_Heading]:
    events: list[tuple[int, str, re.Match[str]]] = []
    events += [(m.start(), "item", m) for m in _ITEM_HEADING.finditer(text)]
    events += [(m.start(), "part", m) for m in _PART_HEADING.finditer(text)]
    events += [(m.start(), "end", m) for m in _END_HEADING.finditer(text)]
    events.sort(key=lambda e: (e[0], e[1] != "item"))
    headings: list[_Heading] = []
    part: str | None = None
    last_start = -1
    for start, kind, match in events:
        if start == last_start:
            continue  # "PART I, ITEM 2." is one heading
        if kind == "part":
            rest = match.group("rest").strip()
            if rest and (rest[:1].islower() or len(rest) > 80):
                continue  # "Part II of this report ..." is prose
            part = match.group("part").upper()
            headings.append(_Heading(start, match.end(), None, part, rest))
        elif kind == "end":
            headings.append(_Heading(start, match.end(), None, part, match.group(0).strip()))
        else:
            title = match.group("title").strip()
            cross_reference = title[:1].islower() or (title and title[0] in ",;)")
            if cross_reference or (not match.group("punct") and title[:1].isdigit()):
                continue  # "Item 7 of this report", "Item 1A, Risk Factors, ...": a cross-reference
            if len(title) > 150 and not match.group("punct"):
                continue
            if _reads_as_prose(title):
                continue  # "Item 1. Business is not amended ...": the item named in a sentence
            if match.group("part"):
                part = match.group("part").upper()
            if not title:
                title = _next_line(text, match.end())
            number = match.group("num") or match.group("first")
            headings.append(_Heading(start, match.end(), number.upper(), part, title))
        last_start = start
    return headings


def _title_matches(spec: _ItemSpec, title: str) -> bool:
    title = title.strip(" \t.:-–—\"'“”")
    return not title or bool(spec.title.match(title)) or bool(_PAGE_REF.fullmatch(title))


def find_item_section(text: str, section: str) -> str | None:
    """The text of one item in a plain-text filing, heading included, or None when no heading is found or
    the text under it is shorter than `_MIN_ITEM_BODY_CHARS` (`item_body_length` tells which).

    Of all headings for the item, the one followed by the most text wins: table-of-contents lines are
    followed at once by the next entry. The section runs to the next heading of another item, the next PART,
    or SIGNATURES.
    """
    best = _best_item_span(text, section)
    if best is None or best[0] < _MIN_ITEM_BODY_CHARS:
        return None
    return text[best[1]:best[2]].strip()


def item_body_length(text: str, section: str) -> int | None:
    """The length of the text under the item's best heading (as `find_item_section` picks it); None when the
    text has no heading for the item."""
    best = _best_item_span(text, section)
    return None if best is None else best[0]


def _best_item_span(text: str, section: str) -> tuple[int, int, int] | None:
    """(body length, start, end) of the item's heading followed by the most text; None without one."""
    spec = _SPECS[section]
    headings = _find_headings(text)
    best: tuple[int, int, int] | None = None  # (body length, start, end)
    for index, heading in enumerate(headings):
        if heading.number != spec.number:
            continue
        if heading.title and not _title_matches(spec, heading.title):
            continue  # Item 2 "Properties" of a 10-K is not the 10-Q's MD&A
        if spec.part == "I" and heading.part not in (None, "I") and not spec.title.match(heading.title):
            continue  # Part II Item 1A/2 of a 10-Q
        end = len(text)
        for later in headings[index + 1:]:
            if later.number == spec.number and later.part == heading.part:
                continue  # "Item 7 (continued)" after a page break
            end = later.start
            break
        length = len(text[heading.body:end].strip())
        if best is None or length >= best[0]:
            best = (length, heading.start, end)
    return best


def _trim_trailing_heading(text: str) -> str:
    """Drop an item heading left dangling at the end of a section excerpt ("... Item 3.")."""
    headings = [h for h in _find_headings(text) if h.number]
    if headings and len(text[headings[-1].body:].strip()) < 200 and headings[-1].start > len(text) * 0.5:
        return text[: headings[-1].start].rstrip()
    return text


# ---------------------------------------------------------------------------------------------------------
# Sections of a loaded document


def resolve_section(section: str, form: str) -> tuple[str | None, str | None]:
    """(section to extract, warning) after mapping a request onto the filing's form; (None, reason) to skip."""
    if section not in SECTION_NAMES:
        raise ValueError(f"unknown section {section!r}; expected one of {', '.join(SECTION_NAMES)}")
    if form == "10-Q" and section in ("item_1", "item_7"):
        return "part_i_item_2", f"form is 10-Q; used Part I Item 2 (MD&A) for {section}"
    if form == "10-Q" and section == "item_1a":
        return None, "form is 10-Q; item_1a (10-K risk factors) skipped"
    if form == "10-K" and section == "part_i_item_2":
        return "item_7", "form is 10-K; used Item 7 (MD&A) for part_i_item_2"
    return section, None


def _html_section(doc: SourceDocument, section: str) -> tuple[str | None, list[str]]:
    spec = _SPECS[section]
    warnings: list[str] = []
    for name in spec.edgar_names:
        try:
            text = doc.parsed_html.get_sec_section(name)
        except Exception as exc:  # noqa: BLE001 (edgartools fails on odd layouts; the heading search still runs)
            warnings.append(f"edgartools could not extract {name}: {type(exc).__name__}")
            continue
        if text and len(text.strip()) >= _MIN_SECTION_CHARS:
            return text, warnings
    return None, warnings


_EIGHT_K_ITEM = re.compile(r"ITEM[ \t]*(\d{1,2}\.\d{2})(?!\d)", re.I)  # "Item 1.01 Entry into ...": an 8-K's


def _label(text: str, heading: _Heading) -> str:
    """"Item 1A", or "Item 1.01" for an 8-K item (whose heading search sees "Item 1" titled "01 Entry ...")."""
    eight_k = _EIGHT_K_ITEM.search(text, heading.start, heading.body)
    return f"Item {eight_k.group(1)}" if eight_k else f"Item {heading.number}"


def _other_items(text: str) -> list[str]:
    """The items a text has headings for, a dangling heading at its end aside ("Item 3." after an MD&A excerpt)."""
    seen: list[str] = []
    text = _trim_trailing_heading(text)
    for heading in _find_headings(text):
        if heading.number and _label(text, heading) not in seen:
            seen.append(_label(text, heading))
    return seen


def _rejected_heading(text: str, section: str) -> str | None:
    """Why the first heading numbered as ``section``'s item is not that item (an 8-K item, another title, another
    part), naming the heading as the file has it; None when the file has no heading of that number."""
    spec, title = _SPECS[section], SECTION_TITLES[section]
    for heading in _find_headings(text):
        if heading.number != spec.number:
            continue
        line = " ".join(text[heading.start:heading.body].strip(" \t>#*").split())
        shown = line if heading.title in line else f"{line} {heading.title}"
        shown = shown if len(shown) <= 100 else shown[:97].rstrip() + "..."
        if _EIGHT_K_ITEM.search(text, heading.start, heading.body):
            return f"'{shown}' is an 8-K item, not {title}"
        if heading.title and not _title_matches(spec, heading.title):
            return f"'{shown}' is not {title}: its title is not {title.split('. ', 1)[1]}"
        if spec.part == "I" and heading.part not in (None, "I") and not spec.title.match(heading.title):
            return f"'{shown}' is in Part {heading.part}, not Part I"
    return None


def _one_line_cause(text: str) -> str | None:
    """Why no heading can be found in a text that is one long line (no line break at all); None otherwise."""
    stripped = text.strip()
    if "\n" in stripped or len(stripped) < _LONG_LINE:
        return None
    return f"the file has no line breaks (one {len(stripped):,}-character line), and headings are found by lines"


def _run_on_heading_cause(text: str, start: int) -> str | None:
    """Why the heading at ``start`` seems to have no text under it when its line runs on for thousands of
    characters (the text is on the heading's line); None for an ordinary heading line."""
    end = text.find("\n", start)
    length = (len(text) if end < 0 else end) - start
    if length < _LONG_LINE:
        return None
    return _one_line_cause(text) or f"its heading's line runs on for {length:,} characters with no line break"


def _missing_section_reason(text: str, section: str, others: list[str]) -> str:
    """Why a filing with item headings gives no text for ``section``: its heading has (almost) nothing under
    it, or there is no heading for it."""
    title, best = SECTION_TITLES[section], _best_item_span(text, section)
    body = None if best is None else best[0]
    if best is not None and body == 0 and (cause := _run_on_heading_cause(text, best[1])):
        return (f"{title} cannot be told from its heading: {cause}: skipped (give the file its line breaks, or ask "
                "for `whole`)")
    if body == 0:
        return f"{title} is only a heading (or a table-of-contents entry) with no text under it: skipped"
    if body is not None:
        return (f"{title} found, but too short to use ({body} character(s) of text under its heading, at least "
                f"{_MIN_ITEM_BODY_CHARS} needed): skipped")
    rejected = _rejected_heading(text, section)
    seen = f": {rejected}; the file has headings for" if rejected else ", though the file has headings for"
    return f"no {title} found{seen} {', '.join(others[:6])}: skipped (ask for another section, or for `whole`)"


def _raw_section(doc: SourceDocument, section: str) -> tuple[str | None, list[str]]:
    """The section's raw text and warnings; None (with the reason last) when the filing has item headings but
    none for this section: it lacks the section, and its whole text would be another section under this label."""
    if section == "whole":
        return doc.text, []
    if is_late_filing_notice(doc.text):  # its whole text would go out as the company's business
        return None, [f"{LATE_FILING_NOTICE}: skipped (ask for `whole` to summarize the notice itself)"]
    warnings: list[str] = []
    if doc.parsed_html is not None:
        text, warnings = _html_section(doc, section)
        if text:
            return text, warnings
    text = find_item_section(doc.text, section)
    if text:
        if doc.parsed_html is not None:
            warnings.append(f"edgartools found no {SECTION_TITLES[section]}; used the heading search")
        return text, warnings
    others = _other_items(doc.text)
    if others:
        warnings.append(_missing_section_reason(doc.text, section, others))
        return None, warnings
    cause = _one_line_cause(doc.text)
    warnings.append(f"no {SECTION_TITLES[section]} heading found{f': {cause}' if cause else ''}; {WHOLE_TEXT_USED}")
    return _trim_trailing_heading(doc.text), warnings


def extract_sections(
    doc: SourceDocument, wanted: Sequence[str] = ("item_1",), *, clean: bool = True,
    skipped: list[str] | None = None,
) -> list[FilingSection]:
    """The wanted sections of one document as `FilingSection`s (cleaned unless `clean=False`).

    See the module docstring for how a section asked of the wrong form is mapped or skipped. Sections
    that come out empty, or that a filing with other item headings lacks, are skipped with a logged warning
    (its reason also appended to ``skipped`` when given).
    """
    out: list[FilingSection] = []
    done: set[str] = set()
    for requested in wanted:
        section, mapping_note = resolve_section(requested, doc.form)
        if section is None:
            log.warning("%s: %s", doc.source_path, mapping_note)
            continue
        if section in done:
            continue
        done.add(section)
        raw, warnings = _raw_section(doc, section)
        if mapping_note:
            warnings.insert(0, mapping_note)
        if raw is None:
            log.warning("%s: %s", doc.source_path, warnings[-1])
            if skipped is not None:
                skipped.append(warnings[-1])
            continue
        text = clean_section_text(raw) if clean else raw
        text, injection_warnings = strip_prompt_injection(text)
        warnings += injection_warnings
        if not text.strip():
            log.warning("%s: %s is empty after cleaning; skipped", doc.source_path, SECTION_TITLES[section])
            continue
        out.append(
            FilingSection(
                company=doc.company or Path(doc.source_path.split("#")[0]).stem,
                form=doc.form,
                fiscal_period=doc.fiscal_period,
                source_path=doc.source_path,
                section=section,  # type: ignore[arg-type]
                text=text,
                instruction=doc.instruction,
                warnings=[*doc.warnings, *warnings],
            )
        )
    return out


def extract_filing_sections(
    path: str | os.PathLike[str], wanted: Sequence[str] = ("item_1",), max_bytes: int = DEFAULT_MAX_BYTES
) -> list[FilingSection]:
    """Load a filing file, find the wanted sections and clean them: what the builder and the client call.

    Raises `IngestError` for a file that cannot be used (empty, binary, undecodable, over `max_bytes`, ...).
    """
    sections: list[FilingSection] = []
    for doc in load_documents(path, max_bytes=max_bytes):
        sections.extend(extract_sections(doc, wanted))
    return sections
