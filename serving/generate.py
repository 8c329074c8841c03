"""A vLLM server started for a batch job: `filingsum eval` with eval.generate_with: vllm.

One server per call, on a free 127.0.0.1 port, with the run's serve.* settings: the base model (``adapter``
None, the zero-shot system) or the adapter (the tuned system), served as `filingsum serve` serves it on this
machine (merged weights on CPU, by name on a GPU; serve.lora chooses). The caller sends its requests with the
endpoint client while the context is open; the server (its whole process group) is stopped on exit, also on
error or Ctrl-C.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.serving.launcher import launch
from filingsum.serving.ports import free_port

log = logging.getLogger(__name__)


@contextmanager
def vllm_server_for(
    config: RunConfig, adapter: str | Path | None, *, log_path: str | Path | None = None,
) -> Iterator[tuple[str, str]]:
    """Serve the base (``adapter`` None) or the adapter; yields (base URL, served model name).

    Raises ``ServerStartError``/``FilingsumError`` when no vLLM server can be started.
    """
    run = config.model_copy(deep=True)
    # A private server for this eval only: loopback, and no API key (eval's client is its only caller).
    run.serve.host, run.serve.api_key_env = "127.0.0.1", None
    run.serve.port = free_port(run.serve.host)
    adapters = {run.run_name: Path(adapter)} if adapter else {}
    role = "tuned" if adapter else "base"
    log_path = Path(log_path) if log_path else Path(run.eval.out_dir) / f"serve-vllm-{role}.log"
    with launch(run, backend="vllm", adapters=adapters, log_path=log_path) as server:
        model = server.model_names[-1]
        log.info("generating through vLLM (%s on %s, %s weights, model %r)", role, server.device, server.weights,
                 model)
        yield server.base_url, model
