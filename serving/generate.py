"""Batch generation through a vLLM server started for the purpose: `filingsum eval` with eval.generate_with: vllm.

One server per call, on a free 127.0.0.1 port, with the run's serve.* settings: the base model (``adapter``
None, the zero-shot system) or the adapter (the tuned system), served as `filingsum serve` serves it on this
machine (merged weights on CPU, by name on a GPU; serve.lora chooses). Each text is sent as
`filingsum summarize` sends it (``FilingSummarizer``: the prompt contract, temperature 0, ``max_tokens``,
under the server-side cap serve.max_tokens), concurrently, so the eval scores what the server returns to
users. The server is stopped (its whole process group) before returning, also on error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from filingsum.core.config import RunConfig
from filingsum.core.schema import SummaryResult
from filingsum.inference.endpoint import FilingSummarizer
from filingsum.serving.launcher import free_port, launch

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8


def generate_with_server(
    config: RunConfig,
    adapter: str | Path | None,
    texts: Sequence[str],
    instructions: Sequence[str | None],
    *,
    max_tokens: int,
    ids: Sequence[str] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    log_path: str | Path | None = None,
) -> list[SummaryResult]:
    """One ``SummaryResult`` per text, in order (a summary or an error, never an exception per text).

    Raises ``ServerStartError``/``FilingsumError`` when no vLLM server can be started.
    """
    if len(texts) != len(instructions):
        raise ValueError(f"{len(texts)} texts but {len(instructions)} instructions")
    ids = list(ids) if ids is not None else [f"text-{i}" for i in range(len(texts))]
    run = config.model_copy(deep=True)
    run.serve.port = free_port(run.serve.host if run.serve.host not in ("0.0.0.0", "::") else "127.0.0.1")
    adapters = {run.run_name: Path(adapter)} if adapter else {}
    role = "tuned" if adapter else "base"
    log_path = Path(log_path) if log_path else Path(run.eval.out_dir) / f"serve-vllm-{role}.log"
    with launch(run, backend="vllm", adapters=adapters, log_path=log_path) as server:
        model = server.model_names[-1]
        log.info("generating %d summaries through vLLM (%s on %s, %s weights, model %r)", len(texts), role,
                 server.device, server.weights, model)
        client = FilingSummarizer(
            server.base_url, model, tokenizer=run.model.name, max_source_tokens=run.model.max_source_tokens,
            max_tokens=max_tokens, concurrency=concurrency, progress=False,
        )
        client.tokenizer  # load once, before the threads race for it
        with ThreadPoolExecutor(max(1, min(concurrency, len(texts)))) as pool:
            results = list(pool.map(
                lambda item: client.summarize_text(item[1], item[2], id=item[0]), zip(ids, texts, instructions)
            ))
    for result in results:
        if result.error:
            log.warning("%s: %s", result.id, result.error)
    return results
