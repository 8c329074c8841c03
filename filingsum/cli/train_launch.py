"""`filingsum train --launch ACCELERATE_CONFIG`: a distributed training started by this command, which ends as every
filingsum command does.

It is `accelerate launch --config_file ACCELERATE_CONFIG -m filingsum.cli train ...`, with accelerate's launcher
(torch's elastic agent for DDP, FSDP and DeepSpeed) run in this process instead of its own, so that what ends the
launcher is ours to report: Ctrl-C, SIGTERM or SIGHUP stops the workers (each keeps its checkpoints, releases the
run dir's lock and says so) and exits 130, 143 or 129 with one line, not torch's SignalException traceback and
exit 1; a failed worker is one line with its exit status (its own error is above it). The elastic agent passes
the signal it got on to the workers: `filingsum train` unwinds on SIGHUP as on SIGTERM (`cli.train.run`). The bare
`accelerate launch` command still works, with torch's ending.
"""

from __future__ import annotations

import argparse
import os
import signal

from filingsum.core.errors import FilingsumError, UsageError

_OWN_OPTIONS = ("--launch", "--num-processes")  # this process's, never a worker's


def worker_argv(argv: list[str]) -> list[str]:
    """The command line of each worker: this one's, less --launch and --num-processes (and their values)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _OWN_OPTIONS:
            skip = True
        elif not arg.startswith(tuple(f"{option}=" for option in _OWN_OPTIONS)):
            kept.append(arg)
    return kept


class WorkersFailed(FilingsumError):
    """A worker of a launched training failed: its own error is above; exit with its status."""


def _stop_children() -> None:
    """Whatever the launcher left running (accelerate's one-process launcher forwards no signal): SIGTERM, then
    SIGKILL after 30 s."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=30)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass


def launch_training(args: argparse.Namespace) -> int:
    """Run ``filingsum train`` (this command line, less --launch) under accelerate's launcher with the config
    ``args.launch``; 0 when every worker finished."""
    import subprocess

    from filingsum.cli import Terminated
    from filingsum.core.io import require_input_file

    if "LOCAL_RANK" in os.environ:  # a worker that was given --launch (an abbreviation that was not stripped)
        raise UsageError("--launch: this process is already a worker of a launched training; drop --launch")
    require_input_file(args.launch, "--launch accelerate config")
    from accelerate.commands.launch import launch_command, launch_command_parser
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    launch = ["--config_file", str(args.launch)]
    if args.num_processes:
        launch += ["--num_processes", str(args.num_processes)]
    launch_args = launch_command_parser().parse_args([*launch, "-m", "filingsum.cli", *worker_argv(args._argv)])
    try:
        launch_command(launch_args)
    except SignalException as exc:  # the elastic agent has stopped the workers (its signal, then SIGKILL after 30 s)
        if exc.sigval in (signal.SIGTERM, signal.SIGHUP):
            raise Terminated(exc.sigval) from None
        raise KeyboardInterrupt() from None
    except KeyboardInterrupt:
        _stop_children()
        raise
    except ChildFailedError as exc:
        statuses = sorted({failure.exitcode for failure in exc.failures.values()})
        raise _failed(len(exc.failures), statuses) from None
    except subprocess.CalledProcessError as exc:  # the one-process launcher
        raise _failed(1, [exc.returncode]) from None
    return 0


def _failed(count: int, statuses: list[int]) -> WorkersFailed:
    def status(code: int) -> str:
        try:
            return str(code) if code >= 0 else f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return str(code)

    error = WorkersFailed(f"{count} training process(es) failed (exit status {', '.join(map(status, statuses))}); "
                          "their own error is above")
    error.exit_status = statuses[0] if len(statuses) == 1 and statuses[0] > 0 else 1
    return error
