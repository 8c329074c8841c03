"""Atomic file writes: a crash or kill never leaves a half-written file behind.

Each write goes to a temporary beside the target (``.NAME.PID.XXXX.tmp``, see `filingsum.core.temporaries`),
is fsynced, then renamed over the target, so readers see the old file or the new one. The new file gets the
mode a plain ``open()`` would give (0666 less the umask), or the replaced file's mode; `follow_umask` gives it
to the files a library wrote into a staging dir through its own temporaries (0600).

Only a regular file is ever replaced (`output_target`): a device node, a FIFO, a socket or a directory at the
target is refused with `OutputPathError` (exit 2) and left as it was; a symlink to a regular file is written
through (the file it points to is replaced, the link kept).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filingsum.core.errors import OutputPathError
from filingsum.core.input_files import file_kind
from filingsum.core.names import json_text

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (read from /proc where possible: setting it to read it races with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def follow_umask(root: str | os.PathLike[str]) -> None:
    """Give each regular file under the dir ``root`` (or the file ``root``) the mode a plain ``open()`` gives,
    0666 less the umask, as every other output has: a library that writes through its own temporary file leaves
    it 0600 (safetensors' ``save_file``, so ``save_pretrained``'s model.safetensors). For a dir this process
    has just written (a staging dir); a file with other hard links (someone else's too) is left as it is."""
    mode = 0o666 & ~current_umask()
    root = Path(root)
    for path in root.rglob("*") if root.is_dir() and not root.is_symlink() else (root,):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and stat.S_IMODE(st.st_mode) != mode:
            os.chmod(path, mode)


def _new_file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777  # replacing a file keeps its mode
    except OSError:
        return 0o666 & ~current_umask()


def _not_a_file(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    kind = file_kind(mode)
    if kind is None:
        return None
    return {"directory": "an existing directory", "other": "not a regular file"}.get(kind, f"a {kind}")


def _in_proc(path: Path) -> bool:
    """Whether ``path``, or a symlink on the way to its file, lies in /proc or /sys (/dev/stdout ->
    /proc/self/fd/1): ``realpath`` would hide that the file a descriptor has open is what gets replaced."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        current = os.path.join(os.path.realpath(os.path.dirname(current)), os.path.basename(current))
        if current == "/proc" or current.startswith(("/proc/", "/sys/")):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return False


def output_target(path: str | os.PathLike[str], what: str = "output file") -> Path:
    """The file that writing ``path`` replaces: ``path`` itself, or the file a symlink at ``path`` points to
    (the link is kept). Raises `OutputPathError` (exit 2) naming ``path`` when it exists and is not a regular
    file (a directory, a device, a FIFO, a socket, a symlink loop) or leads into /proc or /sys: replacing it
    would destroy it (a device node turned into a file) or write somewhere else than meant (a redirected
    stdout). Never opens it."""
    path = Path(path)
    if not os.path.lexists(path):
        return path
    link = f" (a symlink to {os.readlink(path)})" if path.is_symlink() else ""
    real = Path(os.path.realpath(path))
    try:
        kind = _not_a_file(path.stat().st_mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            kind = "a symlink loop"
        elif exc.errno == errno.ENOENT:
            kind = None  # a dangling symlink: the file it names is created
        else:
            return path  # the write itself reports it (e.g. no permission)
    if kind is None and _in_proc(path):
        kind = "in /proc or /sys (a file a process has open, or a kernel file)"
    if kind is not None:
        raise OutputPathError(f"{path}{link}: {what} is {kind}, not a regular file; it was left as it is: give "
                              "the path of a regular file (new or existing)")
    return real if link else path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part; the new
    file's mode is what ``open()`` would give (0666 less the umask), or the replaced file's. Only a regular
    file is replaced (`output_target`: OutputPathError otherwise); through a symlink, the file it names."""
    path = Path(path)
    target = output_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), _new_file_mode(target))
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    return atomic_write_text(path, json_text(obj, indent=2) + "\n")


def atomic_write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    return atomic_write_text(path, "".join(json_text(r) + "\n" for r in rows))
