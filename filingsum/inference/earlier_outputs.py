"""Files in an input directory that filingsum wrote itself, to leave out of `summarize DIR`: an earlier results file
(`summarize --out` under another name, JSONL or Markdown, told by `batch.is_summaries_file`) and the files of an
earlier dataset (a dir with card.json and records.jsonl, as `data build` writes it, which leaves such a dir out of
its own inputs likewise). Neither holds filings: read as inputs, a results file was an error record (exit 1) and
a dataset's records were summarized twice (records.jsonl and their split), its empty split an error.

Files named as inputs themselves are kept: naming a dataset's test.jsonl summarizes its records.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from filingsum.core.errors import UsageError
from filingsum.core.io import first_json_line, head_bytes
from filingsum.inference.batch import is_summaries_file

log = logging.getLogger("filingsum.inference.batch")  # the batch's logger, as its other input notes


def is_dataset_dir(folder: Path) -> bool:
    """Whether ``folder`` is a dataset `data build` wrote (its card.json and records.jsonl)."""
    return (folder / "card.json").is_file() and (folder / "records.jsonl").is_file()


def is_earlier_summaries(path: Path) -> bool:
    """Whether the file ``path`` is an earlier `summarize --out`: its head is results (`is_summaries_file`), and a
    JSONL row of it has no `text` (a JSONL of filings to summarize has one)."""
    head = head_bytes(path)
    if head is None or not is_summaries_file(head):
        return False
    row = first_json_line(head)
    return not (isinstance(row, dict) and "text" in row)


def without_earlier_outputs(specs: Sequence[str], files: Sequence[str], *, refuse_empty: bool = True) -> list[str]:
    """``files`` (found for ``specs``) less earlier results files and the files of earlier datasets that were
    found in a directory or by a glob, with one logged warning naming what was left out. UsageError (exit 2) when
    that leaves nothing and ``refuse_empty``: the inputs hold only filingsum's own outputs."""
    named = {os.path.realpath(os.path.expanduser(s)) for s in specs if os.path.isfile(os.path.expanduser(s))}
    datasets: dict[Path, int] = {}
    summaries: list[str] = []
    kept: list[str] = []
    known: dict[Path, bool] = {}
    for file in files:
        real = Path(os.path.realpath(file))
        if str(real) in named:
            kept.append(file)
            continue
        dataset = next((d for d in real.parents if _cached(known, d)), None)
        if dataset is not None:
            datasets[dataset] = datasets.get(dataset, 0) + 1
        elif is_earlier_summaries(real):
            summaries.append(file)
        else:
            kept.append(file)
    if not (datasets or summaries):
        return kept
    what = _describe(summaries, datasets)
    if not kept and refuse_empty:
        hint = "; name its records.jsonl or a split file to summarize a dataset's records" if datasets else ""
        raise UsageError(f"{', '.join(specs)}: no filings to summarize: it holds only filingsum's own outputs "
                         f"({what}){hint}")
    log.warning("left out of the inputs, as filingsum's own outputs and not filings: %s", what)
    return kept


def _cached(known: dict[Path, bool], folder: Path) -> bool:
    if folder not in known:
        known[folder] = is_dataset_dir(folder)
    return known[folder]


def _describe(summaries: list[str], datasets: dict[Path, int]) -> str:
    """"2 earlier summaries files (a.jsonl, b.md); 1 earlier dataset (ds: its 5 files)"."""
    parts = []
    if summaries:
        names = ", ".join(summaries[:3]) + (", ..." if len(summaries) > 3 else "")
        parts.append(f"{len(summaries)} earlier summaries file{'s' if len(summaries) > 1 else ''} ({names})")
    if datasets:
        names = ", ".join(f"{d}: its {n} file{'s' if n > 1 else ''}" for d, n in list(datasets.items())[:3])
        parts.append(f"{len(datasets)} earlier dataset{'s' if len(datasets) > 1 else ''} ({names}"
                     f"{', ...' if len(datasets) > 3 else ''})")
    return "; ".join(parts)
