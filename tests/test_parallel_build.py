"""Parallel and sharded dataset builds on real files: the output is byte-identical for 1 and 2 worker
processes (with a file that kills its worker and one that raises), shards merged equal a single build, and
Ctrl-C on a real `filingsum data build` stops its workers and a rerun resumes from the journal."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from _extractors import crash_or_extract
from fixtures_text import BUSINESS_BODY

from filingsum.cli import main as cli_main
from filingsum.core.config import parse_config
from filingsum.core.errors import FilingsumError
from filingsum.core.io import read_jsonl
from filingsum.dataset import build as build_module
from filingsum.dataset.build import build_dataset
from filingsum.dataset.shards import Shard, select

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
GOLD = ROOT / "data" / "gold"


def _config(out: Path, **data):
    return parse_config({
        "model": {"name": "tiny-random", "max_source_tokens": 1024},
        "data": {"out_dir": str(out), "gold": [str(GOLD)], "references": ["gold", "extractive"], **data},
    }, "test")


OTHERS = {  # three more companies, worded apart so dedup keeps them all
    "acme_10k_2023.txt": "Item 1. Business\n\n" + BUSINESS_BODY,
    "harbor_10k_2022.txt": (
        "Item 1. Business\n\nHarbor Freightways operates regional trucking terminals in the Midwest. Shippers pay "
        "per load and under annual contracts; grocery chains are the largest customers. Revenue also comes from "
        "warehousing fees. A term loan and equipment leases fund the fleet."
    ),
    "lumen_10k_2021.txt": (
        "Item 1. Business\n\nLumen Optics makes camera lenses for smartphone makers in Asia, who buy under "
        "multi-year supply agreements. It licenses its coating patents for royalties and sells spare parts "
        "online. Operations are financed by convertible notes and retained earnings."
    ),
}


def _inputs(folder: Path, *extra: str) -> Path:
    """The seed filings, three more companies, an empty file and the named extra files."""
    folder.mkdir()
    for sample in sorted(SAMPLES.glob("*.txt")):
        shutil.copy(sample, folder / sample.name)
    for name, text in OTHERS.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name in extra:
        (folder / name).write_text(OTHERS["acme_10k_2023.txt"], encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    return folder


def _digests(out: Path) -> dict[str, str]:
    """sha256 of every output file (the journal in .work/ and a shard's own manifest aside)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*")) if p.is_file() and p.relative_to(out).parts[0] not in (".work", "shard")
    }


def test_output_is_byte_identical_for_one_and_two_workers_and_a_dying_worker_skips_one_file(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path / "in", "crash_10k_2019.txt", "raise_10k_2019.txt")
    monkeypatch.setattr(build_module, "extract_file", crash_or_extract)  # module-level: workers can import it
    out = tmp_path / "out"
    digests, results = {}, {}
    for workers in (1, 2):
        shutil.rmtree(out, ignore_errors=True)
        results[workers] = build_dataset(_config(out, workers=workers), inputs=[str(inputs)], progress=False)
        digests[workers] = _digests(out)
    assert digests[1] == digests[2]  # records, splits, hf/, card.json and card.md: every byte
    assert {"records.jsonl", "train.jsonl", "card.json", "card.md"} <= set(digests[1])
    assert any(name.startswith("hf/") and name.endswith(".arrow") for name in digests[1])

    result = results[2]
    skipped = {Path(s.path).name: s.reason for s in result.skipped}
    assert "worker process died" in skipped["crash_10k_2019.txt"] and "SIGKILL" in skipped["crash_10k_2019.txt"]
    assert "RuntimeError" in skipped["raise_10k_2019.txt"]
    assert "empty" in skipped["empty.txt"]
    assert len(skipped) == 3
    kept = {Path(r.source_path).name for r in result.records}
    assert {p.name for p in SAMPLES.glob("*.txt")} | set(OTHERS) == kept  # the other files went on
    assert result.files_extracted == 9
    card = json.loads((out / "card.json").read_text())
    assert "workers" not in card["config"]["data"]  # how fast it was built is not part of what was built
    # the two failures are not journalled, so a rerun tries them again; everything else resumes
    journalled = {Path(row["path"]).name for row in read_jsonl(out / ".work" / "extract.jsonl")}
    assert journalled == {p.name for p in inputs.iterdir()} - {"crash_10k_2019.txt", "raise_10k_2019.txt"}
    again = build_dataset(_config(out, workers=2), inputs=[str(inputs)], progress=False)
    assert (again.files_extracted, again.files_resumed) == (2, 7)


def test_shards_merged_equal_a_single_build(tmp_path):
    inputs = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    single = build_dataset(_config(out, workers=0), inputs=[str(inputs)], progress=False)
    expected = _digests(out)
    shutil.move(out, tmp_path / "single")

    files = sorted(p.resolve() for p in inputs.iterdir())
    owned = [select(files, [str(inputs)], Shard(k, 2)) for k in (1, 2)]
    assert owned[0] and owned[1] and sorted(owned[0] + owned[1]) == list(range(len(files)))  # a real split
    shard_dirs = []
    for k in (1, 2):
        shard_out = tmp_path / f"shard{k}"
        part = build_dataset(_config(shard_out, workers=1), inputs=[str(inputs)], progress=False, shard=Shard(k, 2))
        assert part.files_extracted == len(owned[k - 1])
        shard_dirs.append(shard_out)

    merged = build_dataset(_config(out), shards_from=shard_dirs, progress=False)
    assert _digests(out) == expected
    assert [r.id for r in merged.records] == [r.id for r in single.records]
    assert (merged.files_extracted, merged.files_resumed) == (len(files), 0)

    # the CLI: one line naming what is wrong, exit 2 (shards that do not make one whole are bad input)
    code = cli_main(["data", "merge", str(shard_dirs[0]), "--out", str(tmp_path / "bad"),
                     "--set", "model.name=tiny-random"])
    assert code == 2
    with pytest.raises(FilingsumError, match="2/2 missing"):
        build_dataset(_config(tmp_path / "bad"), shards_from=[shard_dirs[0]], progress=False)
    with pytest.raises(FilingsumError, match="given twice"):
        build_dataset(_config(tmp_path / "bad"), shards_from=[shard_dirs[0], shard_dirs[0]], progress=False)
    with pytest.raises(FilingsumError, match="extracted with"):
        build_dataset(_config(tmp_path / "bad", sections=["item_1"]), shards_from=shard_dirs, progress=False)


# The real CLI with a slowed-down extractor (a module-level stand-in, so the worker processes import it).
SLOW_BUILD = """
import sys
sys.path.insert(0, sys.argv[1])
import _extractors
import filingsum.dataset.build as build
build.extract_file = _extractors.slow_extract
from filingsum.cli import main
if __name__ == "__main__":
    sys.exit(main(sys.argv[2:]))
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _journal_rows(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path)) if path.exists() else 0


@pytest.mark.slow  # three CLI builds, one slowed down: ~45 s on 2 busy cores
def test_ctrl_c_stops_the_workers_and_a_rerun_resumes(tmp_path):
    inputs = _inputs(tmp_path / "in")  # 7 files
    config = tmp_path / "c.yaml"
    config.write_text(json.dumps({"model": {"name": "tiny-random", "max_source_tokens": 1024},
                                  "data": {"gold": [str(GOLD)], "references": ["gold", "extractive"]}}))
    out = tmp_path / "out"
    journal = out / ".work" / "extract.jsonl"
    pids = tmp_path / "pids.txt"
    command = [sys.executable, "-c", SLOW_BUILD, str(ROOT / "tests"), "data", "build", "--config", str(config),
               "--input", str(inputs), "--out", str(out), "--workers", "2"]
    env = {**os.environ, "FILINGSUM_TEST_PIDS": str(pids), "FILINGSUM_TEST_DELAY": "2"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while _journal_rows(journal) < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert _journal_rows(journal) >= 1, "no file finished"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    done = _journal_rows(journal)
    assert 1 <= done < 7  # stopped part-way
    workers = {int(line) for line in pids.read_text().split()}
    assert len(workers) == 2
    deadline = time.time() + 10
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived Ctrl-C"

    rerun = subprocess.run(command, env={**env, "FILINGSUM_TEST_DELAY": "0"}, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    card = json.loads((out / "card.json").read_text())
    assert (card["files_extracted"], card["files_resumed"]) == (7 - done, done)
    straight = tmp_path / "straight"
    build_dataset(_config(straight, workers=0), inputs=[str(inputs)], progress=False)
    assert (out / "records.jsonl").read_bytes() == (straight / "records.jsonl").read_bytes()


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_stopping_the_pool_leaves_the_exit_hook_nothing_to_wake():
    """After Ctrl-C/SIGTERM stops a pool, Python's exit hook must not write to its manager's wake-up pipe: on
    3.11 that races the manager closing the pipe and prints an 'Exception ignored ... Bad file descriptor'
    traceback after the one-line message (seen once in CI)."""
    import concurrent.futures.process as pool_module
    from concurrent.futures import ProcessPoolExecutor

    from filingsum.core.parallel import _terminate, mp_context

    pool = ProcessPoolExecutor(max_workers=2, mp_context=mp_context(()))
    futures = [pool.submit(_sleep, 30) for _ in range(2)]
    time.sleep(0.5)
    manager = pool._executor_manager_thread
    assert manager in pool_module._threads_wakeups
    _terminate(pool)
    assert not manager.is_alive()
    assert manager not in pool_module._threads_wakeups
    assert all(f.done() for f in futures)
