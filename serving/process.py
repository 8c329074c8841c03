"""Supervise a server subprocess: start it with its log, wait for /health, confirm it is ours, stop it.

``ServerProcess`` runs the server in its own session and process group with its output in a 0600 log file, waits
for ``GET /health``, and stops it with SIGTERM, then SIGKILL after a grace period; the child also gets SIGTERM
when this process dies (``die_with_parent``). It refuses a port that is already taken (`PortInUseError`,
exit 2) and, before it calls the server ready, confirms that what answers is its own child: the child is alive,
the listening socket belongs to its session (``session_holds_listener``, read with psutil where the system lets
it) and, on vLLM, /v1/models lists the names it serves. Without that, a busy port would make the *other* server
look ready until the child died on its failed bind.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from filingsum.core.errors import FilingsumError
from filingsum.core.io import output_target
from filingsum.core.redact import redact_argv
from filingsum.serving.commands import API_KEY_VAR
from filingsum.serving.ports import check_port, connect_host, url_host

log = logging.getLogger(__name__)

RPC_PATH_VAR = "VLLM_RPC_BASE_PATH"

Backend = Literal["vllm", "transformers"]


class ServerStartError(FilingsumError):
    """The server exited or never answered /health; the message carries the tail of its log."""


def _listens_on(connection: Any, port: int) -> bool:
    """Whether a psutil connection (system-wide or a process's) is a socket listening on ``port``."""
    return connection.status == psutil.CONN_LISTEN and bool(connection.laddr) and connection.laddr.port == port


def session_holds_listener(session: int, port: int) -> bool | None:
    """Whether a process of session ``session`` (our child's: it is a session leader) holds a socket listening
    on ``port`` (any address). None where that is unknown: no listener on the port can be seen, the socket table
    cannot be read (psutil.AccessDenied, no /proc), or no process of the session could be read."""
    try:
        if not any(_listens_on(c, port) for c in psutil.net_connections(kind="tcp")):
            return None
    except (psutil.Error, OSError):  # psutil.AccessDenied where the socket table is root's (macOS), no /proc
        return None
    readable = False
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getsid(process.pid) != session:
                continue
            connections = process.net_connections(kind="tcp")
        except (psutil.Error, OSError):  # gone, or another user's: not readable
            continue
        readable = True
        if any(_listens_on(c, port) for c in connections):
            return True
    return False if readable else None


PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when this process dies, however it dies (kill -9
    included): no server outlives the command that started it. Linux only, and only from the main thread (the
    kernel ties it to the thread that forks). None where it does not apply."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here: nothing is imported after the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before the call: the kernel will not signal
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec




# Run beside a server, in its own session: when the process that started the server dies (kill -9 included) it
# ends the server's whole process group, SIGTERM then SIGKILL after the grace period. PR_SET_PDEATHSIG alone is
# not enough: vLLM ignores SIGTERM while it starts, and its engine core is a grandchild the kernel never signals.
_WATCHDOG = """
import os, shutil, signal, sys, time
parent, group, grace = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
leftover = sys.argv[4] if len(sys.argv) > 4 else None  # the server's private socket dir: removed once it is gone
def alive():
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
while os.getppid() == parent and alive():
    time.sleep(0.5)
if alive():
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        sys.exit(0)
    end = time.monotonic() + grace
    while time.monotonic() < end and alive():
        time.sleep(0.2)
    if alive():
        os.killpg(group, signal.SIGKILL)
end = time.monotonic() + 10
while leftover and time.monotonic() < end and alive():
    time.sleep(0.2)
if leftover and not alive():
    shutil.rmtree(leftover, ignore_errors=True)
"""


def start_watchdog(group: int, grace_s: float, leftover: Path | None = None) -> subprocess.Popen | None:
    """A watchdog process that ends process group ``group`` once this process dies (`_WATCHDOG`), then removes
    ``leftover`` (the server's private socket dir); None where process groups do not exist."""
    if not hasattr(os, "killpg"):
        return None
    extra = [str(leftover)] if leftover is not None else []
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(group), str(grace_s), *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)


@dataclass
class ServerProcess:
    """A server subprocess: ``with ServerProcess(...) as server:`` starts it and waits for /health."""

    command: list[str]
    host: str
    port: int
    model_names: list[str]
    backend: Backend
    log_path: Path
    startup_timeout_s: float = 600.0
    grace_s: float = 10.0
    env: dict[str, str] | None = field(default=None, repr=False)  # may hold VLLM_API_KEY: never in a repr
    weights: str = "base"  # what is served: "base", "adapter" (LoRA by name) or "merged"
    device: str = "cpu"
    model_dir: str | None = None  # the weights the command loads (a dir or hub id), for pre-start checks
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)
    ready_s: float | None = field(default=None, init=False)  # start to first healthy answer, seconds
    _started_at: float = field(default=0.0, init=False, repr=False)
    _log_file: object = field(default=None, init=False, repr=False)
    _watchdog: subprocess.Popen | None = field(default=None, init=False, repr=False)
    # vLLM's ZeroMQ sockets (VLLM_RPC_BASE_PATH): a private dir, removed with the server, instead of a socket file
    # per start left in /tmp when the server is stopped by a signal
    rpc_dir: Path | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{url_host(connect_host(self.host))}:{self.port}/v1"

    @property
    def bound_url(self) -> str:
        """The endpoint at the address the server was told to bind (0.0.0.0: every interface)."""
        return f"http://{url_host(self.host)}:{self.port}/v1"

    @property
    def keyed(self) -> bool:
        return bool((self.env or {}).get(API_KEY_VAR))

    @property
    def health_url(self) -> str:
        return f"http://{url_host(connect_host(self.host))}:{self.port}/health"

    def start(self) -> ServerProcess:
        if self.process is not None:
            return self
        check_port(self.host, self.port)
        # a device would be chmodded below and written to, a FIFO block open(): only a regular file (exit 2)
        output_target(self.log_path, "server log (--log-file)")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # 0600: a server log can hold prompts, paths and request data; an older, wider log is narrowed too.
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        self._log_file = os.fdopen(fd, "ab")
        self._log_file.write(f"\n$ {' '.join(redact_argv(self.command))}\n".encode())
        self._log_file.flush()
        log.info("starting %s server on %s:%s (log: %s)", self.backend, self.host, self.port, self.log_path)
        self._started_at = time.monotonic()
        env = {**os.environ, **(self.env or {})}
        if self.backend == "vllm" and RPC_PATH_VAR not in env:
            self.rpc_dir = Path(tempfile.mkdtemp(prefix="filingsum-vllm-rpc-"))
            env[RPC_PATH_VAR] = str(self.rpc_dir)
        self.process = subprocess.Popen(
            self.command, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env, preexec_fn=die_with_parent(),
        )
        self._watchdog = start_watchdog(self.process.pid, self.grace_s, self.rpc_dir)
        return self

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float | None = None) -> ServerProcess:
        import httpx

        if self.process is None:
            self.start()
        timeout = self.startup_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise ServerStartError(
                    f"{self.backend} server exited with status {code} before it was ready; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    self.confirm_own_server()
                    self.ready_s = time.monotonic() - self._started_at
                    log.info("%s server ready at %s after %.0fs", self.backend, self.base_url, self.ready_s)
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"{self.backend} server not ready after {timeout:.0f}s ({self.health_url}); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.5)

    def confirm_own_server(self) -> None:
        """After /health answered: ServerStartError unless the answer is our child's (module docstring)."""
        import httpx

        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise ServerStartError(
                f"{self.host}:{self.port} answered /health but this {self.backend} server exited (status {code}): "
                f"another process holds the port; log {self.log_path}:\n{self.log_tail()}"
            )
        if session_holds_listener(self.process.pid, self.port) is False:
            self.stop()
            raise ServerStartError(
                f"{self.host}:{self.port} answers /health, but the listening socket is not this server's (pid "
                f"{self.process.pid}): another process holds the port; choose a free one with --port"
            )
        if self.backend == "vllm":  # vLLM lists exactly what it serves (transformers serve lists its cache)
            key = (self.env or {}).get(API_KEY_VAR)
            headers = {"Authorization": f"Bearer {key}"} if key else None
            response = httpx.get(f"{self.base_url}/models", timeout=5.0, headers=headers)
            served = {m.get("id") for m in response.json().get("data", [])} if response.status_code == 200 else set()
            if served and not served & set(self.model_names):
                self.stop()
                raise ServerStartError(
                    f"{self.base_url} serves {sorted(served)}, not {self.model_names}: another server holds the port"
                )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``grace_s``; returns the exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                process.wait(self.grace_s)
            except subprocess.TimeoutExpired:
                log.warning("server did not stop within %.0fs of SIGTERM; killing it", self.grace_s)
                self._signal_group(signal.SIGKILL)
                process.wait()
        self._wait_group()
        if self._watchdog is not None:  # the group is gone: its watchdog has nothing left to do
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.rpc_dir is not None:  # the group is gone: its sockets with it
            shutil.rmtree(self.rpc_dir, ignore_errors=True)
        return process.returncode

    def _wait_group(self) -> None:
        """The leader has exited; its group (vLLM's engine core and workers) may still be on its way out: wait
        for it, and SIGKILL what is left after ``grace_s``, so that a stopped server leaves no process."""
        members = _group_members(self.process.pid)
        if members:
            _, alive = psutil.wait_procs(members, timeout=self.grace_s)
            if alive:
                self._signal_group(signal.SIGKILL)
                psutil.wait_procs(alive, timeout=5)

    def _signal_group(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def __enter__(self) -> ServerProcess:
        if not self.is_running():
            self.start()
            self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _group_members(pgid: int) -> list[psutil.Process]:
    """The live processes of a process group (none once it has ended)."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (psutil.Error, OSError):
            continue  # gone or not ours to read: not a member we can wait for
    return members
