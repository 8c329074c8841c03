"""filingsum.core.io: pre-flight of output locations, atomic writes (mode, failures), journals, temporaries and
whole-directory replacement, on real files."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest

from filingsum.core import io as io_module
from filingsum.core.io import (
    OutputPathError,
    ResultJournal,
    atomic_write_text,
    preflight_output_dir,
    preflight_output_file,
    recover_replaced_directory,
    remove_stale_temporaries,
    replace_directory,
)


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_atomic_writes_get_the_mode_open_would_give(tmp_path, umask):
    previous = os.umask(umask)
    try:
        written = atomic_write_text(tmp_path / "new.txt", "x")
        with open(tmp_path / "plain.txt", "w") as fh:
            fh.write("x")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE(written.stat().st_mode)
    assert mode == 0o666 & ~umask == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)


def test_replacing_a_file_keeps_its_mode(tmp_path):
    target = tmp_path / "kept.txt"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "data.txt"
    target.write_text("finished work")

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(io_module.os, "replace", full_disk)
    with pytest.raises(OSError) as raised:
        atomic_write_text(target, "new")
    assert raised.value.errno == errno.ENOSPC
    assert target.read_text() == "finished work"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_preflight_names_the_path_and_the_problem(tmp_path, monkeypatch):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputPathError, match=r"file\.txt: output directory is an existing file"):
        preflight_output_dir(a_file)
    with pytest.raises(OutputPathError, match=r"file\.txt is a file, not a directory"):
        preflight_output_dir(a_file / "sub" / "dir")
    with pytest.raises(OutputPathError, match="is an existing directory"):
        preflight_output_file(tmp_path)
    assert preflight_output_dir(tmp_path / "new" / "dir").is_dir()  # created, and writable
    assert OutputPathError("x").exit_status == 2

    monkeypatch.setattr(io_module, "free_bytes", lambda path: 1000)
    with pytest.raises(OutputPathError, match=r"has 1000 B free, about 1\.0 MB needed"):
        preflight_output_dir(tmp_path / "other")


def test_preflight_reports_an_unwritable_directory(tmp_path, monkeypatch):
    # Tests run as root, for whom chmod does not stop a write; a read-only file system is what mkstemp sees.
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(io_module.tempfile, "mkstemp", read_only)
    with pytest.raises(OutputPathError, match="not writable .Read-only file system"):
        preflight_output_dir(tmp_path)


def test_journal_survives_a_torn_last_row_and_reports_damage(tmp_path):
    path = tmp_path / "j.jsonl"
    with ResultJournal(path) as journal:
        journal.put("a", {"v": 1})
        journal.put("b", {"v": 2})
    with open(path, "a") as fh:
        fh.write('{"key": "c", "val')  # killed mid-append
    reopened = ResultJournal(path)
    assert "a" in reopened and reopened.get("b") == {"v": 2} and "c" not in reopened and reopened.resumed == 2
    reopened.put("c", {"v": 3})
    reopened.close()
    assert ResultJournal(path).get("c") == {"v": 3}
    path.write_text('{"key": "a"}\nnot json\n{"key": "b"}\n')
    with pytest.raises(io_module.JournalError, match="damaged journal.*delete it"):
        ResultJournal(path)


def test_stale_temporaries_of_dead_processes_go_and_live_ones_stay(tmp_path):
    dead, alive = dead_pid(), os.getpid()
    for name in (f".hf.tmp-{dead}", f".out.build-{dead}"):
        (tmp_path / name).mkdir()
    (tmp_path / f".train.jsonl.{dead}.x1y2.tmp").write_text("torn")
    (tmp_path / f".hf.tmp-{alive}").mkdir()
    (tmp_path / "train.jsonl").write_text("kept")
    (tmp_path / ".hidden-user-file").write_text("kept")
    removed = {p.name for p in remove_stale_temporaries(tmp_path)}
    assert removed == {f".hf.tmp-{dead}", f".out.build-{dead}", f".train.jsonl.{dead}.x1y2.tmp"}
    assert {p.name for p in tmp_path.iterdir()} == {f".hf.tmp-{alive}", "train.jsonl", ".hidden-user-file"}


def test_replace_directory_swaps_whole_and_a_half_swap_is_restored(tmp_path, monkeypatch):
    target, staging = tmp_path / "out", tmp_path / ".out.build-1"
    target.mkdir()
    (target / "a").write_text("old")
    staging.mkdir()
    (staging / "a").write_text("new")
    replace_directory(staging, target)
    assert (target / "a").read_text() == "new" and not staging.exists()

    # Without an atomic exchange: two renames; a kill between them leaves .out.old-PID, put back next time.
    monkeypatch.setattr(io_module, "_exchange", lambda a, b: False)
    staging.mkdir()
    (staging / "a").write_text("newer")
    replace_directory(staging, target)
    assert (target / "a").read_text() == "newer" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    target.rename(tmp_path / f".out.old-{dead_pid()}")
    assert recover_replaced_directory(target) == target
    assert (target / "a").read_text() == "newer"
    assert recover_replaced_directory(target) is None  # nothing to do when it is there
