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


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when the thread that forked it exits


def exit_with_parent(signum: int | None = None) -> bool:
    """Have the kernel send this process ``signum`` (default SIGKILL) when its parent dies, however it dies
    (``kill -9`` included), so a helper process (a pool worker, a forkserver) is not left behind as an orphan.
    Linux only; False where it does not apply. The kernel watches the parent *thread* that forked this process.
    A parent that died while this was set up (this process was re-parented) ends this process at once."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    signum = int(signal.SIGKILL if signum is None else signum)
    parent = os.getppid()
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        if prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the kernel was told to watch it
        os.kill(os.getpid(), signum)
    return True


def exit_with_launcher() -> bool:
    """A worker started by a distributed launcher (`accelerate launch`, torchrun: LOCAL_RANK and WORLD_SIZE set)
    gets SIGTERM when the launcher dies, however it dies (``kill -9`` included), and unwinds as on any SIGTERM
    (checkpoints kept, its run dir's lock released, exit 143) instead of working on under PID 1. The launcher
    starts its workers from its main thread, which is what the kernel watches. False when not under a launcher
    or where it does not apply."""
    import signal

    if "LOCAL_RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return False
    return exit_with_parent(signal.SIGTERM)
