"""Shared by the serving tests: a real `transformers serve` on 127.0.0.1 with a tiny sampling model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.core.models import resolve_model
from filingsum.serving.launcher import ServerProcess, free_port, prepare_server


def sampling_tiny_model(out: Path) -> Path:
    """tiny-random with sampling on in its generation config: greedy decoding of a random model emits only
    newlines, which the client rightly rejects as an empty summary; sampling gives (garbage) words."""
    out = Path(out)
    shutil.copytree(resolve_model("tiny-random"), out)
    config_path = out / "generation_config.json"
    config = json.loads(config_path.read_text())
    config.update(do_sample=True, top_k=50, temperature=1.0)
    config_path.write_text(json.dumps(config))
    (out / "filingsum-manifest.json").unlink(missing_ok=True)
    return out


def tiny_server(tmp: Path, model_dir: Path | None = None) -> ServerProcess:
    model_dir = model_dir or sampling_tiny_model(tmp / "model")
    config = RunConfig.model_validate({
        "model": {"name": str(model_dir)},
        "serve": {"backend": "transformers", "port": free_port(), "startup_timeout_s": 180},
        "train": {"output_dir": str(tmp / "run")},
    })
    return prepare_server(config, log_path=tmp / "serve.log")
