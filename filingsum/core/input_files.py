"""Inputs that are what they claim to be: a path is read only when it is a regular file.

A FIFO would block a reader, /dev/zero never ends, and /proc and /sys files look regular to stat; these checks
say why such a path is refused without ever opening it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from filingsum.core.errors import UsageError


def file_kind(mode: int) -> str | None:
    """What a non-regular file is ("directory", "device", "named pipe (FIFO)", "socket", "other"); None for a
    regular file. The one classification the input checks and the output writers share."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    return "socket" if stat.S_ISSOCK(mode) else "other"


def non_regular_reason(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as an input file (missing, a symlink loop, a directory, a device, a FIFO, a
    socket, a /proc pseudo-file), in words; None for a regular file. Never opens the path (a FIFO would block,
    /dev/zero never ends)."""

    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop (the link points back at itself), not a file"
        if exc.errno == errno.ENOENT:
            return "no such file" + (" (a broken symlink)" if path.is_symlink() else "")
        return f"cannot be read ({exc.strerror or exc})"
    kind = file_kind(st.st_mode)
    if kind is not None:
        return {"directory": "is a directory, not a file", "other": "is not a regular file"}.get(
            kind, f"is a {kind}, not a regular file")
    real = os.path.realpath(path)
    if real == "/proc" or real.startswith(("/proc/", "/sys/")):
        return "is a kernel pseudo-file (/proc, /sys), not a filing"
    return None


def require_input_file(path: str | os.PathLike[str], what: str = "input file") -> Path:
    """``path`` as a Path when it is a regular file; `UsageError` (exit 2) naming it and why not otherwise."""
    reason = non_regular_reason(path)
    if reason is not None:
        raise UsageError(f"{path}: {what} {reason}" if reason.startswith("is ") else f"{path}: {what}: {reason}")
    return Path(path)
