"""Models from the Hugging Face Hub: a snapshot fetched (or found in the HF cache offline), and one line for a
model that could not be fetched."""

from __future__ import annotations

from filingsum.core.models import ModelResolutionError

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


def describe_hub_error(repo_id: str, exc: BaseException) -> str:
    """One line for a model that could not be fetched from the Hugging Face Hub."""
    name = type(exc).__name__
    if name in ("RepositoryNotFoundError", "GatedRepoError", "RevisionNotFoundError"):
        return (f"model {repo_id!r}: the Hugging Face Hub has no such model, or it needs a login "
                f"(`hf auth login`) ({name})")
    return (f"model {repo_id!r} is not in the local Hugging Face cache and the Hub could not be reached "
            f"({name}); on a connected machine run `hf download {repo_id}` (or `filingsum models prepare "
            f"{repo_id}`), or give a local model dir")


def is_hub_fetch_error(exc: BaseException) -> bool:
    """Whether an exception from transformers/huggingface_hub means a model could not be fetched (offline, no
    such repo): what the CLI reports in one line instead of a traceback."""
    module = type(exc).__module__ or ""
    return module.startswith("huggingface_hub") or (
        isinstance(exc, OSError) and exc.errno is None and "huggingface.co" in str(exc))
