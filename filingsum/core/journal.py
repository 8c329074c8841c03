"""Resumable long jobs: JSONL read back tolerantly, and journals of finished items kept on disk row by row.

`JsonlAppender` writes one fsynced JSONL row per finished item, and `ResultJournal` keeps results by key on
top of it, so a rerun after a kill or Ctrl-C skips what is done. `read_jsonl` ignores a torn last line (a
kill mid-append).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filingsum.core.atomic_write import output_target
from filingsum.core.errors import FilingsumError
from filingsum.core.json_rows import UnusableJsonError, at_line, loads
from filingsum.core.names import json_text
from filingsum.core.output_lock import OutputLock


def read_jsonl(path: str | os.PathLike[str], encoding: str = "utf-8") -> Iterator[dict[str, Any]]:
    """Rows of a JSONL file; a torn last line (a kill mid-append) is ignored, not fatal. ``encoding="utf-8-sig"``
    also reads a file that starts with a byte-order mark. A bad line elsewhere, or one nested past the recursion
    limit anywhere, is a json.JSONDecodeError naming its line (`core.json_rows`)."""
    with open(path, encoding=encoding) as fh:
        lines = fh.readlines()
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        try:
            row = loads(line)
        except json.JSONDecodeError as exc:
            if i == len(lines) - 1 and not isinstance(exc, UnusableJsonError):
                return
            raise at_line(exc, i + 1) from None
        yield row


class JsonlAppender:
    """Append-only JSONL journal, flushed and fsynced per row, for resumable long jobs."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        output_target(self.path, "journal")  # a FIFO would block, a device be written to: refused (exit 2)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(cut)

    def append(self, row: dict[str, Any]) -> None:
        try:
            self._fh.write(json_text(row) + "\n")  # a name that is not UTF-8 is kept, \u-escaped
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            if exc.filename is not None:
                raise
            # A full disk or a file-size limit: the error names this journal, not "output" (the CLI prints it)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JournalError(FilingsumError):
    """A journal file that cannot be read back (not a torn last line: damage in its middle)."""


class ResultJournal:
    """Finished results of a long job by key, kept in an append-only, fsynced JSONL file.

    Rows are ``{"key": KEY, "value": ...}``. ``get(key)`` answers from earlier runs; ``put(key, value)``
    appends (thread-safe) and is on disk when it returns, so a kill loses at most the row being written. A
    key should hash everything the result depends on (input content, model, settings), so a changed input
    is redone rather than served stale.
    """

    def __init__(self, path: str | os.PathLike[str], *, what: str = "journal"):
        self.path = Path(path)
        output_target(self.path, what)  # read back and appended to: never a FIFO or a device (exit 2)
        self._done: dict[str, Any] = {}
        # one writer per journal: a second run on the same output refuses (OutputBusyError) instead of
        # interleaving its rows; released by close()
        self._output_lock = OutputLock(self.path, what).acquire()
        if self.path.exists():
            try:
                for row in read_jsonl(self.path):
                    self._done[row["key"]] = row.get("value")
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                self._output_lock.release()
                raise JournalError(
                    f"{self.path}: damaged journal ({type(exc).__name__}: {exc}); delete it to start over"
                ) from None
        self.resumed = len(self._done)
        self._appender: JsonlAppender | None = None
        self._lock = threading.Lock()

    def __contains__(self, key: str) -> bool:
        return key in self._done

    def __len__(self) -> int:
        return len(self._done)

    def get(self, key: str, default: Any = None) -> Any:
        return self._done.get(key, default)

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            if self._appender is None:
                self._appender = JsonlAppender(self.path)
            self._appender.append({"key": key, "value": value})
            self._done[key] = value

    def close(self) -> None:
        with self._lock:
            if self._appender is not None:
                self._appender.close()
                self._appender = None
            self._output_lock.release()

    def __enter__(self) -> ResultJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
