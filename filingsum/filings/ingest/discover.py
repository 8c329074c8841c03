"""Find the input files that a list of specs names: files, directories searched recursively, glob patterns.

Anything named that is not a regular file (a FIFO, a device, a symlink loop) is refused with `IngestError`; files
under an excluded directory (a build's own output) are left out with a warning, so a build never reads its own
output.
"""

from __future__ import annotations

import glob
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from filingsum.core.io import non_regular_reason
from filingsum.filings.ingest.document import IngestError

log = logging.getLogger("filingsum.filings.ingest")  # the logger these messages have always come from

INPUT_SUFFIXES = (".txt", ".text", ".htm", ".html", ".xhtml", ".jsonl")


def discover_inputs(
    specs: list[str], suffixes: tuple[str, ...] = INPUT_SUFFIXES, exclude: tuple[str | os.PathLike[str], ...] = (),
    *, on_error: Callable[[str, Exception], None] | None = None, left_out: Counter[str] | None = None,
) -> list[Path]:
    """Files named by `specs` (files, directories searched recursively, glob patterns), sorted and deduplicated:
    a file named twice (itself and in its directory, or by two globs) is there once, by its resolved path.

    Directories contribute files with one of `suffixes` (hidden files skipped), searched through links to
    directories too (each directory once: a link back up is a loop, named and not followed); a named file is taken
    whatever its suffix. A directory's files of other suffixes are counted in one logged line, and by suffix in
    ``left_out`` when given (".gz": 2). Files under a directory of `exclude` (a build's own output dir) are left
    out, with a warning naming the spec that contains it. A spec that matches nothing, or names something that is
    not a regular file (a FIFO, a device, a symlink loop), raises IngestError; a directory without input files is
    a warning.
    With ``on_error``, such a spec's IngestError (or OSError) is handed to ``on_error(spec, error)`` instead and
    the other specs are still searched (the Python API makes an error record of it).
    """
    excluded = [Path(os.path.realpath(e)) for e in exclude]
    found: set[Path] = set()
    for spec in specs:
        try:
            _add_spec(spec, suffixes, excluded, found, left_out)
        except (IngestError, OSError) as exc:
            if on_error is None:
                raise
            on_error(spec, exc)
    return sorted(found)


def _add_spec(
    spec: str, suffixes: tuple[str, ...], excluded: list[Path], found: set[Path], left_out: Counter[str] | None,
) -> None:
    """Add the files one spec names to ``found``; IngestError when it names nothing usable."""
    path = Path(spec).expanduser()
    if path.is_file():
        named = _named_file(spec, path, excluded)
        if named is not None:
            found.add(named)
    elif path.is_dir():
        others = _add_directory(spec, path, suffixes, excluded, found, say_others=left_out is None)
        if left_out is not None:
            left_out.update(others)
    elif glob.has_magic(spec):
        found.update(_glob_files(spec, excluded))
    elif os.path.lexists(path):
        raise IngestError(spec, non_regular_reason(path) or "not a regular file")
    else:
        raise IngestError(spec, "no such file or directory")


def _is_excluded(resolved: Path, excluded: list[Path]) -> bool:
    return any(resolved == e or e in resolved.parents for e in excluded)


def _named_file(spec: str, path: Path, excluded: list[Path]) -> Path | None:
    """The resolved path of a file named by ``spec``; None when it lies in an excluded dir (with a warning)."""
    reason = non_regular_reason(path)  # /proc and /sys files look regular to stat
    if reason is not None:
        raise IngestError(spec, reason)
    if _is_excluded(path.resolve(), excluded):
        log.warning("input %s is inside the output dir; skipped (a build never reads its own output)", spec)
        return None
    return path.resolve()


def _add_directory(
    spec: str, path: Path, suffixes: tuple[str, ...], excluded: list[Path], found: set[Path], *, say_others: bool,
) -> Counter[str]:
    """Add the input files under the directory ``path`` to ``found``, leaving out hidden files and excluded dirs;
    warn when it is excluded itself, contains an excluded dir, or adds no file, and name each entry with an input
    suffix that is not a regular file (a link to /dev/zero, a broken link, a FIFO) as skipped, with why. Returns
    the count by suffix of its regular files left out for their suffix (said in one logged line with
    ``say_others``; else the caller says it)."""
    real = Path(os.path.realpath(path))
    if _is_excluded(real, excluded):
        log.warning("input %s is the output dir or inside it; skipped (a build never reads its own "
                    "output)", spec)
        return Counter()
    inside = [e for e in excluded if real in e.parents and e.exists()]
    before, left_out, others = len(found), 0, Counter[str]()
    for child in _walk(path):
        if child.suffix.lower() not in suffixes:
            if child.is_file() and not (inside and _is_excluded(child.resolve(), excluded)):
                others[child.suffix.lower() or "(no suffix)"] += 1
            continue
        if not child.is_file():
            if not child.is_dir():  # a link to a device, a broken link, a FIFO: named, not silently left out
                log.warning("input %s: skipped: %s", child, non_regular_reason(child) or "not a regular file")
            continue
        if inside and _is_excluded(child.resolve(), excluded):
            left_out += 1
        else:
            found.add(child.resolve())
    if left_out:
        log.warning("input %s contains the output (%s): its %d file(s) skipped (a build never reads its own "
                    "output)", spec, ", ".join(str(e) for e in inside[:3]), left_out)
    if len(found) == before and not left_out:
        log.warning("input directory %s holds no input files (%s)%s; nothing taken from it", spec,
                    ", ".join(suffixes), f"; it holds {other_files(others)}" if others else "")
    elif others and say_others:
        log.warning("input %s: left out for their suffix: %s (a directory gives only %s files; name a file to "
                    "read it whatever its suffix)", spec, other_files(others), ", ".join(suffixes))
    return others


def other_files(counts: Counter[str]) -> str:
    """Files left out by suffix, in words, most common first.

    >>> other_files(Counter({".gz": 1, ".xml": 2}))
    '3 files (2 .xml, 1 .gz)'
    >>> other_files(Counter({".gz": 1}))
    '1 .gz file'
    """
    total = sum(counts.values())
    if len(counts) == 1:
        ((suffix, n),) = counts.items()
        return f"{n} {suffix} file{'s' if n > 1 else ''}"
    shown = ", ".join(f"{n} {suffix}" for suffix, n in counts.most_common(6))
    return f"{total} files ({shown}{', ...' if len(counts) > 6 else ''})"


def _walk(root: Path) -> Iterator[Path]:
    """Every entry under the directory ``root`` that is not a directory (files, links, FIFOs), hidden ones and
    those in hidden directories left out, following links to directories: each directory is searched once, and
    a link back to a directory above it (a loop) is named and not followed; an unreadable directory is named."""
    seen = {os.path.realpath(root)}

    def unreadable(exc: OSError) -> None:
        log.warning("input %s: cannot read the directory (%s); its files are left out", exc.filename,
                    exc.strerror or exc)

    for folder, dirs, names in os.walk(root, followlinks=True, onerror=unreadable):
        here = Path(folder)
        for name in list(dirs):
            target = os.path.realpath(here / name)
            if name.startswith(".") or target in seen:
                dirs.remove(name)
                if not name.startswith(".") and target in _walked_reals(root, here):
                    log.warning("input %s: not followed: a link to %s, a directory above it (a loop)", here / name,
                                target)
                continue
            seen.add(target)
        yield from (here / name for name in sorted(names) if not name.startswith("."))


def _walked_reals(root: Path, here: Path) -> set[str]:
    """The real paths of the directories walked from ``root`` down to ``here`` (through links): a link to one of
    them is a loop."""
    reals, folder = {os.path.realpath(root)}, root
    for part in here.relative_to(root).parts:
        folder = folder / part
        reals.add(os.path.realpath(folder))
    return reals


def _glob_files(spec: str, excluded: list[Path]) -> list[Path]:
    """The files a glob pattern matches, resolved, outside excluded dirs; IngestError when there are none."""
    matches = [Path(m) for m in glob.glob(os.path.expanduser(spec), recursive=True)]
    files = [m.resolve() for m in matches if m.is_file() and not _is_excluded(m.resolve(), excluded)]
    if not files:
        raise IngestError(spec, "glob pattern matches no files")
    return files
