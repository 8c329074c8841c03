"""The dataset directory (OUT): its pre-flight and clean-up before a build, and the swap that puts a build's
outputs in place as a whole.

A build writes its outputs into a staging dir beside OUT (``.OUT.build-PID``), hard-links in everything else
of OUT (the journal, the teacher cache, any other file) and swaps it with OUT in one step
(`filingsum.core.io.replace_directory`), so a kill, a Ctrl-C or a full disk leaves the previous dataset whole.
Temporaries of dead builds are removed at the next start.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from filingsum.core.errors import OutputPathError
from filingsum.core.io import (
    head_bytes,
    link_tree,
    preflight_output_dir,
    recover_replaced_directory,
    remove_stale_temporaries,
    replace_directory,
)
from filingsum.core.preflight import require_free_space

log = logging.getLogger("filingsum.dataset.build")  # the build's logger, whichever of its modules logs

# What a build writes into OUT, replaced as a whole; anything else in OUT is carried over untouched.
DATASET_OUTPUTS = ("records.jsonl", "train.jsonl", "validation.jsonl", "test.jsonl", "hf", "card.json", "card.md")
# What else a build keeps in OUT: its extraction journal, cached teacher answers, a shard's manifest.
BUILD_STATE = (".work", "teacher_cache", "shard")
_WHAT = "dataset directory (--out / data.out_dir)"


def build_owned(out: Path) -> list[Path]:
    """Everything a build writes in OUT, which it never reads back as an input or a gold file."""
    return [out / name for name in (*DATASET_OUTPUTS, *BUILD_STATE)]


def prepare_output_dir(out: Path) -> None:
    """Pre-flight for OUT (exit 2 in one line when it cannot take the dataset) and clean-up after killed
    builds: a dataset left half-swapped is restored, stale temporaries beside and inside OUT removed."""
    resolved, cwd = Path(os.path.realpath(out)), Path(os.path.realpath(Path.cwd()))
    if resolved in (cwd, *cwd.parents) or resolved == Path(os.path.realpath(Path.home())):
        # the dataset dir is swapped whole: the shell would be left in a deleted directory
        raise OutputPathError(f"{out}: {_WHAT} is the current directory, one above it or the home directory; a "
                              "build replaces its output dir whole: give a new dir, e.g. --out data/built/NAME")
    recover_replaced_directory(out)
    preflight_output_dir(out, what=_WHAT)
    real = Path(os.path.realpath(out))
    check_no_foreign_outputs(out, real)
    remove_stale_temporaries(real.parent, prefix=f".{real.name}.")  # only our own names beside OUT
    for directory in (real, real / "hf", real / ".work"):
        remove_stale_temporaries(directory)
    # A rebuild needs room for a second copy of the dataset while the first is still in place.
    require_free_space(out, 2 * _dataset_bytes(real), what=_WHAT)


# A build's card.json opens so (`dataset.card.build_card`); with it, OUT is an earlier dataset, replaced as a whole.
_CARD_HEAD = re.compile(rb'\A\s*\{\s*"records"\s*:\s*\d+\s*,\s*"splits"\s*:\s*\{')


def is_earlier_dataset(out: Path) -> bool:
    """Whether ``out`` is a build's output: it has a build's card.json, or the extraction journal of a build
    stopped before its first swap (``.work/extract.jsonl``; resumed by the next build)."""
    head = head_bytes(out / "card.json")
    return bool(head and _CARD_HEAD.match(head)) or (out / ".work" / "extract.jsonl").is_file()


def check_no_foreign_outputs(out: Path, real: Path) -> None:
    """`OutputPathError` (exit 2) when OUT is not an earlier dataset and holds a file or a non-empty dir of a
    dataset output's name (a user's own train.jsonl, card.md, hf/), which the build would replace."""
    if is_earlier_dataset(real):
        return
    for name in DATASET_OUTPUTS:
        path = real / name
        try:
            taken = any(path.iterdir()) if path.is_dir() else path.lstat().st_size > 0 or path.is_symlink()
        except OSError:
            continue  # not there
        if taken:
            raise OutputPathError(
                f"{out / name}: already exists and {out} is not an earlier dataset (no card.json of a build), so "
                "the build would replace it; give --out a new dir, or move the file away first if it may go")


def _dataset_bytes(out: Path) -> int:
    total = 0
    for name in DATASET_OUTPUTS:
        path = out / name
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total


def has_records(out: Path) -> bool:
    """Whether OUT holds a dataset with at least one record (a non-empty records.jsonl)."""
    try:
        with open(out / "records.jsonl", "rb") as fh:
            return bool(fh.read(1))
    except OSError:
        return False


def replace_outputs(out: Path, write_files: Callable[[Path], None]) -> None:
    """Have ``write_files(folder)`` write every dataset output, and put them in OUT in one step (module
    docstring); OUT's other entries (journal, teacher cache, anything else) are kept. Where OUT cannot be
    swapped (a mount point, another file system beside it) ``write_files(OUT)`` replaces them one by one."""
    out = Path(os.path.realpath(out))
    staging = out.parent / f".{out.name}.build-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if os.path.ismount(out):
            raise OSError(errno.EBUSY, "a mount point", str(out))
        staging.mkdir()
    except OSError as exc:  # a mount point, or a parent that takes no new entry: no swap possible
        log.warning("%s cannot be swapped as a whole (%s); replacing its files one by one", out, exc.strerror)
        write_files(out)
        return
    try:
        write_files(staging)
        for entry in out.iterdir() if out.is_dir() else ():
            if entry.name not in DATASET_OUTPUTS and not entry.name.startswith(".probe."):
                link_tree(entry, staging / entry.name)
        try:
            replace_directory(staging, out)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EBUSY, errno.EPERM, errno.EACCES):
                raise
            log.warning("%s cannot be swapped as a whole (%s); replacing its files one by one", out, exc.strerror)
            write_files(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
