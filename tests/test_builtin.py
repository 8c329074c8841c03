"""The shipped tuned default, `embedded:filingsum-smollm2`: present, small, bf16, documented, picked by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filingsum.core.config import RunConfig
from filingsum.core.models import builtin_default_adapter, find_adapter_dir

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_the_tuned_default_ships_as_a_small_bf16_adapter_with_a_card():
    from safetensors import safe_open

    folder = find_adapter_dir("embedded:filingsum-smollm2")
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["base_model_name_or_path"] == "embedded:smollm2-135m-instruct"
    weights = folder / "adapter_model.safetensors"
    assert weights.stat().st_size < 40 * 2**20  # rank 64 on all linear layers in bf16 (37 MiB), chosen on validation
    with safe_open(str(weights), "pt") as fh:
        dtypes = {str(fh.get_tensor(key).dtype) for key in fh.keys()}
    assert dtypes == {"torch.bfloat16"}
    card = (folder / "README.md").read_text()
    for needed in ("## Data", "## Recipe", "## Test scores", "## Limits", "bench_quality.py", "| rougeL |"):
        assert needed in card


def test_serve_falls_back_to_the_tuned_default_for_the_embedded_base(tmp_path):
    from filingsum.serving.launcher import default_adapters

    embedded = RunConfig.model_validate({"train": {"output_dir": str(tmp_path / "no-run")}})
    name, folder = builtin_default_adapter(embedded.model.name)
    assert default_adapters(embedded) == {name: folder} and name == "filingsum-smollm2"
    other = RunConfig.model_validate({"model": {"name": "tiny-random"}, "train": {"output_dir": str(tmp_path / "r")}})
    assert default_adapters(other) == {}  # no shipped adapter for other bases
    pinned = embedded.model_copy(deep=True)
    pinned.serve.adapters = {"mine": str(folder)}
    assert default_adapters(pinned) == {"mine": folder}  # configured adapters win


@pytest.mark.slow
def test_the_tuned_default_writes_prose_without_a_loop_on_a_filing_it_never_saw():
    """Fusion is a test company of the quality split: the adapter never trained on it."""
    from filingsum.core.config import load_config
    from filingsum.inference.factory import summarizer_from_config
    from filingsum.quality.metrics import has_loop, is_prose

    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "smollm2-cpu.yaml")
    tuned = summarizer_from_config(config, "tuned", adapter="embedded:filingsum-smollm2", max_summary_tokens=200)
    base = summarizer_from_config(config, "zero-shot", max_summary_tokens=200)
    (result,) = tuned.summarize_file(SAMPLES / "fusion_10k_2016_item1_prompt.txt")
    assert result.summary and is_prose(result.summary) and not has_loop(result.summary)
    (zero,) = base.summarize_file(SAMPLES / "fusion_10k_2016_item1_prompt.txt")
    assert zero.summary != result.summary
