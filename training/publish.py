"""`train.push_to_hub`: at the end of a run, export it (merged model + card, as `filingsum export`) and upload it.

The run is complete before this starts (its adapter, contract, metrics and finished marker are written), so a
failed export or upload never costs the training: it is returned as a one-line error for the CLI to report,
with the fix (`filingsum export RUN --out DIR --push-to-hub REPO` retries it alone).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from filingsum.core.errors import FilingsumError
from filingsum.inference.export import ExportResult, export_model

log = logging.getLogger(__name__)
EXPORT_DIR = "export"


@dataclass
class PublishOutcome:
    repo: str
    export: ExportResult | None = None
    error: str | None = None  # why the export or the upload failed (the trained run is intact)


def publish_run(run_dir: str | Path, repo: str, *, api: object = None) -> PublishOutcome:
    """Export ``run_dir``'s adapter to ``<run_dir>/export`` and push it to ``repo``; errors are returned."""
    run_dir = Path(run_dir)
    try:
        result = export_model(run_dir, run_dir / EXPORT_DIR, push_to_hub=repo, overwrite=True, api=api)
    except FilingsumError as exc:
        error = (f"{exc}; the trained run in {run_dir} is complete: retry with `filingsum export {run_dir} "
                 f"--out {run_dir / EXPORT_DIR} --overwrite --push-to-hub {repo}`")
        log.error("train.push_to_hub: %s", error)
        return PublishOutcome(repo=repo, error=error)
    log.info("pushed %s to %s", result.out_dir, result.hub_url)
    return PublishOutcome(repo=repo, export=result)
