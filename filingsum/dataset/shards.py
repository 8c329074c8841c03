"""Split one dataset build across machines by input file, and put the shards back together.

``filingsum data build --shard K/N`` keeps the input files whose shard key hashes to K (of N), builds them as
usual and also writes ``OUT/shard/manifest.json`` (which split, the inputs, the extraction settings, the run
counts) and ``OUT/shard/files.jsonl`` (each of its files with its position in the full, sorted input list and
its sections or skip reason). The shard key is the file's path relative to the input spec it was found under
(a directory, a glob's fixed prefix, or the file itself), so machines that mount the corpus at different
places still agree on the split.

``filingsum data merge SHARD_DIR... --out DIR`` checks that the directories are shards 1..N of one split
(same N, same inputs, same extraction settings), restores input order and runs the rest of the build (dedup,
fitting, references, filters, split, card) over the union, so the result equals one build of all the files.
Parsing, the expensive part, is never repeated; teacher answers cached by the shards are reused.
"""

from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import atomic_write_bytes, atomic_write_json, atomic_write_jsonl, read_jsonl

MANIFEST = Path("shard") / "manifest.json"
FILES = Path("shard") / "files.jsonl"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'K/N' with 1 <= K <= N; FilingsumError otherwise."""
        try:
            k, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise FilingsumError(f"--shard {text!r}: expected K/N, e.g. 1/4 (shard K of N, counting from 1)") from None
        if not 1 <= k <= n:
            raise FilingsumError(f"--shard {text!r}: K must be between 1 and N")
        return cls(k, n)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """Whether the file with this shard key belongs to this shard."""
        return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16) % self.count == self.index - 1


def _spec_root(spec: str) -> Path | None:
    """The folder a spec's files are named relative to (None for a single-file spec)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.is_file():
        return None
    if glob.has_magic(spec):
        fixed = []
        for part in path.parts:
            if glob.has_magic(part):
                break
            fixed.append(part)
        return Path(*fixed).resolve() if fixed else Path.cwd()
    return None


def shard_key(path: Path, specs: list[str]) -> str:
    """The file's path relative to the first spec that names it (its name for a file spec), POSIX style."""
    for spec in specs:
        root = _spec_root(spec)
        if root is None:
            if Path(spec).expanduser().resolve() == path:
                return path.name
        elif path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.name


def select(files: list[Path], specs: list[str], shard: Shard) -> list[int]:
    """Positions in ``files`` of the files that belong to ``shard``."""
    return [i for i, path in enumerate(files) if shard.owns(shard_key(path, specs))]


# --- manifest --------------------------------------------------------------------------------------------


def write_manifest(
    out: Path, shard: Shard, *, specs: list[str], settings: dict[str, Any], files_total: int,
    rows: list[dict[str, Any]], skipped_inputs: list[dict[str, str]], extracted: int, resumed: int,
) -> None:
    """Record a shard's extraction; ``rows`` are {position, path, sections, skip} in input order."""
    atomic_write_jsonl(out / FILES, rows)
    atomic_write_json(out / MANIFEST, {  # last: its presence means the shard's files.jsonl is complete
        "version": MANIFEST_VERSION, "shard": str(shard), "inputs": list(specs), "settings": settings,
        "files_total": files_total, "files": len(rows), "skipped_inputs": skipped_inputs,
        "files_extracted": extracted, "files_resumed": resumed,
    })


@dataclass
class MergedShards:
    """The shards' extraction as one build's: every input file in input order."""

    inputs: list[str]
    settings: dict[str, Any]
    rows: list[dict[str, Any]]  # {position, path, sections, skip}, one per input file, by position
    skipped_inputs: list[dict[str, str]]
    extracted: int
    resumed: int


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise UsageError(
            f"{folder}: not a finished shard (no {MANIFEST}); build it with filingsum data build --shard K/N"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: unreadable shard manifest ({exc}); build the shard again") from None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    if version != MANIFEST_VERSION:
        raise UsageError(f"{path}: shard manifest version {version}, expected {MANIFEST_VERSION}")
    return manifest


def refuse_a_shard_as_out(out: Path, folders: list[Path]) -> None:
    """UsageError (exit 2, before anything is written) when the merge's output dir is one of its shard dirs: the
    merged dataset would replace that shard's own (its manifest kept, its records gone) without a word."""
    import os

    real_out = os.path.realpath(out)
    for folder in folders:
        if os.path.realpath(folder) == real_out:
            raise UsageError(
                f"{out}: the output dir (--out / data.out_dir) is the shard dir {folder} this merge reads; the "
                "merged dataset would replace that shard's: give a new dir, e.g. --out data/built/all"
            )


def refuse_another_shard(out: Path, shard: Shard | None) -> None:
    """UsageError (exit 2, before anything is written) when ``out`` holds a finished shard (its manifest) other
    than ``shard`` (None: a build of all the inputs, or a merge): the build would replace that shard's dataset,
    and a later merge would read its stale manifest. The same shard again (a resume or a rebuild) goes on."""
    path = out / MANIFEST
    try:
        held = json.loads(path.read_text(encoding="utf-8")).get("shard")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return  # no shard here (or an unreadable manifest, which a rebuild of that shard replaces)
    if not isinstance(held, str) or held == (str(shard) if shard else None):
        return
    this = f"shard {shard}" if shard else "a dataset of all the inputs"
    raise UsageError(f"{out}: holds shard {held} of a split build ({path}); building {this} there would replace "
                     f"it: give each shard its own --out (or remove {out} to rebuild it)")


def read_shards(folders: list[Path]) -> MergedShards:
    """The union of shards 1..N of one split; UsageError (exit 2) naming what is missing or inconsistent."""
    if not folders:
        raise UsageError("no shard directories given")
    manifests = [(folder, _manifest(folder)) for folder in folders]
    first_folder, first = manifests[0]
    count = Shard.parse(first["shard"]).count
    seen: dict[int, Path] = {}
    for folder, manifest in manifests:
        shard = Shard.parse(manifest["shard"])
        for key in ("inputs", "settings", "files_total"):
            if manifest[key] != first[key]:
                raise UsageError(
                    f"{folder}: {key} differs from {first_folder} ({manifest[key]!r} vs {first[key]!r}); "
                    "shards of one dataset must be built with the same inputs and data settings"
                )
        if shard.count != count:
            raise UsageError(f"{folder}: shard {shard} is not one of {count} like {first_folder}")
        if shard.index in seen:
            raise UsageError(f"{folder}: shard {shard} given twice (also {seen[shard.index]})")
        seen[shard.index] = folder
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise UsageError(f"shard(s) {', '.join(f'{k}/{count}' for k in missing)} missing: merge needs all {count}")
    rows: list[dict[str, Any] | None] = [None] * first["files_total"]
    for folder, _ in manifests:
        for row in read_jsonl(folder / FILES):
            position = row["position"]
            if not 0 <= position < len(rows) or rows[position] is not None:
                raise UsageError(f"{folder / FILES}: file position {position} clashes with another shard")
            rows[position] = row
    absent = sum(1 for r in rows if r is None)
    if absent:
        raise UsageError(f"the shards list {len(rows) - absent} of {len(rows)} input files; a shard is incomplete")
    return MergedShards(
        inputs=first["inputs"], settings=first["settings"], rows=rows,  # type: ignore[arg-type]
        skipped_inputs=first["skipped_inputs"],
        extracted=sum(m["files_extracted"] for _, m in manifests),
        resumed=sum(m["files_resumed"] for _, m in manifests),
    )


def copy_teacher_caches(folders: list[Path], target: Path) -> int:
    """Copy the shards' cached teacher answers (content-addressed files) into ``target``; how many were new."""
    copied = 0
    for folder in folders:
        cache = folder / "teacher_cache"
        if not cache.is_dir():
            continue
        for entry in cache.rglob("*.json"):
            dest = target / entry.relative_to(cache)
            if not dest.exists():
                atomic_write_bytes(dest, entry.read_bytes())
                copied += 1
    return copied
