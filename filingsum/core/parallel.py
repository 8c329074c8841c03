"""Run one function over many inputs in worker processes, crash-isolated, results back in the parent.

Why a process pool and not threads: dataset extraction is CPU-bound Python (edgartools parsing, ~3.8 s per
real EDGAR HTML filing), so only processes use more than one core. The contract:

- each worker handles one input at a time, and at most ``2 x workers`` inputs are queued, so memory grows
  with the worker count, not the corpus size; results stream back to the parent as they finish;
- a worker that dies on an input (segfault, out-of-memory kill, ``os._exit``) breaks the whole
  ``ProcessPoolExecutor``; the inputs that were in flight are then re-run one by one, each in a fresh
  process, so the input that really kills its process is found and reported with its exit status, and
  every other input still gets its result (the same outcome whatever the worker count);
- Ctrl-C (SIGINT) is ignored by the workers and handled by the parent, which terminates them and
  re-raises ``KeyboardInterrupt``; what finished before is whatever ``on_result`` already kept.

Workers start with the ``forkserver`` method where the platform has it (fast: they fork from a server that
has already imported the heavy modules) and ``spawn`` elsewhere; never plain ``fork`` from a parent that may
hold threads and locks. The function must be picklable (a module-level function). On Linux the forkserver and
the workers die with the parent, even one killed with SIGKILL (`filingsum.core.forkserver_hook`,
``_init_worker``): no orphan keeps working, or holding the resource tracker, after the parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from filingsum.core.processes import exit_with_parent

QUEUE_PER_WORKER = 2  # inputs handed to the pool per worker: keeps workers busy, bounds what is queued


@dataclass(frozen=True)
class TaskOutcome:
    """What became of one input: ``value`` when the function returned, else ``error`` says why not."""

    value: Any = None
    error: str | None = None  # the function raised, or its process died (then ``crashed`` is True)
    crashed: bool = False
    pid: int = 0  # the worker process that ran it (0: none did)
    peak_rss: int = 0  # that worker's peak resident memory in bytes when it finished (0: unknown)
    cpu_s: float = 0.0  # CPU seconds (user + system) the call used in its worker


def default_workers() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def peak_rss_bytes() -> int:
    """This process's peak resident set size in bytes (0 where the platform does not report it)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS reports bytes, Linux KiB


FORKSERVER_HOOK = "filingsum.core.forkserver_hook"  # preloaded first: the forkserver dies with this process


def mp_context(preload: Sequence[str] = ()) -> multiprocessing.context.BaseContext:
    """forkserver (with ``preload`` imported once in the server, after `FORKSERVER_HOOK`) where available, else
    spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # no effect once the server runs; import errors ignored
        ctx.set_forkserver_preload([FORKSERVER_HOOK, *preload])
        return ctx
    return multiprocessing.get_context("spawn")


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # No orphans: a worker dies with the process it was forked from (the forkserver, which dies with the build;
    # with spawn, the build itself), even when that one is killed with SIGKILL.
    exit_with_parent()


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, int, int, float]:
    before = time.process_time()
    value = fn(*args)
    return value, os.getpid(), peak_rss_bytes(), time.process_time() - before


def _isolated_main(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _init_worker()
    try:
        conn.send(("ok", _call(fn, args)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the input's error
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    conn.close()


def describe_exit(code: int | None) -> str:
    """Words for a dead process's exit status: 'signal 9 (SIGKILL)', 'exit status 3'."""
    if code is None:
        return "unknown exit status"
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def run_isolated(fn: Callable[..., Any], args: tuple[Any, ...], ctx: Any) -> TaskOutcome:
    """``fn(*args)`` alone in a fresh process: its value, its error, or how the process died."""
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_isolated_main, args=(sender, fn, args), daemon=True)
    proc.start()
    sender.close()
    try:
        kind, payload = receiver.recv()
    except EOFError:  # the process died before it could answer
        kind, payload = "died", None
    except BaseException:
        proc.terminate()
        raise
    finally:
        receiver.close()
    proc.join()
    if kind == "ok":
        value, pid, peak, cpu = payload
        return TaskOutcome(value=value, pid=pid, peak_rss=peak, cpu_s=cpu)
    if kind == "error":
        return TaskOutcome(error=payload, pid=proc.pid or 0)
    return TaskOutcome(error=f"the worker process died ({describe_exit(proc.exitcode)})", crashed=True,
                       pid=proc.pid or 0)


def _terminate(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop running workers before Python 3.14
    # (terminate_workers); its worker table is the stable private attribute that method also uses.
    # Taken before shutdown(): shutdown(wait=False) drops the pool's reference to its manager thread.
    manager = getattr(pool, "_executor_manager_thread", None)
    stop = getattr(pool, "terminate_workers", None)
    if stop is not None:
        stop()
    else:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            if proc.is_alive():
                proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        # Let the pool's manager thread wind down (its workers are gone), then take it off the exit hook's list:
        # on Python < 3.12 that hook can write to the manager's already closed wake-up pipe and print an
        # "Exception ignored ... Bad file descriptor" traceback after Ctrl-C's one-line message.
        manager.join(timeout=10)
        import concurrent.futures.process as pool_module

        getattr(pool_module, "_threads_wakeups", {}).pop(manager, None)


def _outcome(future: Future) -> TaskOutcome | None:
    """The finished future's outcome; None when the pool broke under it (it must be re-run alone)."""
    try:
        value, pid, peak, cpu = future.result()
    except BrokenProcessPool:
        return None
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable return value
        return TaskOutcome(error=f"{type(exc).__name__}: {exc}")
    return TaskOutcome(value=value, pid=pid, peak_rss=peak, cpu_s=cpu)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    workers: int,
    on_result: Callable[[int, TaskOutcome], None],
    *,
    preload: Sequence[str] = (),
) -> None:
    """Call ``fn(*tasks[i])`` for every i in ``workers`` processes; ``on_result(i, outcome)`` runs in the parent
    as each finishes (completion order, each i exactly once). KeyboardInterrupt stops the workers and propagates.
    """
    ctx = mp_context(preload)
    queue = deque(range(len(tasks)))
    while queue:
        suspects: list[int] = []
        broken = False
        pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, initializer=_init_worker)
        running: dict[Future, int] = {}

        def settle(futures: set[Future]) -> None:
            for future in futures:
                i = running.pop(future)  # noqa: B023 (called within the same iteration)
                outcome = _outcome(future)
                if outcome is None:
                    suspects.append(i)  # noqa: B023 (called within the same iteration)
                else:
                    on_result(i, outcome)

        try:
            while (queue or running) and not broken:
                while queue and len(running) < QUEUE_PER_WORKER * max(1, workers):
                    try:
                        future = pool.submit(_call, fn, tasks[queue[0]])
                    except BrokenProcessPool:  # a worker died since the last wait
                        broken = True
                        break
                    running[future] = queue.popleft()
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                settle(done)
                broken = broken or bool(suspects)
            if broken:  # every input still in the pool fails with it; the re-runs below find which one killed it
                settle(wait(running)[0])
        except BaseException:
            _terminate(pool)
            raise
        pool.shutdown(wait=True)
        for i in sorted(suspects):
            on_result(i, run_isolated(fn, tasks[i], ctx))
