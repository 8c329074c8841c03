"""One progress helper for every long step: a tqdm bar with an ETA on stderr, and a final line with the counts
and the time taken (logged at INFO, so it reaches the console through the CLI's logging and files alike).

    with Progress(total=len(files), desc="summarizing", unit="filing") as progress:
        for f in files:
            ...
            progress.update(failed=not ok)
    progress.final_line  # "summarizing: 9 of 10 filings done, 1 failed, in 12s"
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, Any

log = logging.getLogger("filingsum.progress")


class Progress:
    """A bar (tqdm: rate and ETA) that counts done and failed items; ``enabled=False`` counts silently."""

    def __init__(self, total: int, desc: str, unit: str = "item", *, enabled: bool = True,
                 file: IO[str] | None = None):
        self.total, self.desc, self.unit = total, desc, unit
        self.done = self.failed = 0
        self.started = time.perf_counter()
        self.final_line: str | None = None
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm

            # On stderr the bar hides itself when it is not a terminal (CI logs); a given file always gets it.
            self._bar = tqdm(total=total, desc=desc, unit=unit, file=file or sys.stderr,
                             disable=None if file is None else False, dynamic_ncols=True)

    def update(self, n: int = 1, *, failed: bool = False) -> None:
        self.done += n
        if failed:
            self.failed += n
        if self._bar is not None:
            self._bar.update(n)
            if self.failed:
                self._bar.set_postfix(failed=self.failed, refresh=False)

    def close(self) -> str:
        """Close the bar (once) and return the final line: counts and the time taken."""
        if self.final_line is None:
            if self._bar is not None:
                self._bar.close()
            seconds = time.perf_counter() - self.started
            failed = f", {self.failed} failed" if self.failed else ""
            self.final_line = (f"{self.desc}: {self.done} of {self.total} {self.unit}(s) done{failed}, "
                               f"in {seconds:.0f}s")
            if self.total:
                log.info("%s", self.final_line)
        return self.final_line

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
