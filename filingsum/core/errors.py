"""Errors the CLI reports as one clear line instead of a traceback.

``exit_code`` is the status the CLI exits with: 1 for a run that started and failed, 2 for a command that
cannot start as given (bad config, an output location that cannot be written, inputs that do not exist, a
busy port), found before any expensive work.
"""


class FilingsumError(RuntimeError):
    """Base class for expected failures: bad input, unreachable endpoint, missing model."""

    exit_code: int = 1


class UsageError(FilingsumError):
    """The command cannot start as given; reported before any expensive work (exit 2)."""

    exit_code = 2
