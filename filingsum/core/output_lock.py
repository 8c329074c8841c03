"""One writer per output: a lock file beside an output (a dataset dir, a results file) names the run using it.

A second run on the same output refuses (`OutputBusyError`, exit 2) instead of interleaving its writes with
the first; a lock left by a killed run is taken over.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from filingsum.core.errors import UsageError
from filingsum.core.path_names import NAME_MAX, check_name_lengths
from filingsum.core.processes import pid_alive, process_started

log = logging.getLogger("filingsum.core.io")  # the logger these messages have always come from


class OutputBusyError(UsageError):
    """Another live run writes the same output (its lock file names it): exit 2."""


def _holder_running(pid: int, started: Any) -> bool:
    """Whether the process that wrote a lock still runs: ``pid`` is alive and, where the lock recorded its start
    time, it is the same process (not a later one that was given the same PID)."""
    if not pid_alive(pid):
        return False
    now_started = process_started(pid)
    if isinstance(started, (int, float)) and now_started is not None and abs(now_started - started) > 1.0:
        return False
    return True


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock of an output dir or file: .NAME.lock beside it (not inside: a dataset dir is swapped whole)."""
    real = Path(os.path.realpath(target))
    if not real.name:
        raise UsageError(f"{target}: the filesystem root cannot be an output; choose a directory under it")
    check_name_lengths(real, "output")
    name = f".{real.name}.lock"
    if len(os.fsencode(name)) > NAME_MAX:  # a long but valid output name: its lock is named by a hash of it
        import hashlib

        name = f".{hashlib.sha256(os.fsencode(real.name)).hexdigest()[:32]}.lock"
    return real.with_name(name)


class OutputLock:
    """Exclusive use of one output (a dataset dir, a results file) for one run.

    The lock file (``lock_path``, mode 0600) holds the PID, host and command (redacted) of its holder; it is
    created with O_EXCL so two runs cannot both take it. A lock whose PID is dead on this host is stale (a
    killed run): taken over with a warning. A lock held by a live process, or by another host, raises
    `OutputBusyError` naming the holder; one held by this process is shared (re-entrant). Where no lock file
    can be made (the parent is a file, not writable), the run goes on unlocked and the pre-flight check that
    follows names the problem.
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

        from filingsum.core.redact import redact_argv, redact_text

        # the command as every stored string: no URL password, --api-key or token in it (redact_argv masks the
        # value of a `--api-key KEY` pair, redact_text what is inside one word: --set x.endpoint=http://u:pw@...)
        command = redact_text(" ".join(redact_argv(sys.argv[:6])))[:300]
        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
              "started": process_started(os.getpid())}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return self  # unlocked: preflight_output_* says what is wrong with the location
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # its command is the user's
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
