"""Atomic, resumable file output: a crash or kill never leaves a half-written file behind.

Three tools, used by every stage:
- pre-flight (`preflight_output_dir`, `preflight_output_file`): before any expensive work, check that an
  output location can be written (not a file where a dir is wanted, no file among its parents, writable,
  enough free space) and fail in one line (`OutputPathError`, exit 2) instead of after hours of work;
- atomic writes (`atomic_write_*`): a temporary beside the target, fsynced, then renamed over it; the file
  gets the mode a plain `open()` would give (0666 less the umask, or the replaced file's mode);
- journals (`JsonlAppender`, `ResultJournal`): one fsynced JSONL row per finished item, so a rerun after a
  kill or Ctrl-C skips what is done.

Temporaries carry the writer's PID (`.NAME.PID.XXXX.tmp`, `.NAME.tmp-PID`, ...), so
`remove_stale_temporaries` can delete those of dead processes and never those of a running one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from filingsum.core.errors import FilingsumError, UsageError

log = logging.getLogger(__name__)

# Errors that mean "this location cannot take the output" (as opposed to a bug): reported in one line.
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                          errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG})
MIN_FREE_BYTES = 1 << 20  # below this nothing useful can be written


class OutputPathError(UsageError):
    """An output location that cannot be written: a file where a dir is wanted (or the reverse), a file
    among its parents, no write permission, a read-only file system, too little free space."""


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
    """Check that ``path`` can be (re)written atomically: not a directory, its directory writable (created
    if needed) with ``min_free_bytes`` free. Raises `OutputPathError` (exit 2)."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{path}: {what} is an existing directory; give a file path")
    preflight_output_dir(path.parent, what=f"directory of the {what} {path.name}", min_free_bytes=min_free_bytes)
    return path


def describe_write_error(exc: OSError) -> str:
    """One line for an OSError raised while writing output: the path, then the system's reason."""
    where = exc.filename or "output"
    return f"{where}: cannot write ({exc.strerror or exc})"


# --- inputs that are what they claim to be --------------------------------------------------------------


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


# --- one writer per output -------------------------------------------------------------------------------


class OutputBusyError(UsageError):
    """Another live run writes the same output (its lock file names it): exit 2."""


def _process_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), None when it does not exist or cannot be seen."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def _holder_running(pid: int, started: Any) -> bool:
    """Whether the process that wrote a lock still runs: ``pid`` is alive and, where the lock recorded its start
    time, it is the same process (not a later one that was given the same PID)."""
    if not pid_alive(pid):
        return False
    now_started = _process_started(pid)
    if isinstance(started, (int, float)) and now_started is not None and abs(now_started - started) > 1.0:
        return False
    return True


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock of an output dir or file: .NAME.lock beside it (not inside: a dataset dir is swapped whole)."""
    real = Path(os.path.realpath(target))
    return real.with_name(f".{real.name}.lock")


class OutputLock:
    """Exclusive use of one output (a dataset dir, a results file) for one run.

    The lock file (``lock_path``) holds the PID, host and command of its holder; it is created with O_EXCL so
    two runs cannot both take it. A lock whose PID is dead on this host is stale (a killed run): taken over
    with a warning. A lock held by a live process, or by another host, raises `OutputBusyError` naming the
    holder; one held by this process is shared (re-entrant). Where no lock file can be made (the parent is a
    file, not writable), the run goes on unlocked and the pre-flight check that follows names the problem.
    Use as a context manager; the lock file goes on release.
    """

    def __init__(self, target: str | os.PathLike[str], what: str = "output"):
        self.target = Path(target)
        self.what = what
        self.path = lock_path(target)
        self.held = False

    def _holder(self) -> dict[str, Any]:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            return holder if isinstance(holder, dict) else {}
        except (OSError, ValueError):
            return {}

    def acquire(self) -> OutputLock:
        import socket
        import sys

        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv[:6])[:300],
              "started": _process_started(os.getpid())}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return self  # unlocked: preflight_output_* says what is wrong with the location
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._holder()
                pid, host = holder.get("pid"), holder.get("host")
                if pid == os.getpid() and host == me["host"]:
                    return self  # this process holds it already (its owner releases it)
                if not isinstance(pid, int) and self.path.exists():
                    # being written right now by another run, or damaged: look again once
                    import time

                    time.sleep(0.2)
                    holder = self._holder()
                    pid, host = holder.get("pid"), holder.get("host")
                if isinstance(pid, int) and host == me["host"] and pid != os.getpid() \
                        and not _holder_running(pid, holder.get("started")):
                    log.warning("%s: taking over the stale lock %s of process %d (no longer running)",
                                self.target, self.path, pid)
                    self.path.unlink(missing_ok=True)
                    continue
                if not isinstance(pid, int):
                    log.warning("%s: removing the unreadable lock file %s", self.target, self.path)
                    self.path.unlink(missing_ok=True)
                    continue
                command = f" ({holder['command']})" if holder.get("command") else ""
                raise OutputBusyError(
                    f"{self.target}: {self.what} is in use by process {pid} on {host}{command}; wait for it to "
                    f"finish or stop it (a lock left by a process that is gone is taken over: {self.path})"
                ) from None
            except OSError:
                return self  # unlocked: preflight_output_* says what is wrong with the location
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(me) + "\n")
            self.held = True
            return self
        raise OutputBusyError(f"{self.target}: could not take the lock {self.path}; another run keeps taking it")

    def release(self) -> None:
        if self.held:
            if self._holder().get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# --- temporaries -----------------------------------------------------------------------------------------

# .NAME.PID.XXXX.tmp (atomic writes, probes) and .NAME.tmp-PID / .NAME.old-PID / .NAME.build-PID (staged dirs)
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$|^\..+\.(?:tmp|old|build)-(\d+)$")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (ours included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def temporary_owner(name: str) -> int | None:
    """The PID in a temporary's name (see the module docstring), None for any other name."""
    match = _TEMPORARY.match(name)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def remove_stale_temporaries(directory: str | os.PathLike[str], prefix: str = ".") -> list[Path]:
    """Delete the temporaries in ``directory`` (those whose name starts with ``prefix``) left by processes
    that no longer run; returns what went."""
    directory = Path(directory)
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for entry in directory.iterdir():
        if not entry.name.startswith(prefix):
            continue
        owner = temporary_owner(entry.name)
        if owner is None or pid_alive(owner):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError as exc:
            log.warning("%s: could not remove a stale temporary: %s", entry, exc.strerror or exc)
            continue
        log.info("removed stale temporary %s (its process %d is gone)", entry, owner)
        removed.append(entry)
    return removed


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


# --- atomic writes ---------------------------------------------------------------------------------------

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


def _new_file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777  # replacing a file keeps its mode
    except OSError:
        return 0o666 & ~current_umask()


_HASH_BLOCK = 1 << 22


def sha256_file(path: str | os.PathLike[str], digest: Any = None) -> str:
    """Hex sha256 of a file's bytes, read in 4 MiB blocks; with ``digest``, the file is fed into it (for a
    hash over several files) and its running hex digest is returned."""
    digest = digest if digest is not None else hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part; the new
    file's mode is what ``open()`` would give (0666 less the umask), or the replaced file's."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), _new_file_mode(path))
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def atomic_write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows))


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL file; a torn last line (a kill mid-append) is ignored, not fatal."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                return
            raise


class JsonlAppender:
    """Append-only JSONL journal, flushed and fsynced per row, for resumable long jobs."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
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
        self._fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

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


def stable_hash(*parts: Any) -> str:
    """sha256 of JSON-serialised parts (sorted keys): a journal key."""
    import hashlib

    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
