"""`filingsum serve`: start the OpenAI-compatible server (vLLM wherever it imports, else transformers serve)."""

from __future__ import annotations

import argparse
from pathlib import Path

from filingsum.cli.common import add_config_arguments, load_run_config, port_number

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
    parser.add_argument("--host", help="override serve.host")
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
    from filingsum.serving.launcher import parse_adapter_args, serve_forever

    config = load_run_config(args)
    for key in ("backend", "host", "port", "lora", "api_key_env"):
        if getattr(args, key, None) is not None:
            setattr(config.serve, key, getattr(args, key))
    adapters = None
    if args.adapter:
        adapters = {**{n: Path(p) for n, p in config.serve.adapters.items()}, **parse_adapter_args(args.adapter)}
    return serve_forever(config, merged=args.merged, adapters=adapters, log_path=args.log_file)
