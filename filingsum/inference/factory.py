"""Build a summarizer from a run config: the one place that turns a config into budgets and a model.

    summarizer_from_config(config, "zero-shot")                       the base model, locally
    summarizer_from_config(config, "tuned", adapter="runs/x")         base + LoRA adapter, locally
    summarizer_from_config(config, "endpoint", base_url=URL, served_model=NAME)   a running server

    contracted_summarizer(config, endpoint=URL)       the endpoint's model, its inference contract applied
    contracted_summarizer(config, local="runs/x")      a run, adapter or model dir, its contract applied

Every summarizer gets the config's source budget (``model.max_source_tokens``), fit strategy
(``data.fit_strategy``), tokenizer (``model.name``) and summary cap (``model.max_summary_tokens``, or the
stage override that applies: ``eval.max_summary_tokens`` for local generation, ``serve.max_summary_tokens`` for a client
of the server; a caller may pass ``max_summary_tokens`` to pick another stage's). Eval's systems, the demo and
`filingsum summarize` all build theirs here; `filingsum summarize` and the Python API (`filingsum.api`) through
`contracted_summarizer`, the one path from config + the model's inference contract + the output guard to a
summarizer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from filingsum.core.config import RunConfig
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.schema import FitStrategy, GuardPolicy
from filingsum.inference.base import DEFAULT_MAX_CHUNKS, DEFAULT_SECTIONS, Summarizer
from filingsum.inference.endpoint import CLI_MODEL_WORDING, ModelWording

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from filingsum.core.contract import InferenceContract

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
    UsageError (exit 2) when there is none, so eval fails before any model is loaded."""
    from filingsum.core.models import AdapterError, FullRunError, find_adapter_dir

    try:
        return find_adapter_dir(adapter or config.eval.adapter or config.train.output_dir)
    except FullRunError as exc:  # trained already: "train first" would send the user the wrong way
        raise UsageError(f"system 'tuned': {exc}; evaluate it as the model itself: --set model.name={exc.model_dir} "
                         "--set 'eval.systems=[zero-shot]'") from None
    except AdapterError as exc:
        raise UsageError(f"system 'tuned': {exc}; train first or set eval.adapter") from None


def summarizer_from_config(
    config: RunConfig,
    system: SystemKind,
    *,
    base_url: str | None = None,
    served_model: str | None = None,
    adapter: str | Path | None = None,
    max_summary_tokens: int | None = None,
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
                        max_summary_tokens=max_summary_tokens, sections=sections, client=client, progress=progress,
                        max_chunks=max_chunks)
    summarizer.guard = guard
    return summarizer


def _build(
    config: RunConfig, system: SystemKind, *, base_url: str | None, served_model: str | None,
    adapter: str | Path | None, max_summary_tokens: int | None, sections: Sequence[str], client: ClientSettings,
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
            max_summary_tokens=max_summary_tokens or config.max_summary_tokens(config.serve.max_summary_tokens),
                api_key=client.api_key,
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
        max_summary_tokens=max_summary_tokens or config.max_summary_tokens(config.eval.max_summary_tokens),
        repetition_penalty=config.model.repetition_penalty,
    )
    return LocalSummarizer(config.model.name, adapter, settings=settings, dtype=config.model.dtype, **inputs)


# --- a model's inference contract applied: `filingsum summarize` and the Python API ----------------------


@dataclass(frozen=True)
class InputOverrides:
    """What a caller picked over the model's inference contract (None: not picked; the contract decides).
    Each pick that departs from the contract wins, with a warning naming both values."""

    max_source_tokens: int | None = None
    fit_strategy: FitStrategy | None = None
    max_summary_tokens: int | None = None
    sections: Sequence[str] | None = None
    tokenizer: str | None = None  # endpoint only: the tokenizer that counts the budget (default: the contract's base)
    max_file_mb: float | None = None


@dataclass(frozen=True)
class ContractedSummarizer:
    """A summarizer built with its model's inference contract applied, and what was resolved on the way."""

    summarizer: Summarizer
    config: RunConfig  # a copy of the caller's config: the contract applied, then the overrides
    model: str  # the served model name (endpoint), or the run, adapter or model given (local)
    sections: tuple[str, ...] | None  # picked, or the contract's; None: the default sections
    contract: InferenceContract | None
    warnings: tuple[str, ...] = field(default=())  # one per departure from the contract


def contracted_summarizer(
    config: RunConfig,
    *,
    endpoint: str | None = None,
    served_model: str | None = None,
    local: str | Path | None = None,
    overrides: InputOverrides = InputOverrides(),
    client: ClientSettings = ClientSettings(),
    progress: bool = False,
    max_chunks: int = DEFAULT_MAX_CHUNKS,
    guard: GuardPolicy | None = None,
    wording: ModelWording = CLI_MODEL_WORDING,
) -> ContractedSummarizer:
    """The summarizer `filingsum summarize` and the Python API use: the model's inference contract first, then
    the caller's picks, then the output guard (``guard``, else ``summarize.guard``).

    ``endpoint``: an OpenAI-compatible server; ``served_model`` None means its only model (UsageError when it
    serves none or several; its message names the model's argument as ``wording`` does: the CLI's --model, or
    the Python API's model=), and the contract is the one in the served dir (vLLM's /models root) or the shipped
    default's. ``local``: a run dir, an adapter dir or a built-in adapter name (base + adapter; the base is the
    contract's) or a model spec or dir (loaded as is, its contract applied when it carries one). The caller's
    config is not changed."""
    from filingsum.core.contract import apply_contract
    from filingsum.core.endpoints import check_endpoint_url

    if (endpoint is None) == (local is None):
        raise FilingsumError("give either an endpoint URL or a local run, adapter or model")
    if endpoint is not None:
        check_endpoint_url(endpoint, "endpoint")  # before any request: UsageError (exit 2)
    config = config.model_copy(deep=True)
    # The summary cap a caller picks is the client's max_summary_tokens for this call (any positive value, as before the
    # contract), not a config value: it departs from the contract with a warning but is not written to the config.
    chosen = {"max_source_tokens": overrides.max_source_tokens, "fit_strategy": overrides.fit_strategy}
    adapter: Path | None = None
    if endpoint is not None:
        served_model, contract = _served_contract(endpoint, served_model, client, wording)
        model = served_model
    else:
        model = str(local)
        adapter, contract = _local_contract(model)
    warnings = tuple(apply_contract(config, contract, chosen)) + _cap_warnings(overrides.max_summary_tokens, contract)
    if local is not None and adapter is None:
        config.model.name = model  # a model dir or spec is loaded itself (a merged dir's contract names its base)
    elif "name" not in config.model.model_fields_set and not overrides.tokenizer:
        base = contract.base_model if contract is not None else _adapter_base(adapter)
        if base:
            config.model.name = base
    if overrides.tokenizer and endpoint is not None:
        config.model.name = overrides.tokenizer
    if overrides.max_file_mb:
        config.data.max_file_mb = overrides.max_file_mb
    sections = tuple(overrides.sections) if overrides.sections else (contract.sections if contract else None)
    summarizer = summarizer_from_config(
        config, "endpoint" if endpoint is not None else ("tuned" if adapter is not None else "zero-shot"),
        base_url=endpoint, served_model=served_model, adapter=adapter, max_summary_tokens=overrides.max_summary_tokens,
        sections=sections or DEFAULT_SECTIONS, client=client, progress=progress, max_chunks=max_chunks,
        guard=guard or config.summarize.guard,
    )
    return ContractedSummarizer(summarizer, config, model, sections, contract, warnings)


def _served_contract(
    endpoint: str, served_model: str | None, client: ClientSettings, wording: ModelWording,
) -> tuple[str, InferenceContract | None]:
    """The served model's name (without one, the endpoint's only model: UsageError when it serves none or
    several, naming the model's argument as ``wording`` does) and its inference contract (the served dir's, or
    the shipped default's)."""
    from filingsum.core.contract import contract_for_model
    from filingsum.core.errors import UsageError
    from filingsum.inference.endpoint import served_model_of, served_models

    models: dict[str, str | None] = {}
    # the user's --timeout and --max-retries bound this lookup too (at most 30 s and one retry)
    lookup = {"timeout_s": min(client.timeout_s, 30.0), "max_retries": min(client.max_retries, 1)}
    if not served_model:
        try:
            models = served_models(endpoint, client.api_key, wording=wording, **lookup)
        except UsageError as exc:
            raise UsageError(f"{wording.absent} and {exc}") from None
        served_model = served_model_of(models, endpoint, wording)
    else:
        try:
            models = served_models(endpoint, client.api_key, model_given=True, **lookup)
        except UsageError as exc:  # the requests themselves will say what is wrong with the endpoint
            log.warning("%s; summarizing without the served model's inference contract (the config's settings)",
                        exc)
            models = {}
    return served_model, contract_for_model(served_model, models.get(served_model))


def _local_contract(model: str) -> tuple[Path | None, InferenceContract | None]:
    """The adapter dir a local run, adapter or built-in name resolves to (None: a model spec or dir) and the
    inference contract it carries."""
    from filingsum.core.contract import contract_for_model, read_contract
    from filingsum.core.models import AdapterError, find_adapter_dir

    try:
        adapter = find_adapter_dir(model)
    except AdapterError:
        adapter = None
    return adapter, (read_contract(adapter) if adapter is not None else contract_for_model(model))


def _cap_warnings(cap: int | None, contract: InferenceContract | None) -> tuple[str, ...]:
    """The warning for a picked summary cap that departs from the contract's (none when it agrees)."""
    if cap is not None and contract is not None and cap != contract.max_summary_tokens:
        return (f"max_summary_tokens: the model's contract says {contract.max_summary_tokens}, the flag says "
                f"{cap}; using {cap} (the model was trained with {contract.max_summary_tokens})",)
    return ()


def _adapter_base(adapter: Path | None) -> str | None:
    """The base model an adapter without a contract names (peft's base_model_name_or_path)."""
    import json

    if adapter is None:
        return None
    try:
        return json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError):
        return None
