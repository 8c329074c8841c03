"""Temporaries named after their writer's PID, and the removal of those whose writer is gone.

Atomic writes and probes use ``.NAME.PID.XXXX.tmp``; staged directories ``.NAME.tmp-PID``, ``.NAME.old-PID`` and
``.NAME.build-PID``. The PID in the name lets `remove_stale_temporaries` delete what dead processes left and
never what a running one is writing.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from filingsum.core.processes import pid_alive

log = logging.getLogger("filingsum.core.io")  # the logger these messages have always come from

# .NAME.PID.XXXX.tmp (atomic writes, probes) and .NAME.tmp-PID / .NAME.old-PID / .NAME.build-PID (staged dirs)
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$|^\..+\.(?:tmp|old|build)-(\d+)$")


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
