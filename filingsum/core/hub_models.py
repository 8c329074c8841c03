"""Models from the Hugging Face Hub: a snapshot fetched (or found in the HF cache offline), and one line for a
model that could not be fetched.

`loadable` is what the loaders (`filingsum.core.models.load_tokenizer`, ``load_model``, ``is_seq2seq``) hand to
``from_pretrained``: for a hub id whose Hub cannot be asked (HF_HUB_OFFLINE, or no answer to one HEAD request:
`hub_reachable`), its snapshot in the HF cache, or at once a `ModelResolutionError` (a UsageError, exit 2) with
the advice, instead of the hub client's retries (about 49 s of "Retrying in 8s" lines on a machine without
network) and a raw OSError."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filingsum.core.models import ModelResolutionError, resolve_model

# What a hub snapshot needs for transformers, peft and vLLM: configs, tokenizer files and safetensors weights;
# not the other runtimes' copies of the weights.
HUB_IGNORE_PATTERNS = ["*.onnx", "onnx/*", "*.msgpack", "*.h5", "*.tflite", "*.ot", "*.gguf", "original/*",
                       "*.pth", "*.pt", "openvino/*"]


def download_hub_model(repo_id: str) -> str:
    """A hub model's local snapshot dir (downloaded, or taken from the HF cache when offline); a one-line
    ModelResolutionError when it is neither reachable nor cached, or does not exist."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, ignore_patterns=HUB_IGNORE_PATTERNS)
    except Exception as exc:  # noqa: BLE001 (hub errors are many types; each means one thing to the user)
        raise ModelResolutionError(describe_hub_error(repo_id, exc)) from None


def not_cached(repo_id: str, why: str) -> str:
    """One line for a hub model that is not in the HF cache and cannot be fetched now (``why``), with the way out."""
    return (f"model {repo_id!r} is not in the local Hugging Face cache and {why}; on a connected machine run "
            f"`hf download {repo_id}` (or `filingsum models prepare {repo_id}`), or give a local model dir")


def describe_hub_error(repo_id: str, exc: BaseException) -> str:
    """One line for a model that could not be fetched from the Hugging Face Hub (transformers' OSError names the
    hub client's error as its cause)."""
    name = type(exc).__name__
    cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
    for each in (name, cause):
        if each in ("RepositoryNotFoundError", "GatedRepoError", "RevisionNotFoundError"):
            return (f"model {repo_id!r}: the Hugging Face Hub has no such model, or it needs a login "
                    f"(`hf auth login`) ({each})")
    return not_cached(repo_id, f"the Hub could not be reached ({name})")


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE forbids the Hub (read by huggingface_hub at import, or set since)."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in (
        "1", "true", "yes", "on")


_REACHABLE: dict[str, bool] = {}  # endpoint -> whether it answered: asked once per process


def hub_reachable(timeout_s: float = 5.0) -> bool:
    """Whether the Hub's endpoint (HF_ENDPOINT) answers at all: one HEAD request, no retries, within ``timeout_s``
    (through the environment's proxy, as the hub client goes), asked once per process."""
    import httpx
    from huggingface_hub import constants

    endpoint = constants.ENDPOINT
    if endpoint not in _REACHABLE:
        try:
            httpx.head(endpoint, timeout=timeout_s)
            _REACHABLE[endpoint] = True
        except httpx.HTTPError:
            _REACHABLE[endpoint] = False
    return _REACHABLE[endpoint]


def cached_snapshot(repo_id: str) -> str | None:
    """The dir of ``repo_id``'s snapshot in the HF cache; None when it holds none (nothing is downloaded)."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, local_files_only=True)
    except Exception:  # noqa: BLE001 (not cached, in any of its forms)
        return None


def loadable(spec: str) -> str:
    """What ``from_pretrained`` is given for a model spec: `resolve_model`'s answer, but for a hub id when the Hub
    cannot be asked: under HF_HUB_OFFLINE the id when the HF cache holds it, with no answer from the Hub its cached
    snapshot dir (the hub client would retry for each file); neither: ModelResolutionError at once."""
    resolved = resolve_model(spec)
    if resolved != spec.strip() or Path(resolved).expanduser().exists():  # built, or a local dir: no Hub
        return resolved
    offline = hub_offline()
    if not offline and hub_reachable():
        return resolved
    snapshot = cached_snapshot(resolved)
    if snapshot is not None:
        return resolved if offline else snapshot
    from huggingface_hub import constants

    raise ModelResolutionError(not_cached(resolved, "HF_HUB_OFFLINE is set" if offline
                                          else f"the Hub ({constants.ENDPOINT}) does not answer"))


@contextmanager
def hub_errors(spec: str) -> Iterator[None]:
    """A model that could not be fetched while loading (no such repo, the Hub gone mid-way) as one
    ModelResolutionError line, not transformers' raw OSError."""
    try:
        yield
    except OSError as exc:
        if not is_hub_fetch_error(exc):
            raise
        raise ModelResolutionError(describe_hub_error(spec.strip(), exc)) from None


def is_hub_fetch_error(exc: BaseException) -> bool:
    """Whether an exception from transformers/huggingface_hub means a model could not be fetched (offline, no
    such repo): what the CLI reports in one line instead of a traceback."""
    module = type(exc).__module__ or ""
    return module.startswith("huggingface_hub") or (
        isinstance(exc, OSError) and exc.errno is None and "huggingface.co" in str(exc))
