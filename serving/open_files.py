"""How many connections this process may hold open (``ulimit -n``), and the check `filingsum loadtest` runs on
its --concurrency before the first request."""

from __future__ import annotations

from filingsum.core.errors import UsageError

# Descriptors kept back from --concurrency: stdio, the log, the interpreter's own files, the report.
FD_MARGIN = 64


def max_concurrency() -> int | None:
    """The most connections this process can hold open at once: the soft RLIMIT_NOFILE (``ulimit -n``) less the
    descriptors open now and a margin; None where the limit is unknown or unlimited."""
    import os
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return None
    try:
        open_now = len(os.listdir("/proc/self/fd"))
    except OSError:
        open_now = 0
    return max(1, soft - open_now - FD_MARGIN)


def check_concurrency(concurrency: int) -> None:
    """UsageError (exit 2, before any request) for a ``concurrency`` of more connections than the process can
    hold open: past it, sockets fail with 'Too many open files' and the run measures its own failures."""
    import resource

    limit = max_concurrency()
    if limit is not None and concurrency > limit:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        raise UsageError(
            f"--concurrency {concurrency:,} is more connections than this process can hold open: its open-file "
            f"limit (ulimit -n, RLIMIT_NOFILE) is {soft:,}, which leaves room for at most {limit:,}; lower "
            f"--concurrency, or raise the limit (ulimit -n) first")
