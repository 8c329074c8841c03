"""Whether a process still runs: how a stale lock or temporary (its writer killed) is told from a live one.

A PID alone can be reused by a later process, so a lock also records when its holder started
(`process_started`) and compares it with the process that now has the PID.
"""

from __future__ import annotations

import os


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


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), None when it does not exist or cannot be seen."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None
