"""The spans of a text that figures already claim, so that no two figures overlap."""

from __future__ import annotations

import bisect


class TakenSpans:
    """Non-overlapping spans already claimed, for O(log n) overlap checks on long sources."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)  # spans starting before `end`...
        return i == 0 or self.ends[i - 1] <= start  # ...the last of which must end by `start`

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
