"""File names that are not UTF-8: kept losslessly where they are stored, escaped where they are shown.

On Linux a file name is bytes; Python reads one that is not valid UTF-8 (``bad\\xff.txt``, written by a Latin-1
tool) with each bad byte as a lone surrogate (``'bad\\udcff.txt'``, PEP 383), which opens the file but cannot
be encoded as UTF-8: printed to a UTF-8 stream or written to a UTF-8 file it raises UnicodeEncodeError.
``printable`` turns such a name into its backslash-escaped form for messages, records and result files;
``json_text`` writes JSON that keeps it exactly (JSON's \\u escapes read back as the same string), for the
journals that must find the same file again.
"""

from __future__ import annotations

import json
import os
from typing import Any


def printable(name: str | os.PathLike[str]) -> str:
    """``name`` as text that can be written anywhere: bytes that are not UTF-8 become ``\\xNN`` escapes
    (``bad\\xff.txt``); a valid name is returned as it is."""
    text = os.fspath(name)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no byte decodes to (e.g. from JSON): escape it as it is
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_text(obj: Any, *, indent: int | None = None) -> str:
    """``obj`` as JSON that can be written as UTF-8. Text is kept as it reads, except when a string holds a
    lone surrogate (a file name with bytes that are not UTF-8): then the whole text is written with JSON's \\u
    escapes, which read back as the same string, so nothing is lost and no write fails."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, indent=indent, ensure_ascii=True, default=str)
    return text
