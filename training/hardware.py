"""What this machine trains with: the numeric precision (bf16, fp16, fp32) and the attention implementation.

Pure decisions from the requested setting and the hardware (CUDA, bfloat16 support, CPU feature flags);
an impossible request (fp16 on CPU, flash-attention without a GPU) is a `TrainingError` before any work.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from filingsum.training.errors import TrainingSetupError

log = logging.getLogger(__name__)

# CPU flags of a native bfloat16 matmul (Intel AMX, AVX512-BF16; Arm's BF16 extension): without one, oneDNN
# emulates bf16 and an autocast LoRA step is ~2x slower than fp32 (52 vs 100 tokens/s on an AVX512 Xeon
# without them; 367 vs 182 with AMX: BENCHMARKS.md).
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (Linux; empty elsewhere or when unreadable)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def resolve_precision(requested: str, *, cuda: bool, bf16_supported: bool,
                      cpu_features: frozenset[str] | None = None) -> str:
    """'bf16' | 'fp16' | 'fp32'. auto: bf16 on GPUs that support it, fp16 on older GPUs; on CPU, bf16 autocast
    where the CPU multiplies bf16 natively (``cpu_features``, default: this machine's), else fp32."""
    if requested == "auto":
        if not cuda:
            features = cpu_flags() if cpu_features is None else cpu_features
            return "bf16" if features & NATIVE_BF16_FLAGS else "fp32"
        return "bf16" if bf16_supported else "fp16"
    if requested == "fp16" and not cuda:
        raise TrainingSetupError("train.precision=fp16 needs a CUDA GPU (use auto, fp32 or bf16 on CPU)")
    if requested == "bf16" and cuda and not bf16_supported:
        raise TrainingSetupError("train.precision=bf16: this GPU has no bfloat16 support (use auto or fp16)")
    if requested == "bf16" and not cuda:
        features = cpu_flags() if cpu_features is None else cpu_features
        if features and not features & NATIVE_BF16_FLAGS:
            log.warning("train.precision=bf16 on a CPU without native bfloat16 (no AMX or AVX512-BF16): it is "
                        "emulated, about 2x slower than fp32; train.precision=auto picks fp32 here")
    return requested


def resolve_attn_implementation(requested: str, *, cuda: bool, seq2seq: bool) -> str | None:
    """None lets transformers pick (sdpa where the architecture supports it, else eager)."""
    flash_installed = importlib.util.find_spec("flash_attn") is not None
    if requested == "flash_attention_2":
        if not cuda or not flash_installed:
            raise TrainingSetupError(
                "model.attn_implementation=flash_attention_2 needs a CUDA GPU and the flash-attn package "
                "(pip install flash-attn --no-build-isolation); use sdpa or auto"
            )
        return requested
    if requested == "auto":
        return "flash_attention_2" if cuda and flash_installed and not seq2seq else None
    return requested
