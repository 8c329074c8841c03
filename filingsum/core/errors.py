"""Errors the CLI reports as one clear line instead of a traceback; ``exit_status`` is the command's status."""


class FilingsumError(RuntimeError):
    """Base class for expected failures: bad input, unreachable endpoint, missing model (exit 1)."""

    exit_status = 1


class UsageError(FilingsumError, ValueError):
    """Input the command cannot start on (a file that is not what it should be, a refused endpoint, an output
    location that cannot be written, inputs that do not exist, a busy port): exit 2, like a config error,
    found before any expensive work, so it stays apart from exit 1 (the work ran and failed)."""

    exit_status = 2
