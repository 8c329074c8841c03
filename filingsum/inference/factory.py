"""Build a summarizer from a run config: the one place that turns a config into budgets and a model.

    summarizer_from_config(config, "zero-shot")                       the base model, locally
    summarizer_from_config(config, "tuned", adapter="runs/x")         base + LoRA adapter, locally
    summarizer_from_config(config, "endpoint", base_url=URL, served_model=NAME)   a running server

Every summarizer gets the config's source budget (``model.max_source_tokens``), fit strategy
(``data.fit_strategy``), tokenizer (``model.name``) and summary cap (``model.max_summary_tokens``, or the
stage override that applies: ``eval.max_new_tokens`` for local generation, ``serve.max_tokens`` for a client
of the server; a caller may pass ``max_tokens`` to pick another stage's). Eval's systems, the demo and
`filingsum summarize` all build theirs here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from filingsum.core.config import RunConfig
from filingsum.core.errors import FilingsumError
from filingsum.core.schema import GuardPolicy
from filingsum.inference.base import DEFAULT_MAX_CHUNKS, DEFAULT_SECTIONS, Summarizer

SystemKind = Literal["zero-shot", "tuned", "endpoint"]


@dataclass(frozen=True)
class ClientSettings:
    """How the endpoint client talks to the server (not budgets: those come from the config)."""

    api_key: str | None = None
    timeout_s: float = 300.0
    max_retries: int = 3
    concurrency: int = 4
    temperature: float = 0.0


def tuned_adapter(config: RunConfig, adapter: str | Path | None = None) -> Path:
    """The adapter dir the "tuned" system loads (``adapter``, else eval.adapter, else the run's output dir);
    FilingsumError when there is none, so eval fails before any model is loaded."""
    from filingsum.core.models import AdapterError, find_adapter_dir

    try:
        return find_adapter_dir(adapter or config.eval.adapter or config.train.output_dir)
    except AdapterError as exc:
        raise FilingsumError(f"system 'tuned': {exc}; train first or set eval.adapter") from None


def summarizer_from_config(
    config: RunConfig,
    system: SystemKind,
    *,
    base_url: str | None = None,
    served_model: str | None = None,
    adapter: str | Path | None = None,
    max_tokens: int | None = None,
    sections: Sequence[str] = DEFAULT_SECTIONS,
    client: ClientSettings = ClientSettings(),
    progress: bool = False,
    max_chunks: int = DEFAULT_MAX_CHUNKS,
    guard: GuardPolicy = "off",
) -> Summarizer:
    """The summarizer of one system for a run; FilingsumError when the system lacks what it needs (an
    endpoint URL and served name, an adapter dir). The endpoint client also caps the map requests of one
    section (``max_chunks``, with fit_strategy chunk) and the input file size (``data.max_file_mb``).
    ``guard`` checks every generated sentence (`filingsum.inference.guard`): `summarize` and the Python API
    pass ``summarize.guard``; eval leaves it off, to score what the model wrote."""
    summarizer = _build(config, system, base_url=base_url, served_model=served_model, adapter=adapter,
                        max_tokens=max_tokens, sections=sections, client=client, progress=progress,
                        max_chunks=max_chunks)
    summarizer.guard = guard
    return summarizer


def _build(
    config: RunConfig, system: SystemKind, *, base_url: str | None, served_model: str | None,
    adapter: str | Path | None, max_tokens: int | None, sections: Sequence[str], client: ClientSettings,
    progress: bool, max_chunks: int,
) -> Summarizer:
    inputs = dict(max_source_tokens=config.model.max_source_tokens, sections=tuple(sections),
                  fit_strategy=config.data.fit_strategy)
    if system == "endpoint":
        from filingsum.inference.endpoint import EndpointSummarizer

        if not base_url or not served_model:
            raise FilingsumError("an endpoint summarizer needs the server's base URL and served model name")
        return EndpointSummarizer(
            base_url, served_model, tokenizer=config.model.name,
            max_tokens=max_tokens or config.summary_tokens(config.serve.max_tokens), api_key=client.api_key,
            timeout_s=client.timeout_s, max_retries=client.max_retries, concurrency=client.concurrency,
            temperature=client.temperature, repetition_penalty=config.model.repetition_penalty,
            progress=progress, max_chunks=max_chunks,
            max_bytes=int(config.data.max_file_mb * 1024 * 1024), **inputs,
        )
    from filingsum.inference.local import GenerationSettings, LocalSummarizer

    if system == "tuned":
        adapter = tuned_adapter(config, adapter)
    elif system == "zero-shot":
        adapter = None
    else:
        raise FilingsumError(f"unknown summarizer system {system!r}; use zero-shot, tuned or endpoint")
    settings = GenerationSettings(
        max_new_tokens=max_tokens or config.summary_tokens(config.eval.max_new_tokens),
        repetition_penalty=config.model.repetition_penalty,
    )
    return LocalSummarizer(config.model.name, adapter, settings=settings, dtype=config.model.dtype, **inputs)
