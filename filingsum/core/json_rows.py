"""JSON that Python's json module parses but the code after it cannot use, refused where it is read.

Two legal JSON texts break a reader later, far from the file and the line they came from:
- nesting deeper than the interpreter's recursion limit (``[[[[...]]]]`` 100,000 deep): json.loads raises
  RecursionError, which no ``except ValueError`` catches;
- a string with a lone UTF-16 surrogate (``"\\ud800"``): it decodes to a str that no UTF-8 writer, tokenizer or
  console can encode (a UnicodeEncodeError or a tokenizers TypeError later).

`loads` turns the first into `UnusableJsonError`, a json.JSONDecodeError, so every reader that handles bad JSON
(a skipped row, an error naming the file and line) handles it too; `loads_text` also refuses the second, for
rows whose strings are text to tokenize, score or write. Names of files are not checked: a name whose bytes are
not UTF-8 is read with lone surrogates on purpose (PEP 383; `core.names`), and journals keep it so.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Container
from typing import Any

# A \u escape of a surrogate (D800-DFFF): where none is in the text, no decoded string can hold one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class UnusableJsonError(json.JSONDecodeError):
    """Legal JSON that cannot be used: nested past the recursion limit, or a string with a lone surrogate."""

    def __init__(self, reason: str, doc: str):
        super().__init__(reason, doc, 0)

    def __str__(self) -> str:  # its own line and column say nothing: the reason is the whole message
        return self.msg


def loads(doc: str) -> Any:
    """``json.loads(doc)``; `UnusableJsonError` for arrays or objects nested past the recursion limit."""
    try:
        return json.loads(doc)
    except RecursionError:
        raise UnusableJsonError(f"arrays or objects nested more than about {sys.getrecursionlimit()} levels deep",
                                doc) from None


def lone_surrogate(value: Any, *, skip: Container[str] = ()) -> str | None:
    """Where in a parsed JSON value a string (or key) holds a lone UTF-16 surrogate: ``'text'``, ``'meta.name'``,
    ``'[2]'``, or ``'the value'`` for a bare string; None where none does. Top-level keys in ``skip`` (file names)
    are not looked at. Iterative: a deep value cannot overflow the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if not _encodes(item):
                return f"'{where}'" if where else "the value"
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if not where and key in skip:
                    continue
                path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and not _encodes(key):
                    return f"a key of '{where}'" if where else "a key"
                stack.append((path, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in reversed(list(enumerate(item))))
    return None


def loads_text(doc: str, *, skip: Container[str] = ()) -> Any:
    """`loads`, and `UnusableJsonError` when a string holds a lone UTF-16 surrogate (top-level keys in ``skip``
    excepted), for rows whose strings are text to tokenize, score or write."""
    value = loads(doc)
    if _SURROGATE_ESCAPE.search(doc) and (where := lone_surrogate(value, skip=skip)) is not None:
        raise UnusableJsonError(f"{where} holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair), which "
                                "is not text", doc)
    return value


def at_line(exc: json.JSONDecodeError, lineno: int) -> json.JSONDecodeError:
    """``exc``, raised parsing one line of a JSONL file alone, renumbered as line ``lineno`` of that file."""
    exc.lineno = lineno
    where = f"line {lineno}" if isinstance(exc, UnusableJsonError) else f"line {lineno} column {exc.colno}"
    exc.args = (f"{exc.msg}: {where}",)
    if isinstance(exc, UnusableJsonError):
        exc.msg = f"{exc.msg}: {where}"
    return exc


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
