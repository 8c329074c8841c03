"""Scoring every system's predictions, document by document, in one process or several.

Scoring is CPU-bound Python (ROUGE's LCS, the claim and figure checks; about 0.1 s per summary of a 20k-character
source), so more cores need processes, not threads. The work is grouped by source: a source's indexes (figures,
names, n-grams) are built once and reused by every system that summarised it, so a group never crosses
processes. Workers come from `filingsum.core.parallel` (the pool the dataset build uses: forkserver, crash
isolation, Ctrl-C and SIGTERM stop them, no orphans). The rows do not depend on the number of workers.

Small evals stay in this process: a worker's start-up (about a second to import the metrics) would cost more
than it saves, and so does a model-based check (`nli_model`), which every worker would load again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from filingsum.core.parallel import TaskOutcome, default_workers, run_tasks
from filingsum.core.schema import PredictionRecord
from filingsum.quality.metrics import score_document

log = logging.getLogger(__name__)

# The longest source a document is scored against (characters). A whole 10-K's text is 1-2 million; scoring is
# linear, about 10 s per million on one core, so a pasted 60 MB blob would hold the run for many minutes.
MAX_SCORED_SOURCE_CHARS = 10_000_000
SOURCES_PER_WORKER = 16  # below this many distinct sources per worker, more workers cost more than they save
_PRELOAD = ("filingsum.quality.metrics",)  # imported once in the forkserver, not in every worker

WorkItem = tuple[str, PredictionRecord, int]  # system name, prediction, its token count
Row = dict[str, Any]


def score_one(pred: PredictionRecord, n_tokens: int, *, max_summary_tokens: int, nli_model: str | None) -> Row:
    """One document's metrics, or its error: a failed prediction, a source over the cap, a scoring error."""
    if pred.error:
        # The system failed on this document: a failure, not an empty summary that "fits the limit".
        return {"error": f"prediction failed: {pred.error}"}
    if len(pred.source) > MAX_SCORED_SOURCE_CHARS:
        return {"error": f"source of {len(pred.source):,} characters is over the {MAX_SCORED_SOURCE_CHARS:,} "
                         "scored (a whole filing's text is far less): not scored"}
    try:
        return score_document(pred.prediction, pred.source, pred.reference, n_tokens=n_tokens,
                              max_summary_tokens=max_summary_tokens, nli_model=nli_model, company=pred.company)
    except Exception as exc:  # noqa: BLE001
        # One pathological document must not sink a whole run (nor lose the others' scores): record the error
        # in its row and the report's counts, keep scoring the rest.
        return {"error": f"could not be scored: {type(exc).__name__}: {exc}"}


def score_group(items: Sequence[WorkItem], max_summary_tokens: int, nli_model: str | None) -> list[Row]:
    """The rows of one source's predictions, in order (a worker's task)."""
    return [score_one(pred, n, max_summary_tokens=max_summary_tokens, nli_model=nli_model) for _, pred, n in items]


def by_source(work: Sequence[WorkItem]) -> list[list[WorkItem]]:
    """The work in groups of one source each, in the order each source first appears."""
    groups: dict[str, list[WorkItem]] = {}
    for item in work:
        groups.setdefault(item[1].source, []).append(item)
    return list(groups.values())


def scoring_workers(n_sources: int, workers: int | None, nli_model: str | None) -> int:
    """Processes to score ``n_sources`` distinct sources with: ``workers`` (None: one per usable core), fewer when
    there are too few sources to share, and 1 with a model-based check."""
    if nli_model:
        return 1
    wanted = default_workers() if workers is None else workers
    return max(1, min(wanted, n_sources // SOURCES_PER_WORKER))


def score_work(
    work: Sequence[WorkItem],
    on_row: Callable[[WorkItem, Row], None],
    *,
    max_summary_tokens: int,
    nli_model: str | None,
    workers: int | None = None,
) -> int:
    """Score every item; ``on_row(item, row)`` runs in this process as each source's rows arrive. Returns the
    number of processes used (1: this one)."""
    groups = by_source(work)
    n_workers = scoring_workers(len(groups), workers, nli_model)
    if n_workers <= 1:
        for group in groups:
            for item, row in zip(group, score_group(group, max_summary_tokens, nli_model), strict=True):
                on_row(item, row)
        return 1

    def keep(i: int, outcome: TaskOutcome) -> None:
        if outcome.error is not None:  # the worker died or the task could not be sent: every row of it fails
            rows: list[Row] = [{"error": f"could not be scored: {outcome.error}"}] * len(groups[i])
        else:
            rows = outcome.value
        for item, row in zip(groups[i], rows, strict=True):
            on_row(item, row)

    log.info("scoring %d summaries of %d sources in %d worker processes", len(work), len(groups), n_workers)
    run_tasks(score_group, [(group, max_summary_tokens, nli_model) for group in groups], n_workers, keep,
              preload=_PRELOAD)
    return n_workers
