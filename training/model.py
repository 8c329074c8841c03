"""The model phase: the base model resolved for this machine (`load_base`: directory, config, tokenizer,
precision) and made trainable (`setup_model`: loaded, 4-bit quantized for QLoRA, wrapped in a fresh LoRA or
the init_adapter's weights, or fully unfrozen for method=full)."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from filingsum.core.config import ConfigError, RunConfig
from filingsum.training.errors import TrainingSetupError
from filingsum.training.hardware import resolve_attn_implementation, resolve_precision

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

FULL_FT_PARAM_WARNING = 2_000_000_000


@dataclass
class ResolvedBase:
    """The base model as this run uses it: where it lives, its HF config, its kind, its tokenizer (padding on
    the right) and the device and precision it trains with."""

    model_dir: str
    model_config: Any  # transformers.PretrainedConfig
    seq2seq: bool
    tokenizer: PreTrainedTokenizerBase
    cuda: bool
    precision: str  # 'bf16' | 'fp16' | 'fp32' (training.hardware.resolve_precision)

    @property
    def max_length(self) -> int | None:
        """The longest example a decoder takes (its context); None for seq2seq models (no joint sequence)."""
        return None if self.seq2seq else getattr(self.model_config, "max_position_embeddings", None)


@dataclass
class TrainableModel:
    """The model the Trainer trains, with its trainable and total parameter counts."""

    model: Any
    trainable_params: int
    total_params: int


def load_base(config: RunConfig) -> ResolvedBase:
    """Resolve model.name to a directory, read its config and tokenizer, and settle device and precision
    (TrainingError for a precision this machine cannot train in)."""
    import torch
    from transformers import AutoConfig

    from filingsum.core.models import is_seq2seq, load_tokenizer, resolve_model

    model_dir = resolve_model(config.model.name)
    model_config = AutoConfig.from_pretrained(model_dir, trust_remote_code=config.model.trust_remote_code)
    seq2seq = is_seq2seq(model_config)
    tokenizer = load_tokenizer(model_dir)
    tokenizer.padding_side = "right"

    cuda = torch.cuda.is_available()
    precision = resolve_precision(config.train.precision, cuda=cuda,
                                  bf16_supported=cuda and torch.cuda.is_bf16_supported())
    return ResolvedBase(model_dir=model_dir, model_config=model_config, seq2seq=seq2seq, tokenizer=tokenizer,
                        cuda=cuda, precision=precision)


def setup_model(config: RunConfig, base: ResolvedBase) -> TrainableModel:
    """The trainable model, seeded first (LoRA's initialisation draws from the RNG)."""
    from transformers import set_seed

    set_seed(config.train.seed)  # before the model: LoRA's initialisation draws from the RNG
    model = _load_model(config, base.model_dir, seq2seq=base.seq2seq, precision=base.precision, cuda=base.cuda)
    model = _apply_peft(model, config, seq2seq=base.seq2seq)
    trainable, total = _param_counts(model)
    log.info("trainable parameters: %d of %d (%.2f%%)", trainable, total, 100 * trainable / max(total, 1))
    return TrainableModel(model=model, trainable_params=trainable, total_params=total)


def _torch_dtype(precision: str, method: str, model_dtype: str, *, cuda: bool = True) -> Any:
    import torch

    if model_dtype != "auto":
        return getattr(torch, model_dtype)
    # Full fine-tuning keeps fp32 master weights (AMP autocasts the matmuls); LoRA freezes the base, so on a
    # GPU it is loaded in the compute dtype (half the memory) and peft keeps the adapter weights in fp32. On
    # CPU fp32 weights under bf16 autocast run faster than bf16 weights (367 vs 156 tokens/s, BENCHMARKS.md).
    if method == "full" or not cuda:
        return torch.float32
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


def _load_model(config: RunConfig, model_dir: str, *, seq2seq: bool, precision: str, cuda: bool) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    t = config.train
    kwargs: dict[str, Any] = {"dtype": _torch_dtype(precision, t.method, config.model.dtype, cuda=cuda),
                              "trust_remote_code": config.model.trust_remote_code}
    attn = resolve_attn_implementation(config.model.attn_implementation, cuda=cuda, seq2seq=seq2seq)
    if attn:
        kwargs["attn_implementation"] = attn
    if t.method == "qlora":
        if not cuda:
            raise TrainingSetupError("train.method=qlora needs a CUDA GPU (4-bit bitsandbytes); use method=lora on CPU")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise TrainingSetupError("train.method=qlora needs bitsandbytes: pip install 'filingsum[qlora]'")
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if precision == "bf16" else torch.float16
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
        kwargs["dtype"] = compute
        from accelerate import PartialState

        kwargs["device_map"] = {"": PartialState().local_process_index}
    auto = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    model = auto.from_pretrained(model_dir, **kwargs)
    if t.gradient_checkpointing:
        model.config.use_cache = False
    if t.method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=t.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    return model


def _apply_peft(model: Any, config: RunConfig, *, seq2seq: bool) -> Any:
    t = config.train
    if t.method == "full":
        total = sum(p.numel() for p in model.parameters())
        if total > FULL_FT_PARAM_WARNING:
            log.warning("full fine-tuning a %.1fB-parameter model: expect large memory use; consider lora",
                        total / 1e9)
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    from peft import LoraConfig, TaskType, get_peft_model

    if t.init_adapter:
        return _continue_adapter(model, t.init_adapter)
    check_target_modules(model, t.lora.target_modules, config.model.name)
    lora = LoraConfig(
        r=t.lora.r, lora_alpha=t.lora.alpha, lora_dropout=t.lora.dropout,
        target_modules=t.lora.target_modules, bias="none",
        task_type=TaskType.SEQ_2_SEQ_LM if seq2seq else TaskType.CAUSAL_LM,
    )
    return get_peft_model(model, lora)


def check_target_modules(model: Any, target_modules: list[str] | str, model_name: str) -> None:
    """ConfigError (exit 2) naming the entries of train.lora.target_modules that match no module of ``model``
    (peft matches a module whose name is the entry or ends with "." + the entry), and the model's linear layers
    to choose from; peft itself would stop with a traceback, or adapt fewer modules than asked for."""
    if isinstance(target_modules, str):  # all-linear
        return
    import torch

    names = [name for name, _ in model.named_modules() if name]
    missing = [t for t in target_modules if not any(n == t or n.endswith("." + t) for n in names)]
    if not missing:
        return
    linear = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                     if name and (isinstance(module, torch.nn.Linear) or type(module).__name__ == "Conv1D")})
    raise ConfigError(
        f"train.lora.target_modules: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not a module of "
        f"{model_name}; its linear layers (the names in model.named_modules()) are {', '.join(linear) or 'none'}; "
        "list some of them, or use all-linear"
    )


def _continue_adapter(model: Any, spec: str) -> Any:
    """The base with ``spec``'s LoRA weights loaded trainable (train.init_adapter): training goes on from them."""
    from peft import PeftModel

    from filingsum.core.models import AdapterError, find_adapter_dir

    try:
        adapter_dir = find_adapter_dir(spec)
    except AdapterError as exc:
        raise TrainingSetupError(f"train.init_adapter: {exc}") from exc
    log.info("train.init_adapter: continuing from the weights of %s (its own LoRA settings; train.lora ignored)",
             adapter_dir)
    try:
        return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=True)
    except (ValueError, KeyError, RuntimeError) as exc:  # peft's NoMatchingPeftModuleError is a ValueError
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrainingSetupError(
            f"train.init_adapter: {adapter_dir} does not fit this base model ({first[:160]}...); continue from an "
            "adapter trained on the same base (model.name), or unset train.init_adapter"
        ) from None


def _param_counts(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total
