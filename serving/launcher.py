"""From a run config to its server: choose the backend, the adapters and the weights, and build the process.

vLLM wherever it imports (CPU or CUDA, in the interpreter ``serving.engine`` finds), else `transformers serve`
(``choose_engine``). It caps every response at ``serve.max_summary_tokens`` server-side and decodes under the served
model's inference contract (``config_under_contract``). Adapters (``default_adapters``) are served by name
(``--enable-lora --lora-modules NAME=PATH``) on a GPU; on CPU one adapter is merged into its base first (cached,
``inference.adapters``) and the merged weights are served under the adapter's name, since vLLM's CPU LoRA path
is ~8x slower (``serve.lora`` chooses). `transformers serve`, the last resort, takes a plain model dir only
(adapters merged too) and its output cap is the client's ``max_summary_tokens``.

``prepare_server`` returns the `ServerProcess`, not started; ``launch`` starts it and waits for /health. The
command lines live in ``serving.commands``, ports in ``serving.ports``, the process in ``serving.process``;
the names other modules import from here are re-exported below.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from filingsum.core.config import RunConfig, ServeConfig
from filingsum.core.errors import UsageError
from filingsum.core.redact import redact_argv
from filingsum.inference.adapters import merged_model_dir
from filingsum.serving.commands import (
    API_KEY_VAR,
    build_transformers_command,
    build_vllm_command,
    exposure_warning,
    key_in_extra_args,
    vllm_api_key_env,
    vllm_env,
)
from filingsum.serving.engine import INSTALL_HINT, VllmEngine, choose_weights, find_vllm_engine
from filingsum.serving.ports import check_port, free_port
from filingsum.serving.process import Backend, ServerProcess, ServerStartError

__all__ = [
    "FALLBACK_NOTICE", "check_servable", "choose_backend", "choose_engine", "config_under_contract",
    "default_adapters", "launch", "prepare_server",
    # re-exported: the CLI, benchmarks and tests import these from here
    "API_KEY_VAR", "ServerProcess", "ServerStartError", "build_transformers_command", "build_vllm_command",
    "check_port", "exposure_warning", "free_port", "key_in_extra_args", "vllm_api_key_env",
]

log = logging.getLogger(__name__)

FALLBACK_NOTICE = ("vLLM unavailable ({reason}); serving with transformers serve (one request at a time, "
                   "adapters merged first); " + INSTALL_HINT)


def choose_engine(serve: ServeConfig) -> VllmEngine | None:
    """The vLLM engine to serve with, or None for `transformers serve`.

    backend transformers: None. backend vllm: the engine, or a UsageError naming every candidate tried.
    backend auto: the engine if one imports, else None with a warning that names what is missing.
    """
    if serve.backend == "transformers":
        return None
    search = find_vllm_engine(serve.vllm_python)
    if search.engine is not None:
        log.info("vLLM %s on %s (python: %s, from %s)", search.engine.version, search.engine.device,
                 search.engine.python, search.engine.source)
        return search.engine
    if serve.backend == "vllm" or search.explicit_failure:  # a server that cannot start as configured: exit 2
        raise UsageError(f"vLLM unavailable ({search.reason()}); {INSTALL_HINT}, "
                         "or set serve.backend: transformers")
    log.warning(FALLBACK_NOTICE.format(reason=search.reason()))
    return None


def choose_backend(serve: ServeConfig) -> Backend:
    return "transformers" if choose_engine(serve) is None else "vllm"



def full_model_dir(config: RunConfig) -> Path | None:
    """The run's fully fine-tuned model (<train.output_dir>/model, written by train.method: full) when the run
    holds one and no adapter, else None."""
    run = Path(config.train.output_dir)
    if (run / "model" / "config.json").is_file() and not (run / "adapter" / "adapter_config.json").is_file():
        log.info("serving the run's fully fine-tuned model %s", run / "model")
        return run / "model"
    return None


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


def _check_adapters(adapters: dict[str, Path]) -> None:
    """UsageError (exit 2) naming an adapter path that holds no peft adapter, before any merge or model load."""
    from filingsum.core.models import AdapterError, find_adapter_dir

    for name, path in adapters.items():
        try:
            find_adapter_dir(path)
        except AdapterError as exc:
            raise UsageError(f"adapter {name!r}: {exc}") from None


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
    vllm_api_key_env(serve, os.environ)  # an unset serve.api_key_env: exit 2 before any merge or model load
    for flag in ("--port", "--host", "--uds"):
        if any(arg == flag or arg.startswith(f"{flag}=") for arg in serve.extra_args):
            # the server would listen where filingsum does not wait for it: start-up would time out
            fix = "remove it" if flag == "--uds" else f"set serve.{flag[2:]} (or `filingsum serve {flag}`) instead"
            raise UsageError(f"serve.extra_args sets {flag}, which moves where the server listens and filingsum "
                             f"would wait for it in vain: {fix}")
    engine = choose_engine(serve)
    if merged is None and adapters is None and not config.serve.adapters:
        merged = full_model_dir(config)  # a train.method: full run serves its own weights, not the base
    adapters = ({} if merged is not None else default_adapters(config)) if adapters is None else adapters
    _check_adapters(adapters)
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
        return _vllm_server(config, serve, engine, model, adapters, merged=merged is not None, log_path=log_path)
    return _transformers_server(config, serve, model, adapters, merged=merged is not None, log_path=log_path)


def _vllm_server(
    config: RunConfig, serve: ServeConfig, engine: VllmEngine, model: str, adapters: dict[str, Path], *,
    merged: bool, log_path: Path,
) -> ServerProcess:
    """The vLLM server of ``prepare_server``: ``model`` (a merged dir when ``merged``) plus ``adapters``, by name
    or merged into the base as serve.lora and the engine's device choose (``serve`` carries any backend override;
    ``config``, the run under the served model's contract, gives the output cap, penalty and dtype)."""
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
        max_summary_tokens=config.max_summary_tokens(serve.max_summary_tokens),
            repetition_penalty=config.model.repetition_penalty,
        dtype=config.model.dtype,
    )
    names = [name or model, *adapters]
    served = "merged" if weights == "merged" or merged else ("adapter" if adapters else "base")
    key_env = vllm_api_key_env(serve, os.environ)
    _warn_about_key_handling(serve, keyed=bool(key_env))
    return ServerProcess(
        command=command, host=serve.host, port=serve.port, model_names=names, backend="vllm",
        log_path=log_path, startup_timeout_s=serve.startup_timeout_s,
        env={**vllm_env(serve, engine.device, os.environ), **key_env}, device=engine.device,
        weights=served, model_dir=model,
    )


def _warn_about_key_handling(serve: ServeConfig, *, keyed: bool) -> None:
    """Log a key visible in the process list (serve.extra_args) and a server open beyond loopback without one
    (``keyed``: serve.api_key_env hands vLLM a key)."""
    if key_in_extra_args(serve):
        log.warning("serve.extra_args holds --api-key: the key is visible in the process list (ps); set "
                    "serve.api_key_env instead, which hands it to vLLM through the environment")
    warning = exposure_warning(serve, keyed=keyed or key_in_extra_args(serve))
    if warning:
        log.warning("%s", warning)


def _ensure_hub_cache(env: Mapping[str, str]) -> None:
    """Create the Hugging Face hub cache dir the server will look in: `transformers serve` lists models by scanning
    it and answers /v1/models with a 500 where it does not exist (a machine that only ever used local or embedded
    models), and a client then cannot look up the served model or its inference contract."""
    if env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE"):
        hub = Path(env.get("HF_HUB_CACHE") or env["HUGGINGFACE_HUB_CACHE"])
    else:
        home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
        hub = Path(home) / "hub"
    try:
        hub.expanduser().mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # the server still starts; only its model list fails
        log.warning("could not create the Hugging Face hub cache %s (%s): transformers serve will answer "
                    "/v1/models with an error; pass --model NAME to summarize", hub, exc.strerror or exc)


def _transformers_server(
    config: RunConfig, serve: ServeConfig, model: str, adapters: dict[str, Path], *, merged: bool, log_path: Path,
) -> ServerProcess:
    """The `transformers serve` server of ``prepare_server``: one plain model dir (``model``, or its one adapter
    merged into the base); UsageError for several adapters or an API key it cannot check."""
    if len(adapters) > 1:
        raise UsageError(
            f"transformers serve takes one model; {len(adapters)} adapters configured "
            f"({', '.join(adapters)}): serve one (--adapter NAME=PATH) or install vLLM ({INSTALL_HINT})"
        )
    weights = "merged" if merged else "base"
    if adapters:
        (adapter,) = adapters.values()
        model, weights = str(merged_model_dir(adapter, serve.model, fallback_base=config.model.name)), "merged"
    if key_in_extra_args(serve):  # dropping it would serve without the key the user asked for
        raise UsageError("serve.extra_args holds --api-key, but transformers serve has no API-key check; install "
                         f"vLLM ({INSTALL_HINT}) or remove it")
    if serve.extra_args:
        log.warning("serve.extra_args are vLLM flags; ignored by transformers serve: %s", redact_argv(serve.extra_args))
    if serve.api_key_env:
        raise UsageError(f"serve.api_key_env is set but transformers serve has no API-key check; install vLLM "
                         f"({INSTALL_HINT}) or unset serve.api_key_env")
    warning = exposure_warning(serve, keyed=False)
    if warning:
        log.warning("%s", warning)
    _ensure_hub_cache(os.environ)
    return ServerProcess(
        command=build_transformers_command(serve, model), host=serve.host, port=serve.port, model_names=[model],
        backend="transformers", log_path=log_path, startup_timeout_s=serve.startup_timeout_s, weights=weights,
    )


# Head sizes vLLM's CPU attention kernels take (vllm/v1/attention/backends/cpu_attn.py, 0.32): another one starts,
# answers /health, then kills the engine at the first request ("Unsupported CPU attention configuration").
VLLM_CPU_HEAD_SIZES = (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512)


def model_head_size(model_dir: str | Path) -> int | None:
    """The attention head size of a model dir's config.json (head_dim, else hidden_size / num_attention_heads);
    None when it cannot be read (a hub id, a GGUF, an odd config)."""
    import json

    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return head_size_of(config.get("text_config", config) if isinstance(config, dict) else {})


def head_size_of(config: dict) -> int | None:
    """The attention head size a model config (config.json as a dict) gives, or None."""
    head = config.get("head_dim")
    if isinstance(head, int) and head > 0:
        return head
    hidden, heads = config.get("hidden_size"), config.get("num_attention_heads")
    if isinstance(hidden, int) and isinstance(heads, int) and heads > 0:
        return hidden // heads
    return None


def check_servable(server: ServerProcess) -> None:
    """UsageError (exit 2) before start when the engine cannot run the model: vLLM on CPU with a head size its
    attention kernels lack would say "ready" and die at the first request."""
    if server.backend != "vllm" or server.device != "cpu" or server.model_dir is None:
        return
    head = model_head_size(server.model_dir)
    if head is not None and head not in VLLM_CPU_HEAD_SIZES:
        raise UsageError(
            f"{server.model_dir}: attention head size {head}; vLLM on CPU supports "
            f"{', '.join(map(str, VLLM_CPU_HEAD_SIZES))}: serve this model with --backend transformers "
            "(serve.backend: transformers)"
        )


def check_servable_config(config: RunConfig) -> None:
    """`check_servable` from the config alone, for a pre-flight (`filingsum demo`) long before the server is
    built: vLLM on CPU and a base model (serve.model, else model.name) whose config.json can be read cheaply
    (`core.models.cheap_model_config`) with a head size the CPU kernels lack is a UsageError (exit 2)."""
    from filingsum.core.models import cheap_model_config

    engine = choose_engine(config.serve)
    if engine is None or engine.device != "cpu":
        return
    base = config.serve.model or config.model.name
    head = head_size_of(cheap_model_config(base) or {})
    if head is not None and head not in VLLM_CPU_HEAD_SIZES:
        raise UsageError(
            f"{base}: attention head size {head}; vLLM on CPU supports {', '.join(map(str, VLLM_CPU_HEAD_SIZES))}, "
            "so the model could not be served at the end: set serve.backend: transformers (--set "
            "serve.backend=transformers) or pick another model.name"
        )


def launch(config: RunConfig, **kwargs) -> ServerProcess:
    """Start the run's server and wait until it answers /health. Use as ``with launch(cfg) as server:``
    or call ``server.stop()``. Keyword arguments go to ``prepare_server``."""
    server = prepare_server(config, **kwargs)
    check_servable(server)
    server.start()
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server
