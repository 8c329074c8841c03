"""Local batched generation with transformers (zero-shot base model or base + LoRA adapter).

Eval uses it for the zero-shot and tuned systems and training for its generation eval; serving goes through
an OpenAI-compatible server instead. Prompts come from the prompt contract, so what is scored here is what
the server would be asked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.models import find_adapter_dir, is_seq2seq, load_model, load_tokenizer
from filingsum.core.prompt import MAX_SUMMARY_TOKENS, render_prompt

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = MAX_SUMMARY_TOKENS
    repetition_penalty: float = 1.0
    batch_size: int = 4


@dataclass(frozen=True)
class Generated:
    text: str
    prompt_tokens: int
    completion_tokens: int
    hit_token_limit: bool


class LocalSummarizer:
    """A model (optionally with a LoRA adapter) that summarizes filings in batches, greedily."""

    def __init__(
        self,
        model: str,
        adapter: str | Path | None = None,
        *,
        dtype: str = "auto",
        model_obj: "PreTrainedModel | None" = None,
        tokenizer: "PreTrainedTokenizerBase | None" = None,
    ):
        import torch

        self.seq2seq = is_seq2seq(model)
        self.tokenizer = tokenizer or load_tokenizer(model)
        if model_obj is None:
            torch_dtype: Any = torch.float32 if dtype == "auto" and not torch.cuda.is_available() else dtype
            model_obj = load_model(model, dtype=torch_dtype)
            if adapter is not None:
                from peft import PeftModel

                model_obj = PeftModel.from_pretrained(model_obj, str(find_adapter_dir(adapter)))
            if torch.cuda.is_available():
                model_obj = model_obj.to("cuda")
        self.model = model_obj.eval()

    @classmethod
    def from_model(cls, model: "PreTrainedModel", tokenizer: "PreTrainedTokenizerBase") -> "LocalSummarizer":
        """Wrap a model already in memory (e.g. the one being trained); its train/eval mode is the caller's."""
        summarizer = cls.__new__(cls)
        summarizer.seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
        summarizer.tokenizer = tokenizer
        summarizer.model = model
        return summarizer

    def summarize(
        self, texts: list[str], instructions: list[str | None] | None = None, settings: GenerationSettings = GenerationSettings()
    ) -> list[Generated]:
        import torch

        instructions = instructions or [None] * len(texts)
        prompts = [render_prompt(self.tokenizer, t, i, seq2seq=self.seq2seq) for t, i in zip(texts, instructions)]
        outputs: list[Generated] = []
        tokenizer = self.tokenizer
        tokenizer.padding_side = "left"  # decoder batches must end where generation starts
        for start in range(0, len(prompts), settings.batch_size):
            batch = prompts[start : start + settings.batch_size]
            enc = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=self.seq2seq)
            enc = enc.to(self.model.device)
            with torch.inference_mode():
                generated = self.model.generate(
                    **enc,
                    max_new_tokens=settings.max_new_tokens,
                    do_sample=False,
                    repetition_penalty=settings.repetition_penalty,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=tokenizer.eos_token_id,
                )
            new_tokens = generated if self.seq2seq else generated[:, enc["input_ids"].shape[1] :]
            for row, mask in zip(new_tokens, enc["attention_mask"]):
                ids = row.tolist()[1:] if self.seq2seq else row.tolist()  # seq2seq rows open with the start token
                # pad and eos may share an id: the first eos ends the summary, whatever follows is padding
                finished = tokenizer.eos_token_id in ids
                if finished:
                    ids = ids[: ids.index(tokenizer.eos_token_id)]
                outputs.append(
                    Generated(
                        text=tokenizer.decode(ids, skip_special_tokens=True).strip(),
                        prompt_tokens=int(mask.sum()),
                        completion_tokens=len(ids),
                        hit_token_limit=not finished,
                    )
                )
        return outputs


def base_model_of_run(run_dir: str | Path) -> str | None:
    """The model spec a training run started from (its resolved config), if recorded."""
    run_dir = Path(run_dir)
    for name in ("config.resolved.yaml", "config.resolved.json"):
        path = run_dir / name
        if path.exists():
            import yaml

            data = yaml.safe_load(path.read_text()) if name.endswith("yaml") else json.loads(path.read_text())
            return ((data or {}).get("model") or {}).get("name")
    return None
