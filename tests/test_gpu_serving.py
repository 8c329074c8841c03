"""vLLM serving on a CUDA GPU: adapter and merged weights behind the OpenAI API. Skipped without both."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.slow,
    pytest.mark.skipif(
        not torch.cuda.is_available() or importlib.util.find_spec("vllm") is None,
        reason="needs a CUDA GPU and vLLM (pip install 'filingsum[vllm]')",
    ),
]

SEED = Path(__file__).resolve().parents[1] / "data" / "samples" / "crexendo_10k_2016_item1_prompt.txt"


def _adapter(out: Path) -> Path:
    from peft import LoraConfig, get_peft_model

    from filingsum.core.models import load_model

    model = load_model("embedded:smollm2-135m-instruct")
    get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])).save_pretrained(out)
    return out


def test_vllm_serves_adapter_and_caps_output(tmp_path):
    from filingsum.core.config import RunConfig
    from filingsum.inference.endpoint import EndpointSummarizer
    from filingsum.serving.launcher import free_port, launch

    adapter = _adapter(tmp_path / "adapter")
    config = RunConfig.model_validate({
        "model": {"name": "embedded:smollm2-135m-instruct"},
        "serve": {"backend": "vllm", "port": free_port(), "adapters": {"filingsum": str(adapter)},
                  "max_summary_tokens": 32, "gpu_memory_utilization": 0.3, "max_model_len": 4096},
        "train": {"output_dir": str(tmp_path / "run")},
    })
    with launch(config) as server:
        assert server.backend == "vllm" and "filingsum" in server.model_names
        client = EndpointSummarizer(server.base_url, "filingsum", tokenizer=config.model.name, max_summary_tokens=512,
                                    max_source_tokens=config.model.max_source_tokens)
        (result,) = client.summarize_file(SEED)
        assert result.error is None and result.summary
        assert result.completion_tokens <= 32  # the server-side cap wins over the client's 512
