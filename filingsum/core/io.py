"""Output locations and the file-I/O toolkit every stage uses: a crash or kill never leaves a half-written output.

This module's own job is the output location as a whole:
- pre-flight (`preflight_output_dir`, `preflight_output_file`): before any expensive work, check that an
  output location can be written (not a file where a dir is wanted, no file among its parents, writable,
  enough free space) and fail in one line (`OutputPathError`, exit 2) instead of after hours of work;
- whole directories (`replace_directory`, `recover_replaced_directory`, `link_tree`): a finished directory
  takes the place of the previous one in one step, and a swap cut short by a kill is undone.

It is also the one import point of the rest of the toolkit, re-exported below: atomic writes
(`filingsum.core.atomic_write`), journals and JSONL reading (`filingsum.core.journal`), one writer per output
(`filingsum.core.output_lock`), PID-named temporaries (`filingsum.core.temporaries`), input files that are
regular files (`filingsum.core.input_files`) and file digests (`filingsum.core.hashing`).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filingsum.core.atomic_write import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_jsonl,
    atomic_write_text,
    current_umask,
    follow_umask,
    output_target,
)
from filingsum.core.errors import OutputPathError
from filingsum.core.hashing import sha256_file, stable_hash
from filingsum.core.input_files import non_regular_reason, require_input_file
from filingsum.core.journal import JournalError, JsonlAppender, ResultJournal, read_jsonl
from filingsum.core.json_rows import loads as json_loads
from filingsum.core.output_lock import OutputBusyError, OutputLock, lock_path
from filingsum.core.path_names import check_name_lengths
from filingsum.core.processes import pid_alive
from filingsum.core.temporaries import remove_stale_temporaries, temporary_owner

__all__ = [
    "MIN_FREE_BYTES", "WRITE_ERRNOS", "JournalError", "JsonlAppender", "OutputBusyError", "OutputLock",
    "OutputPathError", "ResultJournal", "atomic_write_bytes", "atomic_write_json", "atomic_write_jsonl",
    "atomic_write_text", "current_umask", "describe_write_error", "follow_umask", "free_bytes", "link_tree",
    "lock_path", "non_regular_reason", "output_target", "pid_alive", "preflight_output_dir", "preflight_output_file",
    "read_jsonl", "recover_replaced_directory", "remove_stale_temporaries", "replace_directory", "require_input_file",
    "sha256_file", "stable_hash", "temporary_owner",
]

log = logging.getLogger(__name__)

# Errors that mean "this location cannot take the output" (as opposed to a bug): reported in one line.
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                          errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EFBIG})
# The same errors as Rust libraries (tokenizers, safetensors) raise them: a plain Exception or SafetensorError
# whose message carries the OS error ("No space left on device (os error 28)").
_FOREIGN_WRITE_ERROR = re.compile(r"\(os error (\d+)\)|code: (\d+), kind: \w+")
MIN_FREE_BYTES = 1 << 20  # below this nothing useful can be written


# --- pre-flight ------------------------------------------------------------------------------------------


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Free bytes on the file system holding ``path`` (or its nearest existing parent); None if unknown."""
    try:
        return shutil.disk_usage(_nearest_existing(Path(path).absolute())).free
    except OSError:
        return None


def preflight_output_dir(
    path: str | os.PathLike[str], *, what: str = "output directory", min_free_bytes: int = MIN_FREE_BYTES
) -> Path:
    """Create ``path`` if needed and prove it takes files (a probe file is written and removed); returns it.

    Raises `OutputPathError` (exit 2) naming the path when it is a file, sits under a file, is not writable
    (permissions, read-only file system) or has less than ``min_free_bytes`` free.
    """
    path = Path(path)
    check_name_lengths(path, what)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{path}: {what} is an existing file, not a directory; choose another path")
    existing = _nearest_existing(path.absolute())
    if not existing.is_dir():
        raise OutputPathError(f"{path}: {what} cannot be created: {existing} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=f".probe.{os.getpid()}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(f"{path}: {what} is not writable ({exc.strerror or exc})") from None
    free = free_bytes(path)
    if free is not None and free < min_free_bytes:
        raise OutputPathError(
            f"{path}: {what} has {_human(free)} free, about {_human(min_free_bytes)} needed; free some space "
            "or choose another location"
        )
    return path


def preflight_output_file(
    path: str | os.PathLike[str], *, what: str = "output file", min_free_bytes: int = MIN_FREE_BYTES
) -> Path:
    """Check that ``path`` can be (re)written atomically: not a directory, a device, a FIFO or a socket (a
    symlink counts as the file it names), its directory writable (created if needed) with ``min_free_bytes``
    free. Raises `OutputPathError` (exit 2)."""
    shown, path = os.fspath(path), Path(path)  # the user's spelling: Path("./") prints as "."
    check_name_lengths(path, what)
    if path.is_dir():
        raise OutputPathError(f"{shown}: {what} is an existing directory; give a file path")
    target = output_target(path, what)
    preflight_output_dir(target.parent, what=f"directory of the {what} {target.name}", min_free_bytes=min_free_bytes)
    return path


def foreign_write_errno(exc: BaseException) -> int | None:
    """The write errno (`WRITE_ERRNOS`) a non-OSError exception of a Rust library reports in its message, if any:
    tokenizers' ``Exception: No space left on device (os error 28)``, safetensors' ``SafetensorError``."""
    if isinstance(exc, OSError):
        return None
    m = _FOREIGN_WRITE_ERROR.search(str(exc))
    code = int(m.group(1) or m.group(2)) if m else None
    return code if code in WRITE_ERRNOS else None


def head_bytes(path: Path, size: int = 65_536) -> bytes | None:
    """The first ``size`` bytes of an existing regular file; None when there is none (or it cannot be read)."""
    try:
        if not path.is_file():
            return None
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return None


def check_replaceable(path: str | os.PathLike[str], is_ours: Callable[[bytes], bool], *, what: str) -> None:
    """Refuse (`OutputPathError`, exit 2) to replace an existing non-empty file that is not an earlier output of
    this kind (``is_ours`` judges its first 64 KiB): a config, a dataset split or a filing given as an output
    path by mistake is kept, not silently replaced."""
    head = head_bytes(Path(path))
    if head is None or not head.strip() or is_ours(head):
        return
    raise OutputPathError(f"{os.fspath(path)}: already exists and is not an earlier {what}, so writing would "
                          "replace it; give another path, or remove it first if it may go")


def first_json_line(head: bytes) -> Any:
    """The first non-empty line of a file's head, parsed as JSON; None when it is not JSON."""
    for line in head.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            try:
                return json_loads(line)  # nested past the recursion limit: not JSON here either
            except ValueError:
                return None
    return None


def describe_write_error(exc: BaseException, fallback: str | None = None) -> str:
    """One line for an error raised while writing output: the path (``fallback`` where the error names none),
    then the system's reason, then what to do."""
    code = exc.errno if isinstance(exc, OSError) else foreign_write_errno(exc)
    where = (exc.filename if isinstance(exc, OSError) else None) or fallback or "an output of this command"
    reason = (exc.strerror if isinstance(exc, OSError) else None) or (os.strerror(code) if code else str(exc))
    fix = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space", errno.EFBIG: "raise the file-size "
           "limit (ulimit -f)"}.get(code or 0)
    return f"{where}: cannot write ({reason})" + (f"; {fix} and rerun the same command" if fix else "")


# --- whole directories -----------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where the system cannot."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # old kernel or a file system without exchange: the caller falls back
    raise OSError(err, os.strerror(err), str(b))


def replace_directory(staging: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Put the complete directory ``staging`` at ``target`` in one step; the previous ``target`` is deleted.

    Readers see the old directory or the new one, never a mix: one atomic exchange where the kernel offers
    it, else two renames with Ctrl-C held off between them (a kill there leaves ``.NAME.old-PID``, which
    `recover_replaced_directory` puts back).
    """
    import signal

    staging, target = Path(staging), Path(target)
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)  # now the previous directory
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    main = threading.current_thread() is threading.main_thread()
    if main:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        os.rename(target, old)
        os.rename(staging, target)
    finally:
        if main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    shutil.rmtree(old, ignore_errors=True)


def recover_replaced_directory(target: str | os.PathLike[str]) -> Path | None:
    """Undo a `replace_directory` killed between its two renames: ``target`` is missing and a dead process's
    ``.NAME.old-PID`` holds the previous directory, which goes back. Returns it when it did."""
    target = Path(target)
    if os.path.lexists(target) or not target.parent.is_dir():
        return None
    for entry in sorted(target.parent.glob(f".{target.name}.old-*")):
        owner = temporary_owner(entry.name)
        if owner is not None and not pid_alive(owner) and entry.is_dir():
            os.rename(entry, target)
            log.warning("%s: restored from %s (a previous run was killed while replacing it)", target, entry.name)
            return target
    return None


def link_tree(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Copy a file or directory tree by hard links (copies where links are impossible): cheap, and the
    originals stay untouched."""
    source, dest = Path(source), Path(dest)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, dest, symlinks=True, copy_function=link)
    elif source.is_symlink():
        os.symlink(os.readlink(source), dest)
    else:
        link(str(source), str(dest))
