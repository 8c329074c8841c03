"""Errors the CLI reports as one clear line (exit 1), instead of a traceback."""


class FilingsumError(RuntimeError):
    """Base class for expected failures: bad input, unreachable endpoint, missing model."""
