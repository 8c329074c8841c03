"""The `filingsum` command: one entry point, a subcommand per stage.

Each stage module exposes HELP, DESCRIPTION, add_arguments(parser) and run(args) -> exit status, and imports
its heavy dependencies (torch, transformers) inside run(), so `--help` and config errors answer at once.
A stage may also define interrupted(args) -> str: what Ctrl-C leaves behind and how to go on, printed
after "interrupted" (it must be true: say nothing rather than promise a resume that does not happen).

Exit status: 0 success, 1 a run that failed (FilingsumError), 2 a command that cannot start as given
(config errors, unusable output locations, missing inputs, a busy port: `UsageError`), 130 Ctrl-C, 143
SIGTERM. SIGTERM (what CI timeouts, `timeout`, `kill` and service managers send) unwinds as Ctrl-C does: worker
pools stop, servers started for the command stop, journals keep what finished. SIGHUP (a closed terminal)
unwinds the same way, exit 129, unless it is ignored (`nohup`); `unwinding_on_sighup` does it for a stage's
workers too (`train --launch`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from filingsum.core import __version__
from filingsum.core.config import ConfigError
from filingsum.core.errors import FilingsumError
from filingsum.core.io import WRITE_ERRNOS, describe_write_error, foreign_write_errno
from filingsum.core.names import TerminalSafeFilter, terminal_safe
from filingsum.core.redact import RedactingFilter, redact_text

STAGES: dict[str, str] = {
    "data": "filingsum.cli.data",
    "train": "filingsum.cli.train",
    "eval": "filingsum.cli.eval",
    "serve": "filingsum.cli.serve",
    "loadtest": "filingsum.cli.loadtest",
    "summarize": "filingsum.cli.summarize",
    "models": "filingsum.cli.models",
    "export": "filingsum.cli.export",
    "demo": "filingsum.cli.demo",
    "completion": "filingsum.cli.completion",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="filingsum",
        description="Build datasets from SEC filings, LoRA-tune a small model to summarize their business "
        "model, evaluate it, and serve it. Run `filingsum COMMAND --help` for each stage.",
    )
    parser.add_argument("--version", action="version", version=f"filingsum {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in STAGES.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(
            name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run, _interrupted=getattr(module, "interrupted", None))
    return parser


def _close_progress_bars() -> None:
    """Close the progress bars a failed or interrupted stage left open, so they are not redrawn after (under)
    the one line that says what happened."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", None) or []):
        try:
            bar.close()
        except Exception:  # noqa: BLE001 (a display nicety; never mask the real outcome)
            pass


def _stdout_closed() -> int:
    """The reader of stdout went away (`filingsum ... | head -1`): stop quietly, as a tool killed by SIGPIPE
    does (exit 141), with stdout pointed at /dev/null so that the flush at exit cannot fail again (Python's
    documented way: https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    import os

    _close_progress_bars()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout has no file descriptor (an embedding application's stream)
        pass
    return 141


class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP, where a stage asks: `unwinding_on_sighup`), raised in the main thread where it is, so
    that the command unwinds through the same cleanup as Ctrl-C (a KeyboardInterrupt subclass: every `except
    KeyboardInterrupt` and `finally` runs). Exit 128 + the signal's number: 143, 129."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__()
        self.signum = int(signum)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _unwind_on(signum: int = signal.SIGTERM) -> None:
    def on_signal(received: int, frame: object) -> None:
        # One unwind: a second SIGTERM (or SIGHUP) while the first one's cleanup runs (stopping a server, closing a
        # journal) must not cut it short. SIGKILL still ends everything.
        for each in {received, signal.SIGTERM}:
            signal.signal(each, lambda *_: None)
        raise Terminated(received)

    try:
        signal.signal(signum, on_signal)
    except ValueError:  # main() called outside the main thread (an embedding application): its signals, its call
        pass


def _unwind_on_sighup_unless_ignored() -> None:
    """SIGHUP (a closed terminal, `kill -HUP`) unwinds every command as SIGTERM does: exit 129, with the same
    cleanup and resume line; unless it is ignored (`nohup`), which stays so."""
    sighup = getattr(signal, "SIGHUP", None)
    if sighup is None:
        return
    try:
        if signal.getsignal(sighup) == signal.SIG_IGN:
            return
    except ValueError:
        return
    _unwind_on(sighup)


@contextmanager
def unwinding_on_sighup() -> Iterator[None]:
    """Within it, SIGHUP (a closed terminal, `kill -HUP`, a launcher passing one on to its workers) unwinds as
    SIGTERM does, instead of ending the process at once: its locks are released, its journals closed; exit 129.
    The previous handler is back after it."""
    sighup = getattr(signal, "SIGHUP", None)
    try:
        previous = signal.getsignal(sighup) if sighup is not None else None
    except ValueError:
        previous = None
    if sighup is not None and previous != signal.SIG_IGN:  # `nohup` ignores it: so it stays
        _unwind_on(sighup)
    try:
        yield
    finally:
        if sighup is not None and previous is not None:
            try:
                signal.signal(sighup, previous)
            except ValueError:
                pass


def _redeliver(signum: int) -> None:
    import os
    import threading

    timer = threading.Timer(0.05, os.kill, (os.getpid(), signum))  # from outside the finalizer that swallowed it
    timer.daemon = True
    timer.start()


def _redeliver_swallowed_interrupts() -> None:
    """A Ctrl-C or SIGTERM that lands while a finalizer runs (a ``__del__`` called by the garbage collector, a
    weakref callback) raises its KeyboardInterrupt there, where Python prints "Exception ignored" and goes on:
    the command would never stop (a training worker whose launcher was killed trained on). Such an interrupt is
    delivered again a moment later, to the code that runs then."""
    previous = sys.unraisablehook
    if getattr(previous, "filingsum_redelivers", False):
        return

    def hook(unraisable: object) -> None:
        exc = getattr(unraisable, "exc_value", None)
        if not isinstance(exc, KeyboardInterrupt):
            previous(unraisable)
            return
        if isinstance(exc, Terminated):
            for signum in {exc.signum, signal.SIGTERM}:  # the first delivery disarmed the handlers: arm them again
                _unwind_on(signum)
            _redeliver(exc.signum)
        else:
            _redeliver(signal.SIGINT)

    hook.filingsum_redelivers = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _output_of(args: argparse.Namespace) -> str | None:
    """What the command writes, for an error that does not name its file: --out, else the configured output."""
    out = getattr(args, "out", None)
    if out:
        return str(out)
    stage = getattr(args, "command", None)
    return {"train": "the run dir (train.output_dir)", "data": "the dataset dir (--out / data.out_dir)",
            "eval": "the report dir (--out / eval.out_dir)", "export": "the export dir (--out)",
            "models": "the model cache ($FILINGSUM_CACHE)"}.get(stage or "")


def _bytes_or_escape(exc: UnicodeError) -> tuple[str | bytes, int]:
    """An encoding error handler: a file name's undecodable byte (PEP 383) goes out as the byte, as
    ``surrogateescape`` does; anything else (a lone surrogate from a JSON ``\\ud800``) as a ``\\ud800`` escape."""
    import codecs

    try:
        return codecs.lookup_error("surrogateescape")(exc)
    except UnicodeError:
        return codecs.backslashreplace_errors(exc)


def _encode_what_the_console_cannot() -> None:
    """A console whose encoding lacks a character of a summary (``PYTHONIOENCODING=ascii``, a C locale) gets it
    escaped (``\u2014``), not a UnicodeEncodeError after the work is done. Under a C or POSIX locale Python
    writes with ``surrogateescape``, which fails on a lone surrogate that stands for no byte (``\\ud800`` in a
    report's system name): such a surrogate is escaped too."""
    import codecs

    codecs.register_error("filingsum.bytes_or_escape", _bytes_or_escape)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        errors = getattr(stream, "errors", None) or "strict"
        if reconfigure is not None and errors in ("strict", "surrogateescape"):
            try:
                reconfigure(errors="backslashreplace" if errors == "strict" else "filingsum.bytes_or_escape")
            except (ValueError, OSError):  # a stream that cannot change now (already written to in a test)
                pass


def _empty_argument(argv: Sequence[str]) -> str | None:
    """What is wrong when an argument is an empty string (`--out ''`, `--out=`, an input `''`): an unset shell
    variable, most often. An empty value never means the default or the current directory."""
    for i, token in enumerate(argv):
        if token == "--":
            return None  # what follows belongs to another program (a launcher's command line)
        if token.startswith("--") and token.endswith("=") and len(token) > 3:
            return f"{token[:-1]} ''"
        if token == "":
            before = argv[i - 1] if i else ""
            if before.startswith("-"):
                return f"{before} ''"
            if argv[:1] == ["summarize"]:
                return "an input ''"  # a stage's own positionals say it in their words ("the model spec is empty")
    return None


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for handler in logging.getLogger().handlers:  # no credentials in any log line (core.redact)
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
        if not any(isinstance(f, TerminalSafeFilter) for f in handler.filters):  # no raw ESC/BEL (core.names)
            handler.addFilter(TerminalSafeFilter())


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    empty = _empty_argument(given)
    if empty:
        print(f"filingsum: error: {empty} is empty: an empty value never means the default or the current "
              "directory (an unset shell variable?); give a value", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    args._argv = given  # `train --launch` starts its workers with it
    _encode_what_the_console_cannot()
    _unwind_on()
    _unwind_on_sighup_unless_ignored()
    _redeliver_swallowed_interrupts()
    _configure_logging(args.verbose)
    try:
        status = int(args._run(args) or 0)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at interpreter exit
        return status
    except BrokenPipeError:
        return _stdout_closed()
    except ConfigError as exc:
        print(f"filingsum: config error: {terminal_safe(redact_text(str(exc)))}", file=sys.stderr)
        return 2
    except FilingsumError as exc:
        _close_progress_bars()
        print(f"filingsum: error: {terminal_safe(redact_text(str(exc)))}", file=sys.stderr)
        return exc.exit_status
    except OSError as exc:
        from filingsum.core.hub_models import is_hub_fetch_error

        if is_hub_fetch_error(exc):  # a hub id that is neither cached nor reachable (offline), or no such model
            _close_progress_bars()
            print(f"filingsum: error: {' '.join(str(exc).split())[:400]}; download it on a connected machine "
                  "(`hf download ORG/NAME`) or give a local model dir", file=sys.stderr)
            return 2
        if exc.errno not in WRITE_ERRNOS:
            raise
        # Disk full, read-only file system, permissions: the environment, not a bug; say where in one line.
        _close_progress_bars()
        print(f"filingsum: error: {terminal_safe(describe_write_error(exc, _output_of(args)))}", file=sys.stderr)
        return 1
    except Exception as exc:
        # Only the write errors of Rust libraries (tokenizers, safetensors: disk full, file-size limit), which do
        # not raise OSError; anything else is a bug and keeps its traceback.
        if foreign_write_errno(exc) is None:
            raise
        _close_progress_bars()
        print(f"filingsum: error: {terminal_safe(describe_write_error(exc, _output_of(args)))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        _close_progress_bars()
        hint = args._interrupted(args) if args._interrupted else ""
        what = f"terminated ({exc.signal_name})" if isinstance(exc, Terminated) else "interrupted"
        print(f"filingsum: {what}{'; ' + hint if hint else ''}", file=sys.stderr)
        return exc.exit_status if isinstance(exc, Terminated) else 130
