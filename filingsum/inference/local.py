"""The local summarizer: batched greedy generation with transformers (a base model, or base + LoRA adapter).

Eval uses it for the zero-shot and tuned systems and training for its generation eval; serving goes through
an OpenAI-compatible server instead (`filingsum.inference.endpoint`). Prompts come from the prompt contract,
so what is scored here is what the server would be asked. Fitting and file handling are the `Summarizer`
base's, shared with the endpoint summarizer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filingsum.core.models import find_adapter_dir, is_seq2seq, load_model, load_tokenizer
from filingsum.core.prompt import render_prompt
from filingsum.inference.base import DEFAULT_SECTIONS, Generated, InputSettings, Summarizer

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationSettings:
    """Greedy decoding: ``max_summary_tokens`` is the run's summary cap (`RunConfig.max_summary_tokens`)."""

    max_summary_tokens: int
    repetition_penalty: float = 1.0
    batch_size: int = 4


class LocalSummarizer(Summarizer):
    """A model (optionally with a LoRA adapter) that summarizes filings in batches, greedily.

    ``max_source_tokens`` (with ``sections`` and ``fit_strategy``) is needed only to summarize files or raw
    texts (``summarize_file``, ``summarize_text``); ``summarize`` takes texts already fitted.
    """

    def __init__(
        self,
        model: str,
        adapter: str | Path | None = None,
        *,
        settings: GenerationSettings,
        max_source_tokens: int | None = None,
        sections: Sequence[str] = DEFAULT_SECTIONS,
        fit_strategy: str = "aspects",
        dtype: str = "auto",
        model_obj: PreTrainedModel | None = None,
        tokenizer: PreTrainedTokenizerBase | None = None,
    ):
        import torch

        self.tokenizer = tokenizer or load_tokenizer(model)
        if model_obj is None:
            torch_dtype: Any = torch.float32 if dtype == "auto" and not torch.cuda.is_available() else dtype
            model_obj = load_model(model, dtype=torch_dtype)
            if adapter is not None:
                from peft import PeftModel

                model_obj = PeftModel.from_pretrained(model_obj, str(find_adapter_dir(adapter)))
            if torch.cuda.is_available():
                model_obj = model_obj.to("cuda")
        self._setup(model_obj.eval(), settings, max_source_tokens, sections, fit_strategy)

    @classmethod
    def from_model(
        cls,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        settings: GenerationSettings,
        *,
        max_source_tokens: int | None = None,
    ) -> LocalSummarizer:
        """Wrap a model already in memory (e.g. the one being trained); its train/eval mode is the caller's."""
        summarizer = cls.__new__(cls)
        summarizer.tokenizer = tokenizer
        summarizer._setup(model, settings, max_source_tokens, DEFAULT_SECTIONS, "aspects")
        return summarizer

    def _setup(
        self, model: PreTrainedModel, settings: GenerationSettings, max_source_tokens: int | None,
        sections: Sequence[str], fit_strategy: str,
    ) -> None:
        self.model = model
        self.seq2seq = is_seq2seq(model)
        self.settings = settings
        self.max_summary_tokens = settings.max_summary_tokens
        self.inputs = (InputSettings(max_source_tokens, tuple(sections), fit_strategy)  # type: ignore[arg-type]
                       if max_source_tokens else None)

    def count_tokens(self, text: str) -> int:
        from filingsum.core.tokens import token_count

        return token_count(text, self.tokenizer)

    def regenerate(self, text: str, instruction: str | None, repetition_penalty: float) -> Generated:
        from dataclasses import replace

        settings = replace(self.settings, repetition_penalty=repetition_penalty)
        return self.summarize([text], [instruction], settings=settings)[0]

    def summarize_counted(self, texts: Sequence[str], instructions: Sequence[str | None] | None,
                          on_done: Callable[[Generated], None]) -> list[Generated]:
        """`summarize` one batch (``settings.batch_size``) at a time, ``on_done`` called for each summary of a
        batch as it finishes; the same batches, so the same summaries."""
        instructions = list(instructions or [None] * len(texts))
        size = self.settings.batch_size
        outputs: list[Generated] = []
        for start in range(0, len(texts), size):
            batch = self.summarize(texts[start : start + size], instructions[start : start + size])
            for generated in batch:
                on_done(generated)
            outputs += batch
        return outputs

    def summarize(
        self, texts: Sequence[str], instructions: Sequence[str | None] | None = None,
        settings: GenerationSettings | None = None,
    ) -> list[Generated]:
        """Greedy summaries in batches of ``settings.batch_size``; finish_reason "length" when one hit the cap.
        ``settings`` overrides the summarizer's own for this call (e.g. trying decoding settings on one model)."""
        import torch

        settings = settings or self.settings
        instructions = list(instructions or [None] * len(texts))
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
                    max_new_tokens=settings.max_summary_tokens,
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
                        finish_reason="stop" if finished else "length",
                    )
                )
        return outputs
