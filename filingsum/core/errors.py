"""Errors the CLI reports as one clear line instead of a traceback.

``exit_status`` is the status the CLI exits with: 1 for a run that started and failed, 2 for a command that
cannot start as given (bad config, an output location that cannot be written, inputs that do not exist, a
busy port), found before any expensive work.
"""


class FilingsumError(RuntimeError):
    """Base class for expected failures: bad input, unreachable endpoint, missing model (exit 1)."""

    exit_status = 1


class UsageError(FilingsumError, ValueError):
    """Input the command cannot start on (a file that is not what it should be, a refused endpoint): exit 2,
    like a config error, so it stays apart from exit 1 (the work ran and failed, e.g. a regression)."""

    exit_status = 2


class OutputPathError(UsageError):
    """An output location that cannot be written: a file where a dir is wanted (or the reverse), a file
    among its parents, a device, FIFO or socket where a file is wanted, no write permission, a read-only file
    system, too little free space."""
