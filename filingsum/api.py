"""The Python API: summarize filings in-process, with what `filingsum summarize` applies.

    >>> from filingsum import Summarizer
    >>> summarizer = Summarizer.from_endpoint("http://127.0.0.1:8000/v1")   # doctest: +SKIP
    >>> [result] = summarizer.summarize_file("data/samples/fusion_10k_2016_item1_prompt.txt")  # doctest: +SKIP

A `Summarizer` is built on the one path the CLI uses (`filingsum.inference.factory.contracted_summarizer`): the
model's inference contract first (the source budget, fit, sections, summary cap, repetition penalty and dtype
it was trained with), then the config and keyword choices, which win with a warning where they depart from it,
then the output guard (``summarize.guard``, default drop). Results are `SummaryResult` pydantic models.
Heavy libraries (torch, transformers, openai) are imported only when a summarizer is built.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from filingsum.core.errors import UsageError
from filingsum.core.schema import GUARD_POLICIES, GuardPolicy, SummaryResult

if TYPE_CHECKING:
    from filingsum.core.config import RunConfig
    from filingsum.core.contract import InferenceContract
    from filingsum.inference.base import Summarizer as _Summarizer
    from filingsum.inference.factory import ContractedSummarizer

__all__ = ["Summarizer", "SummaryResult", "load_config", "summarize_file"]

DEFAULT_LOCAL_MODEL = "embedded:filingsum-smollm2"  # the shipped tuned default (base + LoRA adapter)

def load_config(
    path: str | os.PathLike[str] | Mapping[str, Any] | None = None, overrides: list[str] | None = None,
) -> RunConfig:
    """A validated run config from a YAML file or a mapping of sections as the YAML holds them (``overrides``:
    ``section.key=value`` strings, as ``--set``); without one, the defaults with the overrides. ConfigError
    names the file and key of a bad value."""
    import copy

    from filingsum.core.config import apply_override, parse_config
    from filingsum.core.config import load_config as load_yaml

    if isinstance(path, Mapping):
        data: dict = copy.deepcopy(dict(path))
        for override in overrides or []:
            data = apply_override(data, override, "overrides")
        return parse_config(data, "<mapping>")
    if path is not None:
        return load_yaml(_path(path, "config path"), overrides)
    data = {}
    for override in overrides or []:
        data = apply_override(data, override, "overrides")
    return parse_config(data, "<defaults>")


def _config(config: RunConfig | str | os.PathLike[str] | Mapping[str, Any] | None) -> RunConfig:
    from filingsum.core.config import RunConfig

    return config if isinstance(config, RunConfig) else load_config(config)


def _guard(guard: object) -> GuardPolicy | None:
    """``guard`` when it is None or a policy; UsageError (a ValueError) naming the policies otherwise."""
    if guard is not None and guard not in GUARD_POLICIES:
        raise UsageError(f"guard={guard!r}: expected one of {', '.join(GUARD_POLICIES)} (or None for summarize.guard)")
    return guard  # type: ignore[return-value]


def _wrong_type(what: str, value: object) -> NoReturn:
    raise TypeError(f"{what} must be a str, not {type(value).__name__}")


def _check_client_numbers(*, timeout_s: object, max_retries: object, concurrency: object) -> None:
    """UsageError for a timeout that is not a positive finite number, retries below 0 or concurrency below 1
    (as the CLI's flags refuse them), before any request: not a raw ValueError in every result."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not (
            math.isfinite(timeout_s) and timeout_s > 0):
        raise UsageError(f"timeout_s={timeout_s!r}: expected a positive number of seconds")
    for name, value, least in (("max_retries", max_retries, 0), ("concurrency", concurrency, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise UsageError(f"{name}={value!r}: expected a whole number of at least {least}")


def _path(path: object, what: str = "path") -> str:
    """A file, dir or glob argument as a str: str, bytes or os.PathLike; TypeError for anything else (None)."""
    if isinstance(path, (str, bytes, os.PathLike)):
        return os.fsdecode(os.fspath(path))
    raise TypeError(f"{what} must be a str, bytes or os.PathLike, not {type(path).__name__}")


class Summarizer:
    """Summarizes filings (files, dirs, globs) or cleaned texts; build one with `from_endpoint` or `local`."""

    def __init__(self, built: ContractedSummarizer):
        self._built = built
        for warning in built.warnings:
            warnings.warn(warning, stacklevel=3)

    # --- construction ---------------------------------------------------------------------------------------

    @classmethod
    def from_endpoint(
        cls,
        url: str,
        model: str | None = None,
        *,
        config: RunConfig | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        api_key: str | None = None,
        guard: GuardPolicy | None = None,
        timeout_s: float = 300.0,
        max_retries: int = 3,
        concurrency: int = 4,
    ) -> Summarizer:
        """A client of an OpenAI-compatible server (`filingsum serve`, vLLM). ``model`` None: the endpoint's
        only model. ``config``: a RunConfig, a YAML path or a mapping of sections (default: the defaults).
        ``api_key`` default: the variable serve.api_key_env names (UsageError when it is unset or empty: never
        another variable's key), else $OPENAI_API_KEY when ``url`` is https or on this machine (as `filingsum
        summarize`: plain http to another host gets no key unless it is passed, with a warning). ``guard`` default:
        summarize.guard (UsageError for anything but flag, drop or off)."""
        from filingsum.core.endpoints import api_key_from_env, check_api_key, check_url_and_key
        from filingsum.inference.endpoint import API_MODEL_WORDING
        from filingsum.inference.factory import ClientSettings, contracted_summarizer

        if model is not None and not isinstance(model, str):  # a name the server serves, never a path
            raise TypeError(f"model must be a str (the served model name), not {type(model).__name__}")
        guard = _guard(guard)
        _check_client_numbers(timeout_s=timeout_s, max_retries=max_retries, concurrency=concurrency)
        resolved = _config(config)
        if api_key is not None:  # a control character in it is named here, not met as a "connection error"
            key = check_api_key(api_key, "api_key") if isinstance(api_key, str) else _wrong_type("api_key", api_key)
        else:
            key = api_key_from_env(resolved.serve.api_key_env, what="serve.api_key_env", url=str(url))
        if api_key is not None or resolved.serve.api_key_env:  # a key named: the URL's user:password would replace it
            check_url_and_key(str(url), key, url_what="endpoint", key_what="api_key" if api_key is not None
                              else f"serve.api_key_env ({resolved.serve.api_key_env})")
        client = ClientSettings(api_key=key, timeout_s=timeout_s, max_retries=max_retries, concurrency=concurrency)
        return cls(contracted_summarizer(resolved, endpoint=url, served_model=model, client=client, guard=guard,
                                         wording=API_MODEL_WORDING))

    @classmethod
    def local(
        cls,
        run_or_model: str | os.PathLike[str] = DEFAULT_LOCAL_MODEL,
        *,
        config: RunConfig | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        guard: GuardPolicy | None = None,
    ) -> Summarizer:
        """Generation in this process with transformers: a training run dir (runs/X), an adapter dir, the
        shipped default (``embedded:filingsum-smollm2``, the default), or a model spec or dir (a merged run,
        a hub id, ``tiny-random``)."""
        from filingsum.inference.factory import contracted_summarizer

        guard = _guard(guard)
        return cls(contracted_summarizer(_config(config), local=_path(run_or_model, "run_or_model"), guard=guard))

    # --- what was resolved ----------------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The served model name, or the run, adapter or model given to `local`."""
        return self._built.model

    @property
    def config(self) -> RunConfig:
        """The resolved config: the model's inference contract applied, then the caller's choices."""
        return self._built.config

    @property
    def contract(self) -> InferenceContract | None:
        return self._built.contract

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per setting that departs from the model's inference contract (also issued as warnings)."""
        return self._built.warnings

    @property
    def engine(self) -> _Summarizer:
        """The underlying `filingsum.inference` summarizer (local or endpoint)."""
        return self._built.summarizer

    # --- summarizing ----------------------------------------------------------------------------------------

    def summarize_file(self, path: str | os.PathLike[str], instruction: str | None = None) -> list[SummaryResult]:
        """One result per wanted section found in the filing, or one error record; never raises for a file
        (TypeError for a ``path`` that is not a str, bytes or os.PathLike)."""
        return self.engine.summarize_file(Path(_path(path)), instruction)

    def summarize_files(self, paths: Iterable[str | os.PathLike[str]]) -> list[SummaryResult]:
        """Files, dirs or globs: every result, sorted by source path and id (an error record for an input that
        failed or a spec that matched nothing); ids unique across inputs (`unique_ids`); a file named twice
        (itself and in its dir) summarized once, as `filingsum summarize` does. One str or path counts as one
        input, not as its characters."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        from filingsum.inference.batch import unique_ids

        specs = [_path(path, "each of paths") for path in paths]
        return unique_ids(sorted(self.engine.summarize_paths(specs), key=lambda r: (r.source_path, r.id)))

    def summarize_text(self, text: str, instruction: str | None = None, *, id: str = "text") -> SummaryResult:
        """One cleaned text (e.g. an Item 1 section), fitted to the source budget; never raises for a text
        (TypeError for a ``text`` that is not a str)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        return self.engine.summarize_text(text, instruction, id=id)

    def __repr__(self) -> str:
        return f"Summarizer(model={self.model!r}, guard={self.engine.guard!r})"


def summarize_file(
    path: str | os.PathLike[str],
    *,
    endpoint: str | None = None,
    model: str | None = None,
    config: RunConfig | str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> list[SummaryResult]:
    """One filing's results in one call: through ``endpoint`` (``model``: a served name, default its only
    one), else locally (``model``: a run, adapter or model, default the shipped tuned default)."""
    path = _path(path)  # before any model or server is touched
    if endpoint is not None:
        summarizer = Summarizer.from_endpoint(endpoint, model, config=config)
    else:
        summarizer = Summarizer.local(model or DEFAULT_LOCAL_MODEL, config=config)
    return summarizer.summarize_file(path)
