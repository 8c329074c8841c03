"""Inputs that are what they claim to be: a path is read only when it is a regular file.

A FIFO would block a reader, /dev/zero never ends, and /proc and /sys files look regular to stat; these checks
say why such a path is refused without ever opening it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from filingsum.core.errors import UsageError


def non_regular_reason(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as an input file (missing, a symlink loop, a directory, a device, a FIFO, a
    socket, a /proc pseudo-file), in words; None for a regular file. Never opens the path (a FIFO would block,
    /dev/zero never ends)."""
    import stat as stat_module

    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop (the link points back at itself), not a file"
        if exc.errno == errno.ENOENT:
            return "no such file" + (" (a broken symlink)" if path.is_symlink() else "")
        return f"cannot be read ({exc.strerror or exc})"
    mode = st.st_mode
    if stat_module.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat_module.S_ISCHR(mode) or stat_module.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat_module.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat_module.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if not stat_module.S_ISREG(mode):
        return "is not a regular file"
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
