"""File-name limits of output paths: a name the file system cannot hold is refused before a run starts."""

from __future__ import annotations

import os
from pathlib import Path

from filingsum.core.errors import OutputPathError

NAME_MAX = 255  # bytes in one path component on Linux file systems (ext4, xfs, btrfs, tmpfs)


def check_name_lengths(path: str | os.PathLike[str], what: str) -> None:
    """`OutputPathError` (exit 2) when a component of ``path`` is longer than the file system takes (NAME_MAX
    bytes), so the run is refused before it starts instead of failing at its first write."""
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            shown = part if len(part) <= 40 else f"{part[:20]}...{part[-12:]}"
            raise OutputPathError(f"{shown}: {what} name is {size} bytes, over the {NAME_MAX}-byte limit of a file "
                                  "name; choose a shorter name")
