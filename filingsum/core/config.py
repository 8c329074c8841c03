"""Config models: one YAML drives a run (data, train, eval, serve), validated up front.

Every section forbids unknown keys, so a misspelt key fails at load time with a one-line error naming the
file and the key (``ConfigError``; the CLI turns it into exit status 2) before anything heavy starts.
Relative paths are taken from the working directory, as the CLI is run from the project root.

This module is the run config as a whole: its root (`RunConfig`), the model section (the token budgets: the
one place that reads the summary cap's default), and reading a config from YAML and ``--set`` overrides. It
re-exports the rest, so ``from filingsum.core.config import ...`` reaches every config name:
- `filingsum.core.config_sections`: the stage sections (data, train, eval, serve, summarize);
- `filingsum.core.config_errors`: `ConfigError` and its one-line messages;
- `filingsum.core.config_yaml`: YAML that refuses a key written twice;
- `filingsum.core.config_reference`: the generated reference, docs/config.md.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from filingsum.core.config_errors import ConfigError, combined_error, describe_validation_error, field_type
from filingsum.core.config_reference import reference_markdown
from filingsum.core.config_sections import (
    ConfigSection,
    DataConfig,
    EvalConfig,
    FilterConfig,
    LoraConfig,
    ServeConfig,
    SplitConfig,
    SummarizeConfig,
    TeacherConfig,
    TrainConfig,
)
from filingsum.core.config_yaml import safe_load_unique
from filingsum.core.models import DEFAULT_MODEL
from filingsum.core.prompt import MAX_SUMMARY_TOKENS

__all__ = [
    "ConfigError", "DataConfig", "EvalConfig", "FilterConfig", "LoraConfig", "ModelConfig", "RunConfig",
    "ServeConfig", "SplitConfig", "SummarizeConfig", "TeacherConfig", "TrainConfig", "apply_override",
    "config_reference_markdown", "expected_type", "load_config", "parse_config", "parse_overrides",
    "safe_load_unique",
]


class ModelConfig(ConfigSection):
    path_keys: ClassVar[tuple[str, ...]] = ("name",)
    name: str = Field(DEFAULT_MODEL, description="embedded:..., tiny-random[-t5], a hub id or a local dir")
    max_source_tokens: int = Field(
        1536, ge=64,
        description="token budget of the filing text in the prompt: dataset fitting and `filingsum summarize`",
    )
    max_summary_tokens: int = Field(
        MAX_SUMMARY_TOKENS, ge=16, le=4096,
        description="the summary token cap every stage follows: training labels, references (teacher, "
        "extractive, label filter), generation, the eval limit check and the server's output cap",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="weights dtype when loading (auto: float32 on CPU)"
    )
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2"] = Field(
        "auto", description="auto: flash_attention_2 when installed on a GPU, else sdpa"
    )
    trust_remote_code: bool = Field(False, description="allow custom model code from the hub")
    repetition_penalty: float = Field(
        1.0, ge=1.0, le=2.0,
        description="greedy decoding's repetition penalty (HF and vLLM apply it alike), the same for eval's "
        "local generation, the server's defaults and the summarize client, so eval scores what users get",
    )


class RunConfig(ConfigSection):
    run_name: str = Field("default", description="names the run; the served adapter name on vLLM")
    model: ModelConfig = Field(default_factory=ModelConfig, description="base model and token budgets")
    data: DataConfig = Field(default_factory=DataConfig, description="`filingsum data build`")
    train: TrainConfig = Field(default_factory=TrainConfig, description="`filingsum train`")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="`filingsum eval`")
    serve: ServeConfig = Field(default_factory=ServeConfig, description="`filingsum serve`")
    summarize: SummarizeConfig = Field(default_factory=SummarizeConfig, description="`filingsum summarize`")
    source_path: str | None = Field(None, exclude=True, description="the YAML it was read from")

    def max_summary_tokens(self, override: int | None = None) -> int:
        """The summary token cap for one use: a stage's override when set, else model.max_summary_tokens."""
        return override if override is not None else self.model.max_summary_tokens

    @field_validator("run_name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not value or "/" in value:
            raise ValueError("must be a non-empty name without '/'")
        return value


def expected_type(loc: tuple[Any, ...]) -> str | None:
    """The declared type of the key at ``loc`` (e.g. ``list[str]``), for messages; None when unknown."""
    return field_type(RunConfig, loc)


def parse_config(data: Any, source: str = "<config>") -> RunConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections, got {type(data).__name__}")
    return _validated(data, source, [])


def _validated(data: dict[str, Any], source: str, problems: list[str], set_keys: frozenset[str] = frozenset(),
               file_data: Any = None) -> RunConfig:
    """RunConfig of ``data``; a ConfigError with ``problems`` (found earlier) and every validation error, each
    blamed on ``--set`` when its key came from one (``set_keys``), or lies in a section the file does not have
    (``file_data``, the file before the overrides) that a ``--set`` made (``--set data.teacher.concurrency=0``
    makes data.teacher, whose base_url is then missing), else on ``source``."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        def made_by_set(loc: tuple[Any, ...]) -> bool:
            node = file_data
            for depth, key in enumerate(loc[:-1], start=1):
                if not isinstance(node, dict) or key not in node:
                    prefix = ".".join(str(p) for p in loc[:depth]) + "."
                    return any(k.startswith(prefix) for k in set_keys)
                node = node[key]
            return False

        def origin(error: Any) -> str:
            dotted = ".".join(str(p) for p in error["loc"])
            if any(dotted == k or dotted.startswith(k + ".") for k in set_keys):
                return "--set"
            return "--set" if file_data is not None and made_by_set(tuple(error["loc"])) else source

        found = [describe_validation_error(e, origin(e), RunConfig) for e in exc.errors()]
        raise combined_error(problems + found) from None
    if problems:
        raise combined_error(problems)
    config.source_path = source
    return config


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read and validate a YAML config; ``overrides`` are ``section.key=value`` strings (YAML values)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory, not a config file; give a YAML file (see configs/)")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found" if not os.path.lexists(path)
                          else f"{path}: not a regular file; give a YAML config file")
    try:
        data = safe_load_unique(path.read_text(encoding="utf-8"), str(path))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    problems: list[str] = []
    file_data = copy.deepcopy(data) if overrides else data  # what the file says, to blame what --set made
    for override in overrides or []:
        try:
            data = apply_override(data or {}, override, "--set")
        except ConfigError as exc:
            problems.append(str(exc))
    if problems and not isinstance(data, dict):
        raise combined_error(problems)
    if not data and not problems:
        # An empty file (or one only of comments) is almost always a mistake: the wrong path, a file not saved
        # yet. Every default at once means building from data/samples into data/built/default and training
        # into runs/default, silently; ask for one explicit key instead.
        raise ConfigError(
            f"{path}: the config is empty (no keys); start from a file in configs/, or write `run_name: NAME` "
            "to run on every default on purpose"
        )
    if not isinstance(data, dict):
        raise combined_error(
            [*problems, f"{path}: the top level must be a mapping of sections, got {type(data).__name__}"]
        )
    set_keys = frozenset(o.split("=", 1)[0].strip() for o in overrides or [] if "=" in o)
    return _validated(data, str(path), problems, set_keys, file_data)


def parse_overrides(overrides: list[str], source: str = "--set") -> RunConfig:
    """A RunConfig from ``--set`` overrides alone (no config file); every problem in one ConfigError."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    for override in overrides:
        try:
            data = apply_override(data, override, source)
        except ConfigError as exc:
            problems.append(str(exc))
    return _validated(data, source, problems)


def apply_override(data: dict[str, Any], override: str, source: str = "<config>") -> dict[str, Any]:
    """``section.key=value`` applied to ``data`` (the value is YAML); a ConfigError naming the key and the type it
    expects when the value is not valid YAML."""
    if "=" not in override:
        raise ConfigError(f"{source}: override {override!r} must look like section.key=value")
    dotted, raw = override.split("=", 1)
    node = data
    parts = dotted.strip().split(".")
    if not all(parts):
        raise ConfigError(f"{source}: override {override!r} has an empty key; write section.key=value")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{source}: override {dotted}: {part} is not a section")
    try:
        node[parts[-1]] = safe_load_unique(raw, f"{source} {dotted.strip()}")
    except yaml.YAMLError as exc:
        wanted = expected_type(tuple(parts))
        reason = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            f"{source}: {dotted.strip()}: {raw!r} is not a valid YAML value ({reason})"
            + (f"; expected {wanted}" if wanted else "")
            + " (quote lists as --set 'k=[a, b]')"
        ) from None
    return data


def config_reference_markdown() -> str:
    """The config reference (docs/config.md), generated from the models so it cannot drift from them."""
    return reference_markdown(RunConfig)
