"""`filingsum serve`: start the OpenAI-compatible server (vLLM wherever it imports, else transformers serve)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from filingsum.cli.common import add_config_arguments, load_run_config, port_number
from filingsum.core.config import RunConfig
from filingsum.core.errors import UsageError
from filingsum.serving import launcher

HELP = "serve the tuned model behind an OpenAI-compatible endpoint (vLLM; transformers serve as a fallback)"
DESCRIPTION = """\
Start an OpenAI-compatible server for the run's model, wait until it answers /health, print the endpoint
and the model names clients pass as `model`, and keep it running until Ctrl-C or SIGTERM.

It runs vLLM's OpenAI server with the python that imports vLLM (serve.vllm_python, $FILINGSUM_VLLM_PYTHON,
the project's .venv-vllm made by `make setup`, or this python). On a GPU the LoRA adapters are served by
name (--enable-lora); on CPU one adapter is merged into its base first and served under the adapter's name
(vLLM's CPU LoRA path is ~8x slower; --lora adapter to serve it by name anyway). Without vLLM it falls back
to `transformers serve` (one request at a time) with a warning naming what is missing.

examples:
  filingsum serve --config configs/smollm2-cpu.yaml
  filingsum serve --config configs/smollm2-cpu.yaml --adapter filingsum=runs/smollm2-cpu/adapter
  filingsum serve --config configs/smollm2-cpu.yaml --merged runs/smollm2-cpu/merged --port 8001
  export FILINGSUM_KEY=$(openssl rand -hex 16)
  filingsum serve --config configs/smollm2-cpu.yaml --api-key-env FILINGSUM_KEY

With serve.api_key_env (--api-key-env) the /v1 routes answer 401 without `Authorization: Bearer KEY`; /health
and /metrics stay open (docs/serving.md). A --host other than loopback without a key is warned about loudly.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, required=False)
    parser.add_argument("--backend", choices=["auto", "vllm", "transformers"], help="override serve.backend")
    parser.add_argument("--lora", choices=["auto", "adapter", "merged"], help="override serve.lora")
    parser.add_argument("--host", help="override serve.host: an IP address (IPv6 without brackets) or a name of "
                        "this machine, without a port (checked before anything starts)")
    parser.add_argument("--port", type=port_number, help="override serve.port (1-65535)")
    parser.add_argument(
        "--api-key-env", metavar="VAR", help="override serve.api_key_env: require the key held in $VAR on the /v1 "
        "routes (handed to vLLM through its environment, never on a command line)",
    )
    parser.add_argument(
        "--adapter", action="append", default=[], metavar="NAME=PATH",
        help="serve a LoRA adapter dir under NAME (repeatable; adds to serve.adapters)",
    )
    parser.add_argument("--merged", metavar="DIR", help="serve this merged model dir instead of base + adapters")
    parser.add_argument("--log-file", help="server log (default: <train.output_dir>/serve.log)")


def interrupted(args: argparse.Namespace) -> str:
    return "the server was stopped; nothing else was running"


def run(args: argparse.Namespace) -> int:
    config = load_run_config(args)
    for key in ("backend", "host", "port", "lora", "api_key_env"):
        if getattr(args, key, None) is not None:
            setattr(config.serve, key, getattr(args, key))
    if args.merged and (args.adapter or args.lora):
        given = " and ".join(f for f, v in (("--adapter", args.adapter), ("--lora", args.lora)) if v)
        raise UsageError(f"--merged serves that model dir as it is: {given} would be ignored; drop one of them")
    adapters = None
    if args.adapter:
        adapters = {**{n: Path(p) for n, p in config.serve.adapters.items()}, **parse_adapter_args(args.adapter)}
    return serve_forever(config, merged=args.merged, adapters=adapters, log_path=args.log_file)


def parse_adapter_args(values: Sequence[str]) -> dict[str, Path]:
    adapters = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--adapter {value!r}: expected NAME=PATH")
        if name in adapters:
            raise UsageError(f"--adapter {value!r}: the name {name!r} is given twice ({adapters[name]} and {path}); "
                             "give each adapter its own name")
        adapters[name] = Path(path)
    return adapters


def serve_forever(
    config: RunConfig,
    *,
    merged: str | Path | None = None,
    adapters: dict[str, Path] | None = None,
    log_path: str | Path | None = None,
) -> int:
    """`filingsum serve`: start the run's server, print the endpoint and model names, and keep it running
    until Ctrl-C or SIGTERM. Returns 0 on a requested stop, 1 when the server died on its own."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    launcher.check_port(config.serve.host, config.serve.port)  # before any merge, model load or output
    preflight_log(config, log_path)
    server = launcher.prepare_server(config, merged=merged, adapters=adapters, log_path=log_path)
    launcher.check_servable(server)

    stop = threading.Event()
    ready = threading.Event()

    def on_sigterm(*_: object) -> None:
        # A service manager's stop: once ready, leave the loop below; during start-up (a merge, a model load,
        # minutes of vLLM warm-up) unwind at once, as Ctrl-C does. One unwind only.
        if stop.is_set():
            return
        stop.set()
        if not ready.is_set():
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        server.start()
        server.wait_ready()
        ready.set()
        print_ready(config, server)
        while not stop.wait(1.0):
            if not server.is_running():
                print(f"filingsum: server exited with status {server.process.returncode}; log tail:\n"
                      f"{server.log_tail()}", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()  # a SIGTERM during the stop below must not interrupt it
        if server.process is not None:
            server.stop()
            print("server stopped", file=sys.stderr)
        signal.signal(signal.SIGTERM, previous)
    return 0


def preflight_log(config: RunConfig, log_path: str | Path | None) -> None:
    """The server log's location, checked before any merge or model load (UsageError, exit 2)."""
    from filingsum.core.io import preflight_output_dir, preflight_output_file

    if log_path:
        preflight_output_file(log_path, what="server log (--log-file)")
        if not _empty_or_server_log(Path(log_path)):
            raise UsageError(f"--log-file {log_path}: exists and is not a server log; the server appends to its "
                             "own logs only: give a new path")
    else:
        preflight_output_dir(config.train.output_dir, what="run directory holding the server log (train.output_dir)")


def _empty_or_server_log(path: Path) -> bool:
    """Whether a --log-file may be appended to: missing, empty, or a log a server started by filingsum wrote (its
    first line is the command, "$ ...")."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(3)
    except FileNotFoundError:
        return True
    except OSError:
        return True  # unreadable: the pre-flight check names it
    return not head or head.startswith((b"\n$ ", b"$ "))


def print_ready(config: RunConfig, server: launcher.ServerProcess) -> None:
    """What a client needs once the server answers: the endpoint, whether it wants a key, the model names to
    pass as `model`, and the engine that serves them."""
    if server.bound_url != server.base_url:
        print(f"endpoint: {server.bound_url} (bound to {server.host}; from this machine: {server.base_url})")
    else:
        print(f"endpoint: {server.base_url}")
    if server.keyed:
        print(f"API key: required on /v1 routes (Authorization: Bearer ${config.serve.api_key_env}); /health "
              "and /metrics stay open")
    elif launcher.exposure_warning(config.serve, keyed=launcher.key_in_extra_args(config.serve)):
        print(f"WARNING: {launcher.exposure_warning(config.serve, keyed=False)}", file=sys.stderr)
    print("model names (pass one as `model`):")
    for name in server.model_names:
        print(f"  {name}")
    print(f"backend: {server.backend} on {server.device} ({server.weights} weights), ready after "
          f"{server.ready_s or 0:.0f}s; log: {server.log_path}; Ctrl-C to stop", flush=True)
