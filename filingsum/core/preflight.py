"""Free-space pre-flight for an output directory: fail before the work (exit 2, one line) rather than when the
disk fills up halfway through writing it."""

from __future__ import annotations

import os

from filingsum.core.io import MIN_FREE_BYTES, free_bytes, preflight_output_dir


def require_free_space(path: str | os.PathLike[str], needed_bytes: int, *, what: str) -> None:
    """Raise `filingsum.core.io.OutputPathError` (exit 2) naming ``path`` when its file system has less than
    ``needed_bytes`` (at least `MIN_FREE_BYTES`) free; nothing when it has enough or the free space is unknown."""
    needed = max(MIN_FREE_BYTES, needed_bytes)
    free = free_bytes(path)
    if free is not None and free < needed:
        preflight_output_dir(path, what=what, min_free_bytes=needed)
