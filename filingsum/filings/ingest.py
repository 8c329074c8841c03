"""Find input filings and load them as `SourceDocument`s.

Supported inputs: plain text, EDGAR HTML (inline XBRL included, parsed with edgartools), EDGAR full-submission
.txt (SGML with several <DOCUMENT>s), prompt-wrapped files ("Prompt: <request>" then the filing) and JSONL
with a `text` field. Anything unusable raises `IngestError(path, reason)` so a batch can log it and go on.
"""

from __future__ import annotations

import codecs
import glob
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from filingsum.core.errors import FilingsumError
from filingsum.core.schema import FormType

log = logging.getLogger(__name__)

DocumentKind = Literal["text", "html", "sgml", "prompt", "jsonl"]
Form = FormType

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
INPUT_SUFFIXES = (".txt", ".text", ".htm", ".html", ".xhtml", ".jsonl")
_HTML_SUFFIXES = (".htm", ".html", ".xhtml", ".xml")


class IngestError(FilingsumError):
    """A file that cannot be used as a filing, with the reason in words."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class SourceDocument:
    """One filing as loaded from disk, before sectioning and cleaning."""

    source_path: str
    text: str
    kind: DocumentKind
    instruction: str | None = None
    form: Form = "unknown"
    company: str | None = None
    fiscal_period: str | None = None
    html: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The edgartools Document for HTML inputs, kept so sectioning does not parse the HTML twice.
    parsed_html: Any = field(default=None, repr=False, compare=False)


# ---------------------------------------------------------------------------------------------------------
# Discovery


def discover_inputs(
    specs: list[str], suffixes: tuple[str, ...] = INPUT_SUFFIXES, exclude: tuple[str | os.PathLike[str], ...] = (),
) -> list[Path]:
    """Files named by `specs` (files, directories searched recursively, glob patterns), sorted and deduplicated.

    Directories contribute files with one of `suffixes` (hidden files skipped); a named file is taken whatever
    its suffix. Files under a directory of `exclude` (a build's own output dir) are left out, with a warning
    naming the spec that contains it. A spec that matches nothing, or names something that is not a regular
    file (a FIFO, a device, a symlink loop), raises IngestError; a directory without input files is a warning.
    """
    from filingsum.core.io import non_regular_reason

    excluded = [Path(os.path.realpath(e)) for e in exclude]

    def is_excluded(resolved: Path) -> bool:
        return any(resolved == e or e in resolved.parents for e in excluded)

    found: set[Path] = set()
    for spec in specs:
        path = Path(spec).expanduser()
        if path.is_file():
            reason = non_regular_reason(path)  # /proc and /sys files look regular to stat
            if reason is not None:
                raise IngestError(spec, reason)
            if is_excluded(path.resolve()):
                log.warning("input %s is inside the output dir; skipped (a build never reads its own output)", spec)
                continue
            found.add(path.resolve())
        elif path.is_dir():
            real = Path(os.path.realpath(path))
            if is_excluded(real):
                log.warning("input %s is the output dir or inside it; skipped (a build never reads its own "
                            "output)", spec)
                continue
            inside = [e for e in excluded if real in e.parents and e.exists()]
            before, left_out = len(found), 0
            for child in path.rglob("*"):
                if (
                    child.is_file()
                    and child.suffix.lower() in suffixes
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                ):
                    if inside and is_excluded(child.resolve()):
                        left_out += 1
                    else:
                        found.add(child.resolve())
            if left_out:
                log.warning("input %s contains the output (%s): its %d file(s) skipped (a build never reads its own "
                            "output)", spec, ", ".join(str(e) for e in inside[:3]), left_out)
            if len(found) == before and not left_out:
                log.warning("input directory %s holds no input files (%s); nothing taken from it",
                            spec, ", ".join(suffixes))
        elif glob.has_magic(spec):
            matches = [Path(m) for m in glob.glob(os.path.expanduser(spec), recursive=True)]
            files = [m.resolve() for m in matches if m.is_file() and not is_excluded(m.resolve())]
            if not files:
                raise IngestError(spec, "glob pattern matches no files")
            found.update(files)
        elif os.path.lexists(path):
            raise IngestError(spec, non_regular_reason(path) or "not a regular file")
        else:
            raise IngestError(spec, "no such file or directory")
    return sorted(found)


# ---------------------------------------------------------------------------------------------------------
# Reading bytes safely


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def read_text_file(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[str]]:
    """Decoded text of a file and any warnings; IngestError for empty, oversized, binary or undecodable files,
    and for anything that is not a regular file (a device, a FIFO, a /proc pseudo-file, a symlink loop).

    The size cap holds before and while reading: the file's size is checked first, and at most ``max_bytes``
    + 1 bytes are ever read (a file that grows, or one whose size the kernel does not report)."""
    from filingsum.core.io import non_regular_reason

    path = Path(path)
    reason = non_regular_reason(path)
    if reason is not None:
        raise IngestError(path, reason)
    try:
        size = path.stat().st_size
        if size <= max_bytes:
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
            size = max(size, len(data))
    except OSError as exc:
        raise IngestError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if size > max_bytes:
        mb = 1024 * 1024
        raise IngestError(
            path, f"file is {size / mb:.1f} MB, over the {max_bytes / mb:.3g} MB limit (raise data.max_file_mb "
            "for `filingsum data build`, or --max-file-mb for `filingsum summarize`, to allow it)"
        )
    return decode_bytes(data, path)


# Formats that are not filings, known by their first bytes (a PDF renamed .html is still a PDF).
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"PK\x03\x04", 0, "a ZIP archive (or .docx/.xlsx)"), (b"PK\x05\x06", 0, "a ZIP archive (empty)"),
    (b"\x1f\x8b", 0, "gzip-compressed data"), (b"BZh", 0, "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", 0, "xz-compressed data"), (b"\x28\xb5\x2f\xfd", 0, "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"), (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (b"ustar", 257, "a tar archive"), (b"\x7fELF", 0, "an ELF executable"),
    (b"\xca\xfe\xba\xbe", 0, "a Java class or Mach-O binary"), (b"\xcf\xfa\xed\xfe", 0, "a Mach-O binary"),
    (b"\x00asm", 0, "a WebAssembly module"), (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"), (b"GIF87a", 0, "a GIF image"), (b"GIF89a", 0, "a GIF image"),
    (b"II*\x00", 0, "a TIFF image"), (b"MM\x00*", 0, "a TIFF image"), (b"RIFF", 0, "a RIFF file (WebP, WAV, AVI)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "an OLE2 file (.doc, .xls, .msg)"),
    (b"SQLite format 3\x00", 0, "an SQLite database"), (b"PAR1", 0, "a Parquet file"),
    (b"{\\rtf", 0, "an RTF document"), (b"\x93NUMPY", 0, "a NumPy array"),
)


def binary_format(data: bytes) -> str | None:
    """The format of ``data`` when its leading bytes are a known non-text signature, else None.

    >>> binary_format(b"%PDF-1.7\\n%...")
    'a PDF document'
    >>> binary_format(b"Item 1. Business") is None
    True
    """
    if b"%PDF-" in data[:1024]:  # the PDF header may follow up to 1 KB of junk
        return "a PDF document"
    for magic, offset, name in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            if magic == b"BZh" and not (data[3:4].isdigit() and data[4:10] == b"1AY&SY"):
                continue  # "BZh" alone could open a text
            if magic == b"RIFF" and data[8:12] not in (b"WEBP", b"WAVE", b"AVI "):
                continue
            return name
    if data[:2] == b"MZ" and (b"PE\x00\x00" in data[:1024] or b"This program cannot be run" in data[:1024]):
        return "a Windows executable"
    return None


def decode_bytes(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> tuple[str, list[str]]:
    """Decode filing bytes: UTF-16/32 with a byte-order mark, UTF-8 (with or without BOM), else cp1252 with a
    warning; reject binary and garbage."""
    if not data.strip():
        raise IngestError(path, "file is empty")
    fmt = binary_format(data)
    if fmt is not None:
        raise IngestError(path, f"binary content: {fmt}, not a text or HTML filing (convert it to text first)")
    unicode_bom = _decode_with_bom(data, path)
    if unicode_bom is not None:
        data = unicode_bom.encode("utf-8")  # then the same checks as any UTF-8 file
    sample = data[:65536]
    if b"\x00" in sample:
        raise IngestError(path, "binary content (NUL bytes), not a text or HTML filing")
    control = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    if control / len(sample) > 0.02:
        raise IngestError(path, f"binary content ({control / len(sample):.0%} control characters)")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if _CP1252_UNDEFINED.search(data):
            raise IngestError(path, "undecodable text: neither UTF-8 nor Windows-1252") from None
        text = data.decode("cp1252")
        warnings.append("not valid UTF-8; decoded as Windows-1252 (cp1252)")
        log.warning("%s: not valid UTF-8; decoded as Windows-1252", path)
    if not (_bytes_look_like_text(sample) or _looks_like_text(text)):
        raise IngestError(path, "undecodable text: decoded characters are mostly not letters, digits or punctuation")
    return text, warnings


# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _decode_with_bom(data: bytes, path: str | os.PathLike[str]) -> str | None:
    """Text of UTF-16/UTF-32 data that opens with a byte-order mark (Windows tools save filings so); None
    for anything else. Their NUL bytes are encoding, not binary content."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(path, f"undecodable text: starts with a {codec.upper()} byte-order mark but "
                                  f"is not valid {codec.upper()} (byte {exc.start})") from None
    return None


_UNREADABLE = re.compile(r"[^\x20-\x7e\n\r\t]")
_LETTER = re.compile(r"[^\W\d_]")


_PRINTABLE_ASCII = bytes(range(32, 127)) + b"\n\r\t"
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def _bytes_look_like_text(sample: bytes) -> bool:
    """Fast path for the common case: mostly printable ASCII with plenty of letters."""
    readable = len(sample) - len(sample.translate(None, _PRINTABLE_ASCII))
    letters = len(sample) - len(sample.translate(None, _ASCII_LETTERS))
    return readable / len(sample) >= 0.9 and letters / len(sample) >= 0.3


def _looks_like_text(text: str) -> bool:
    sample = text[:65536]
    readable = len(sample) - len(_UNREADABLE.findall(sample))
    letters = len(_LETTER.findall(sample))
    # Real filings are overwhelmingly ASCII; mojibake from random bytes decodes to mostly non-ASCII symbols.
    return readable / len(sample) >= 0.75 and letters / len(sample) >= 0.2


# ---------------------------------------------------------------------------------------------------------
# Metadata detection (form, company, fiscal period)


_FORM_IN_NAME = re.compile(r"(?:^|[_\-\s.])10-?([kq])(?=$|[_\-\s.\d])", re.IGNORECASE)
_UPPER_FORM_LINE = re.compile(r"(?m)^[^a-z\n]*\bFORM\s+10-?([KQ])\b[^a-z\n]*$")
_REPORT_PURSUANT = re.compile(r"\b(QUARTERLY|ANNUAL) REPORT PURSUANT TO SECTION 13", re.IGNORECASE)
_THIS_FORM = re.compile(r"\bthis (?:(?:quarterly|annual) report on )?Form 10-?([KQ])\b", re.IGNORECASE)
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
    """One spelling per company across its filings: "THE BOEING COMPANY" and "BOEING CO" -> "Boeing".

    Drops a leading "The", trailing corporate suffixes and "/DE/"-style state tags; title-cases all-caps names.
    Used for detected names so that splitting by company keeps one company's filings together.
    """
    if not name:
        return None
    cleaned = " ".join(name.replace("\u00a0", " ").split())
    cleaned = re.sub(r"\s*/[A-Z]{2,3}/?\s*$", "", cleaned)
    cleaned = re.sub(r"^the\s+", "", cleaned, flags=re.IGNORECASE)
    stripped = _CORPORATE_SUFFIX.sub("", cleaned).strip(" ,.")
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


def _iso_date(raw: str) -> str | None:
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
        iso = _iso_date(match.group(1))
        if iso:
            return iso
    return fiscal_period_from_file_name(file_name)


# ---------------------------------------------------------------------------------------------------------
# HTML (edgartools)


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(re.search(r"<(?:html|body)[\s>]", head))


def _xbrl_facts(parsed: Any) -> dict[str, str]:
    facts: dict[str, str] = {}
    for fact in getattr(parsed.metadata, "xbrl_data", None) or []:
        concept = str(getattr(fact, "concept", ""))
        if concept.startswith("dei:") and concept not in facts and getattr(fact, "value", None):
            facts[concept] = " ".join(str(fact.value).split())
    return facts


def parse_html_document(html: str, path: str | os.PathLike[str]) -> tuple[Any, str]:
    """Parse filing HTML with edgartools; returns (edgartools Document, full text)."""
    from edgar.documents import ParserConfig, parse_html

    form_match = re.search(r"name=\"dei:DocumentType\"[^>]*>\s*(?:<[^>]+>\s*)*([^<\s]+)", html[:2_000_000])
    config = ParserConfig(form=form_match.group(1)) if form_match else None
    try:
        parsed = parse_html(html, config) if config else parse_html(html)
        text = parsed.text() or ""
    except Exception as exc:  # edgartools raises assorted errors on broken markup
        raise IngestError(path, f"HTML could not be parsed: {type(exc).__name__}: {exc}") from exc
    if sum(ch.isalpha() for ch in text[:100000]) < 20:
        raise IngestError(path, "HTML with no extractable text")
    return parsed, text


def _html_document(
    html: str, path: Path, kind: DocumentKind, source_path: str | None = None, warnings: list[str] | None = None
) -> SourceDocument:
    parsed, text = parse_html_document(html, path)
    dei = _xbrl_facts(parsed)
    form = form_from_label(dei.get("dei:DocumentType"))
    if form == "unknown":
        form = detect_form(text, path.name)
    company = canonical_company(dei.get("dei:EntityRegistrantName")) or detect_company(text, path.name)
    period = _iso_date(dei["dei:DocumentPeriodEndDate"]) if "dei:DocumentPeriodEndDate" in dei else None
    return SourceDocument(
        source_path=source_path or str(path),
        text=text,
        kind=kind,
        form=form,
        company=company,
        fiscal_period=period or detect_fiscal_period(text, path.name),
        html=html,
        warnings=list(warnings or []),
        parsed_html=parsed,
    )


# ---------------------------------------------------------------------------------------------------------
# EDGAR full submission (SGML)


_SGML_DOCUMENT = re.compile(r"<DOCUMENT>(.*?)(?:</DOCUMENT>|\Z)", re.DOTALL | re.IGNORECASE)
_SGML_TYPE = re.compile(r"<TYPE>\s*([^\s<]+)", re.IGNORECASE)
_SGML_TEXT = re.compile(r"<TEXT>(.*?)(?:</TEXT>|\Z)", re.DOTALL | re.IGNORECASE)
_SGML_HEADER_FIELD = r"(?m)^\s*{}:\s*(.+?)\s*$"


def _is_sgml_submission(text: str) -> bool:
    head = text[:20000]
    return "<SEC-DOCUMENT>" in head or "<SEC-HEADER>" in head or bool(re.search(r"<DOCUMENT>\s*<TYPE>", head))


def _sgml_document(text: str, path: Path, warnings: list[str]) -> SourceDocument:
    header = text[: text.find("<DOCUMENT>")] if "<DOCUMENT>" in text else text[:20000]

    def header_field(name: str) -> str | None:
        match = re.search(_SGML_HEADER_FIELD.format(re.escape(name)), header)
        return match.group(1) if match else None

    types: list[str] = []
    for block in _SGML_DOCUMENT.finditer(text):
        type_match = _SGML_TYPE.search(block.group(1))
        doc_type = type_match.group(1).upper() if type_match else "?"
        types.append(doc_type)
        if form_from_label(doc_type) == "unknown" or doc_type.startswith("10-12"):
            continue
        body_match = _SGML_TEXT.search(block.group(1))
        body = body_match.group(1).strip() if body_match else ""
        if not body:
            raise IngestError(path, f"the {doc_type} document of the submission has no <TEXT>")
        company = header_field("COMPANY CONFORMED NAME")
        period_raw = header_field("CONFORMED PERIOD OF REPORT")
        period = _iso_date(period_raw) if period_raw else None
        if _looks_like_html(body) or re.search(r"<(?:p|div|table|font)[\s>]", body[:20000], re.IGNORECASE):
            doc = _html_document(body, path, kind="sgml", warnings=warnings)
        else:
            doc = SourceDocument(source_path=str(path), text=body, kind="sgml", warnings=list(warnings))
        doc.form = form_from_label(doc_type)
        doc.company = canonical_company(company) or doc.company or detect_company(doc.text, path.name)
        doc.fiscal_period = period or doc.fiscal_period or detect_fiscal_period(doc.text, path.name)
        return doc
    found = ", ".join(types) or "none"
    raise IngestError(path, f"no 10-K or 10-Q document in the submission (document types: {found})")


# ---------------------------------------------------------------------------------------------------------
# Prompt-wrapped, JSONL and plain text


_PROMPT_PREFIX = re.compile(r"\A\s*Prompt:[ \t]*", re.IGNORECASE)


def split_prompt(text: str) -> tuple[str, str] | None:
    """("request", "filing") for a "Prompt: <request>\\n\\n<filing>" file, else None."""
    prefix = _PROMPT_PREFIX.match(text)
    if not prefix:
        return None
    rest = text[prefix.end():]
    parts = re.split(r"\n[ \t]*\n", rest, maxsplit=1)
    if len(parts) == 1:
        parts = rest.split("\n", 1)
    request = " ".join(parts[0].split())
    body = parts[1] if len(parts) > 1 else ""
    return request, body


def _text_document(text: str, path: Path, kind: DocumentKind, warnings: list[str], **meta: Any) -> SourceDocument:
    return SourceDocument(
        source_path=meta.pop("source_path", str(path)),
        text=text,
        kind=kind,
        form=meta.pop("form", None) or detect_form(text, path.name),
        company=meta.pop("company", None) or detect_company(text, path.name),
        fiscal_period=meta.pop("fiscal_period", None) or detect_fiscal_period(text, path.name),
        warnings=list(warnings),
        **meta,
    )


def _jsonl_documents(text: str, path: Path, warnings: list[str]) -> list[SourceDocument]:
    documents: list[SourceDocument] = []
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not JSON ({exc.msg})")
            continue
        body = row.get("text") if isinstance(row, dict) else None
        if not isinstance(body, str) or not body.strip():
            problems.append(f"line {lineno}: no non-empty 'text' field")
            continue
        source = f"{path}#{lineno}"
        row_form = form_from_label(row.get("form")) if row.get("form") else None
        meta = {
            "source_path": source,
            "company": row.get("company") or None,
            "fiscal_period": row.get("fiscal_period") or None,
            "instruction": row.get("instruction") or None,
        }
        if _looks_like_html(body):
            try:
                doc = _html_document(body, path, kind="jsonl", source_path=source, warnings=warnings)
            except IngestError as exc:
                problems.append(f"line {lineno}: {exc.reason}")
                continue
            doc.company = meta["company"] or doc.company
            doc.fiscal_period = meta["fiscal_period"] or doc.fiscal_period
            doc.instruction = meta["instruction"]
            doc.form = row_form if row_form and row_form != "unknown" else doc.form
        else:
            known_form = row_form if row_form != "unknown" else None
            doc = _text_document(body, path, "jsonl", warnings, form=known_form, **meta)
        documents.append(doc)
    for problem in problems:
        log.warning("%s: skipped %s", path, problem)
    if not documents:
        detail = "; ".join(problems[:3]) or "no rows"
        raise IngestError(path, f"JSONL file has no usable rows ({detail})")
    if problems:
        for doc in documents:
            doc.warnings.append(f"{len(problems)} unusable line(s) in {path.name} skipped")
    return documents


def load_documents(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> list[SourceDocument]:
    """Load one input file as filing documents (one per file, or one per line for JSONL).

    Raises IngestError with the reason for: a missing, empty, oversized (over `max_bytes`), binary or
    undecodable file; HTML without text; a submission without a 10-K/10-Q; JSONL without usable rows.
    """
    path = Path(path)
    text, warnings = read_text_file(path, max_bytes)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl_documents(text, path, warnings)
    if _is_sgml_submission(text):
        return [_sgml_document(text, path, warnings)]
    if suffix in _HTML_SUFFIXES or _looks_like_html(text):
        return [_html_document(text, path, kind="html", warnings=warnings)]
    prompt = split_prompt(text)
    if prompt is not None:
        request, body = prompt
        if not body.strip():
            raise IngestError(path, "prompt-wrapped file has a request but no filing text after it")
        return [_text_document(body, path, "prompt", warnings, instruction=request or None)]
    return [_text_document(text, path, "text", warnings)]
