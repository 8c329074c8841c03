"""Stand-ins for `filingsum.dataset.build.extract_file` that worker processes can import (module-level, so
picklable): files named crash_* kill their process, raise_* raise, everything else is extracted for real,
optionally slowed down (FILINGSUM_TEST_DELAY seconds) with each worker's pid noted (FILINGSUM_TEST_PIDS)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from filingsum.dataset.build import extract_file


def crash_or_extract(path: Path, wanted, max_bytes: int):
    name = Path(path).name
    if name.startswith("crash_"):
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does to a worker
    if name.startswith("raise_"):
        raise RuntimeError("a parser bug on purpose")
    return extract_file(path, wanted, max_bytes)


def slow_extract(path: Path, wanted, max_bytes: int):
    pids = os.environ.get("FILINGSUM_TEST_PIDS")
    if pids:
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\n")
    time.sleep(float(os.environ.get("FILINGSUM_TEST_DELAY", "0")))
    return extract_file(path, wanted, max_bytes)
