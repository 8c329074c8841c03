"""merge_adapter: the merged safetensors model generates exactly what base + adapter generates."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from filingsum.core.models import load_tokenizer, resolve_model
from filingsum.core.prompt import render_prompt
from filingsum.inference.adapters import MergeError, merge_adapter


def _random_adapter(spec: str, out: Path) -> Path:
    """A LoRA adapter with non-zero B matrices (init_lora_weights=False), so merging changes the model."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(resolve_model(spec))
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 init_lora_weights=False, task_type="CAUSAL_LM"))
    peft_model.save_pretrained(out)
    load_tokenizer(spec).save_pretrained(out)
    return out


def _greedy_and_logits(model, ids: torch.Tensor, new_tokens: int) -> tuple[list[int], torch.Tensor]:
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                             max_new_tokens=new_tokens, pad_token_id=0)
        return out[0].tolist(), model(input_ids=ids).logits


def _check_merge(spec: str, tmp_path: Path, new_tokens: int) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    adapter = _random_adapter(spec, tmp_path / "adapter")
    merged_dir = merge_adapter(adapter, tmp_path / "merged")
    assert list(merged_dir.glob("*.safetensors")) and (merged_dir / "tokenizer.json").is_file()
    assert not (merged_dir / "adapter_config.json").exists()

    tok = load_tokenizer(str(merged_dir))
    assert tok.chat_template == load_tokenizer(spec).chat_template
    ids = torch.tensor([tok(render_prompt(tok, "Acme sells widgets to retailers for cash."),
                            add_special_tokens=False)["input_ids"]])
    with_adapter = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(resolve_model(spec)), str(adapter)).eval()
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    base = AutoModelForCausalLM.from_pretrained(resolve_model(spec)).eval()

    gen_adapter, logits_adapter = _greedy_and_logits(with_adapter, ids, new_tokens)
    gen_merged, logits_merged = _greedy_and_logits(merged, ids, new_tokens)
    _, logits_base = _greedy_and_logits(base, ids, 1)
    assert gen_merged == gen_adapter
    # W x + B(A x) vs (W + BA) x: same maths, different float summation order, accumulated over the layers
    # (the 30-layer embedded model differs by ~1e-4 on logits of magnitude ~10; greedy tokens are identical).
    torch.testing.assert_close(logits_merged, logits_adapter, rtol=1e-4, atol=5e-4)
    assert not torch.allclose(logits_base, logits_merged, atol=1e-3)  # the adapter was really folded in


def test_merge_matches_base_plus_adapter_tiny(tmp_path):
    _check_merge("tiny-random", tmp_path, new_tokens=12)


@pytest.mark.slow
def test_merge_matches_base_plus_adapter_embedded(tmp_path):
    _check_merge("embedded:smollm2-135m-instruct", tmp_path, new_tokens=20)


def test_merge_rejects_a_dir_without_adapter(tmp_path):
    with pytest.raises(MergeError, match="adapter_config.json"):
        merge_adapter(tmp_path, tmp_path / "out")
