"""The inference contract: the settings that shaped a model's training inputs and decoding, carried by the model.

A tuned model only works as trained when it is fed inputs built the way its training windows were: the same
prompt, the same sections, the same source budget and fit strategy, the same summary cap, and decoded with
the same repetition penalty in the same dtype. `filingsum train` writes these settings into one small file
beside the adapter (``filingsum_contract.json``); the shipped default carries one too. `serve`, `summarize`,
eval, the demo and the Python API read it first and build their config from it, so the path a user takes
without any flag feeds the model what it was trained on.

A flag or a config key that departs from the contract still wins (an experiment is allowed), but every such
departure is returned as a warning naming both values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from filingsum.core.errors import UsageError
from filingsum.core.text import content_hash

CONTRACT_FILE = "filingsum_contract.json"
CONTRACT_VERSION = 1


def prompt_version(system_prompt: str | None = None, instruction: str | None = None) -> str:
    """A short hash of the system prompt and the request: what the model was trained to answer.

    >>> len(prompt_version())
    12
    """
    from filingsum.core.prompt import DEFAULT_INSTRUCTION, SYSTEM_PROMPT

    text = f"{system_prompt or SYSTEM_PROMPT}\n\n{instruction or DEFAULT_INSTRUCTION}"
    return content_hash(text)[:12]


class InferenceContract(BaseModel):
    """What a model expects at inference, written by `filingsum train` beside the adapter."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    contract_version: int = CONTRACT_VERSION
    base_model: str = Field(description="the base model the adapter was trained on (model.name)")
    prompt_version: str = Field(description="hash of the system prompt and the request (core.prompt)")
    sections: tuple[str, ...] = Field(description="sections summarized from a whole filing")
    max_source_tokens: int = Field(ge=1, description="source budget the training windows were fitted to")
    fit_strategy: str = Field(description="how a section over the budget is fitted")
    max_summary_tokens: int = Field(ge=1, description="the summary cap")
    repetition_penalty: float = Field(ge=1.0, description="greedy decoding's repetition penalty")
    dtype: str = Field(description="the dtype the model is served and evaluated in (model.dtype)")


# Contract field -> (config section, key): one place maps the contract onto a RunConfig.
CONFIG_KEYS: dict[str, tuple[str, str]] = {
    "max_source_tokens": ("model", "max_source_tokens"),
    "fit_strategy": ("data", "fit_strategy"),
    "max_summary_tokens": ("model", "max_summary_tokens"),
    "repetition_penalty": ("model", "repetition_penalty"),
    "dtype": ("model", "dtype"),
}


class ContractError(UsageError):
    """A contract file that cannot be used: not JSON, wrong types, or a value the config refuses (a summary cap of
    1e9): one line naming the file and the value, exit 2 (the model dir given cannot be served or run as is)."""


def _problem(exc: ValidationError, prefix: str = "") -> str:
    """The first problem of a ValidationError in one phrase: ``field value: message``."""
    errors = exc.errors()
    if not errors:
        return " ".join(str(exc).split())[:200]
    first = errors[0]
    where = ".".join(str(p) for p in (*([prefix] if prefix else []), *first["loc"]))
    shown = repr(first["input"])
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where} {shown}: {first['msg']}{more}" if where else f"{first['msg']} (got {shown}){more}"


def _unusable(path: Path | str, problem: str) -> ContractError:
    return ContractError(f"{path}: not a usable inference contract ({problem}); retrain, or delete the file to "
                         "run without one")


def _check_against_config(contract: InferenceContract, path: Path) -> None:
    """ContractError when a setting the contract puts into the run config is one the config refuses (a
    max_summary_tokens of 1e9 against its 4096 cap): found on reading, not as a traceback when applied."""
    from typing import Annotated

    from pydantic import TypeAdapter

    from filingsum.core.config import DataConfig, ModelConfig

    sections = {"model": ModelConfig, "data": DataConfig}
    for field, (section_name, key) in CONFIG_KEYS.items():
        info = sections[section_name].model_fields[key]
        try:
            TypeAdapter(Annotated[info.annotation, info], config=ConfigDict(allow_inf_nan=False)).validate_python(
                getattr(contract, field))
        except ValidationError as exc:
            raise _unusable(path, f"{field} {getattr(contract, field)!r}: {exc.errors()[0]['msg']} (as "
                            f"{section_name}.{key})") from None


def contract_from_config(config: Any, sections: tuple[str, ...] | None = None) -> InferenceContract:
    """The contract a run's config implies (what `filingsum train` writes)."""
    from filingsum.core.schema import DEFAULT_SECTIONS

    return InferenceContract(
        base_model=config.model.name,
        prompt_version=prompt_version(),
        sections=tuple(sections or DEFAULT_SECTIONS),
        max_source_tokens=config.model.max_source_tokens,
        fit_strategy=config.data.fit_strategy,
        max_summary_tokens=config.model.max_summary_tokens,
        repetition_penalty=config.model.repetition_penalty,
        dtype="float32" if config.model.dtype == "auto" else config.model.dtype,
    )


def write_contract(model_dir: str | Path, contract: InferenceContract) -> Path:
    from filingsum.core.io import atomic_write_json

    return atomic_write_json(Path(model_dir) / CONTRACT_FILE, contract.model_dump(mode="json"))


def read_contract(model_dir: str | Path | None) -> InferenceContract | None:
    """The contract in a model or adapter dir; None when the dir has none (a plain base model)."""
    if model_dir is None:
        return None
    path = Path(model_dir) / CONTRACT_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _unusable(path, f"cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise _unusable(path, f"invalid JSON: {' '.join(str(exc).split())[:160]}") from None
    if not isinstance(data, dict):
        raise _unusable(path, f"a JSON {type(data).__name__}, not an object of settings")
    try:
        contract = InferenceContract.model_validate(data)
    except ValidationError as exc:
        raise _unusable(path, _problem(exc)) from None
    _check_against_config(contract, path)
    return contract


def copy_contract(src_dir: str | Path, dst_dir: str | Path) -> Path | None:
    """Carry a contract from an adapter dir to a model built from it (a merged or exported dir)."""
    contract = read_contract(src_dir)
    return write_contract(dst_dir, contract) if contract is not None else None


def apply_contract(config: Any, contract: InferenceContract | None, chosen: dict[str, Any] | None = None) -> list[str]:
    """Set the config's inference settings from the contract, in place; return one warning per departure.

    ``chosen`` holds what the user picked by flag (contract field -> value, None when not given). A config
    key the user's YAML set explicitly counts as chosen too. A choice that differs from the contract wins,
    with a warning naming both values; everything else follows the contract.
    """
    chosen = {k: v for k, v in (chosen or {}).items() if v is not None}
    if contract is None:  # no contract: the flags simply win
        for field, value in chosen.items():
            _set_chosen(config, field, value)
        return []
    warnings: list[str] = []
    for field, (section_name, key) in CONFIG_KEYS.items():
        section = getattr(config, section_name)
        wanted = getattr(contract, field)
        if field in chosen:
            value, origin = chosen[field], "flag"
        elif key in section.model_fields_set:
            value, origin = getattr(section, key), f"config {section_name}.{key}"
        else:
            try:
                setattr(section, key, wanted)
            except ValidationError as exc:  # a setting the config refuses in combination (read_contract checks each)
                raise _unusable(f"the model's inference contract ({CONTRACT_FILE})", _problem(exc, section_name)
                                ) from None
            continue
        _set_chosen(config, field, value)
        if value != wanted and not (field == "dtype" and value == "auto" and wanted == "float32"):
            warnings.append(f"{field}: the model's contract says {wanted!r}, the {origin} says {value!r}; "
                            f"using {value!r} (the model was trained with {wanted!r})")
    if contract.prompt_version != prompt_version():
        warnings.append(f"prompt: the model was trained on prompt version {contract.prompt_version}, this "
                        f"filingsum builds version {prompt_version()}; summaries may degrade")
    return warnings


def _set_chosen(config: Any, field: str, value: Any) -> None:
    """A flag's value into the config; one line naming the flag when the config refuses it (e.g. a source
    budget under model.max_source_tokens' minimum)."""
    from filingsum.core.config import ConfigError

    section_name, key = CONFIG_KEYS[field]
    try:
        setattr(getattr(config, section_name), key, value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"] if exc.errors() else str(exc)
        flags = {"fit_strategy": "--fit", "max_summary_tokens": "--max-summary-tokens"}
        flag = flags.get(field, f"--{field.replace('_', '-')}")
        raise ConfigError(f"{flag} {value!r}: {problem} ({section_name}.{key})") from None


def contract_for_model(name: str | None, root: str | None = None) -> InferenceContract | None:
    """The contract of a served or named model: the one in its dir (``root``, as vLLM's /v1/models reports
    it, or ``name`` as a path), else the shipped default's when ``name`` is a built-in adapter's name."""
    from filingsum.core.models import BUILTIN_ADAPTERS, EMBEDDED_PREFIX

    for candidate in (root, name):
        if candidate and Path(candidate).is_dir():
            found = read_contract(candidate) or read_contract(Path(candidate) / "adapter")
            if found is not None:
                return found
    if name:
        builtin = BUILTIN_ADAPTERS.get(name.removeprefix(EMBEDDED_PREFIX))
        if builtin is not None:
            return read_contract(builtin)
    return None


def config_with_contract(config: Any, model_dir: str | Path | None) -> tuple[Any, list[str]]:
    """A copy of a run config with the contract of the model in ``model_dir`` applied, and the departures
    (config keys set explicitly to other values) as warnings; the config itself when there is no contract."""
    contract = read_contract(model_dir)
    if contract is None:
        return config, []
    config = config.model_copy(deep=True)
    return config, apply_contract(config, contract)
