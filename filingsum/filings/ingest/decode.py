"""Read a file's bytes as filing text, refusing what is not one: not a regular file, oversized, empty, binary
(known by its signature: PDF, archives, images, executables...) or undecodable.

Text is UTF-16/32 with a byte-order mark, UTF-8 (with or without BOM; a few bad sequences in it replaced by
U+FFFD, with a warning), else Windows-1252 with a warning; its line ends come back as LF, whether the file has CR LF
or lone CRs (old Mac files).
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from pathlib import Path

from filingsum.core.text import unify_line_ends
from filingsum.filings.ingest.document import IngestError

log = logging.getLogger("filingsum.filings.ingest")  # the logger these messages have always come from

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

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
            path, f"file is {size / mb:.3g} MB, over the {max_bytes / mb:.3g} MB limit (raise data.max_file_mb "
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
    warning; reject binary and garbage. CR LF and lone CR line ends come back as LF."""
    if not data.strip():
        raise IngestError(path, "file is empty")
    fmt = binary_format(data)
    if fmt is not None:
        raise IngestError(path, f"binary content: {fmt}, not a text or HTML filing (convert it to text first)")
    unicode_bom = _decode_with_bom(data, path)
    if unicode_bom is not None:
        data = unicode_bom.encode("utf-8")  # then the same checks as any UTF-8 file
    if not data.removeprefix(codecs.BOM_UTF8).strip():  # a byte-order mark and nothing else (or only blanks)
        raise IngestError(path, "file is empty")
    sample = data[:65536]
    if b"\x00" in sample:
        raise IngestError(path, "binary content (NUL bytes), not a text or HTML filing")
    control = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    if control / len(sample) > 0.02:
        raise IngestError(path, f"binary content ({control / len(sample):.0%} control characters)")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = _mostly_utf8(data, exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0), path, warnings)
    if not (_bytes_look_like_text(sample) or _looks_like_text(text)):
        raise IngestError(path, "undecodable text: decoded characters are mostly not letters, digits or punctuation")
    return unify_line_ends(text), warnings


def _mostly_utf8(data: bytes, first: int, path: str | os.PathLike[str], warnings: list[str]) -> str:
    """Text of data that is not valid UTF-8 (its first bad byte at ``first``): UTF-8 with the bad sequences
    replaced by U+FFFD when the data is UTF-8 but for a few of them (a character cut in two, one stray byte);
    else Windows-1252, with a warning either way; IngestError when it is neither.

    "A few": at most one bad sequence per 1,000 bytes (one in any smaller file), and more well-formed non-ASCII
    characters than bad sequences: a Windows-1252 file's curly quotes and accents are bad UTF-8 one by one and
    form no UTF-8 characters, so it still goes through cp1252 whole."""
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())  # each maximal bad sequence is one U+FFFD
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
    if bad <= max(1, len(data) // 1000) and non_ascii > bad:
        where = f"not valid UTF-8 at byte {first} ({bad} bad sequence{'s' if bad > 1 else ''})"
        warnings.append(f"{where}; decoded as UTF-8 with {'them' if bad > 1 else 'it'} replaced by U+FFFD")
        log.warning("%s: %s; decoded as UTF-8, replaced by U+FFFD", path, where)
        return text
    undefined = _CP1252_UNDEFINED.search(data)
    if undefined:
        raise IngestError(path, f"undecodable text: neither UTF-8 ({bad} bad sequence(s), the first at byte "
                                f"{first}) nor Windows-1252 (byte 0x{data[undefined.start()]:02X} at "
                                f"{undefined.start()} is undefined in it)")
    warnings.append("not valid UTF-8; decoded as Windows-1252 (cp1252)")
    log.warning("%s: not valid UTF-8 (%d bad sequence(s), the first at byte %d); decoded as Windows-1252",
                path, bad, first)
    return data.decode("cp1252")


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
