"""Imported first in the multiprocessing forkserver (`parallel.mp_context` preloads it): the forkserver dies
with the process that started it.

Why: pool workers fork from the forkserver, not from the build, and both outlive a build killed with
``kill -9`` (the forkserver waits for its clients, the workers for tasks; the resource tracker for both). With
this hook the kernel kills the forkserver when the build dies; each worker, set up the same way by
`parallel._init_worker`, dies with the forkserver; the resource tracker then sees every client gone and exits.
Imported anywhere else (a test, a tool that imports every module), it does nothing.
"""

from __future__ import annotations

import os
import sys


def _in_forkserver() -> bool:
    """Whether this import runs in the forkserver's start-up (multiprocessing.forkserver.main preloading)."""
    suffix = os.path.join("multiprocessing", "forkserver.py")
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "main" and frame.f_code.co_filename.endswith(suffix):
            return True
        frame = frame.f_back
    return False


if _in_forkserver():
    from filingsum.core.processes import exit_with_parent

    exit_with_parent()
