"""File names that are not UTF-8: kept losslessly where they are stored, escaped where they are shown.

On Linux a file name is bytes; Python reads one that is not valid UTF-8 (``bad\\xff.txt``, written by a Latin-1
tool) with each bad byte as a lone surrogate (``'bad\\udcff.txt'``, PEP 383), which opens the file but cannot
be encoded as UTF-8: printed to a UTF-8 stream or written to a UTF-8 file it raises UnicodeEncodeError.
``printable`` turns such a name into its backslash-escaped form for messages and what is shown; ``storable``
escapes only those bytes, for records and result files (a name's control characters stay: JSON holds them);
``json_text`` writes JSON that keeps it exactly (JSON's \\u escapes read back as the same string), for the
journals that must find the same file again. Control characters (ESC, BEL, CR, ... and the C1 range) are
escaped the same way, in names and in every log line and error the CLI prints (``terminal_safe``): a file
named ``evil<ESC>]0;TITLE<BEL>.txt`` must not retitle the window or recolour the terminal that lists it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

# C0 controls but tab and line feed, DEL, and C1 controls (0x80-0x9f: 0x9b is a one-character CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with its control characters shown as ``\\xNN`` escapes, so printing it cannot move the
    cursor, recolour, retitle or ring the terminal; tabs (and line feeds, unless ``keep_newlines`` is False)
    stay.

    >>> print(terminal_safe("evil" + chr(27) + "[31mRED" + chr(7) + ".txt"))
    evil\\x1b[31mRED\\x07.txt
    """
    pattern = _CONTROL if keep_newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def rewrite_record(record: logging.LogRecord, transform: Callable[[str], str]) -> bool:
    """Format a log record's message once and store ``transform(message)`` without arguments when it differs
    (the logging filters of this package: escaping, redaction); always True (the record passes)."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed record: leave it to logging's own error report
        return True
    rewritten = transform(message)
    if rewritten != message:
        record.msg, record.args = rewritten, None
    return True


class TerminalSafeFilter(logging.Filter):
    """A logging filter that escapes control characters in every record it passes (install it on the
    handlers): a file name or server text in a log line reaches the terminal as ``\\x1b``, not as ESC."""

    def filter(self, record: logging.LogRecord) -> bool:
        return rewrite_record(record, terminal_safe)


def storable(name: str | os.PathLike[str]) -> str:
    """``name`` as text that any UTF-8 file can hold, and otherwise the name itself: bytes that are not UTF-8
    become ``\\xNN`` escapes (``bad\\xff.txt``); control characters stay (JSON holds ``"new\\nline.txt"``), so
    a result's or a record's ``source_path`` opens the file and two files do not share it. What is shown goes
    through `printable`."""
    text = os.fspath(name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = os.fsencode(text).decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that no byte decodes to (e.g. from JSON): escape it as it is
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def printable(name: str | os.PathLike[str]) -> str:
    """``name`` as text that can be written and printed anywhere: bytes that are not UTF-8 and control
    characters become ``\\xNN`` escapes (``bad\\xff.txt``, ``evil\\x1b[31m.txt``); any other name is returned as
    it is."""
    return terminal_safe(storable(name), keep_newlines=False)


_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")  # JSON escapes C0 controls itself, not DEL and C1 (0x9b: CSI)


def json_text(obj: Any, *, indent: int | None = None) -> str:
    """``obj`` as JSON that can be written as UTF-8. Text is kept as it reads, except when a string holds a
    lone surrogate (a file name with bytes that are not UTF-8): then the whole text is written with JSON's \\u
    escapes, which read back as the same string, so nothing is lost and no write fails."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, indent=indent, ensure_ascii=True, default=str)
    # DEL and C1 controls as \u escapes too (they read back the same): a file name kept whole in a record cannot
    # drive the terminal that shows the JSON (`summarize --out -`, `cat`)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
