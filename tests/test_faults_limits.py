"""Real resource limits, not injected faults: a file-size limit (``ulimit -f``, RLIMIT_FSIZE) makes every write
past it fail with EFBIG, in Python (OSError) and in the Rust libraries that save models and tokenizers
(safetensors, tokenizers: a plain Exception that carries "(os error 27)"). Each command must then stop with one
line that names what it could not write and the fix, keep the output it had, and print no traceback (fresh probe
of 2026-12-03 evening: UF1-UF5, DF6-DF10)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from test_faults import ENV, REPO, assert_one_line_failure, data_config, observe, snapshot, write_filings

from filingsum.core.io import foreign_write_errno


def _limited(args: list[str], max_bytes: int, env: dict | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return subprocess.run([sys.executable, "-m", "filingsum.cli", *args], env=env or ENV, capture_output=True,
                          text=True, timeout=300, cwd=REPO, preexec_fn=limit)


def test_data_build_past_the_file_size_limit_is_one_line_and_keeps_the_dataset(tmp_path):
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "data.yaml", [write_filings(tmp_path / "first", range(3))], out)
    first = subprocess.run([sys.executable, "-m", "filingsum.cli", "data", "build", "--config", str(config)],
                           env=ENV, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert first.returncode == 0, first.stderr[-2000:]
    before = snapshot(out)
    more = write_filings(tmp_path / "more", range(3, 6))
    proc = _limited(["data", "build", "--config", str(config), "--input", str(tmp_path / "first"), str(more)],
                    max_bytes=2_000)
    observe("`data build` past a file-size limit (ulimit -f)", proc.returncode, proc.stderr,
            lost=int(snapshot(out) != before), user_caused=False)
    assert_one_line_failure(proc.returncode, proc.stderr, 1, "File too large", "ulimit -f")
    assert snapshot(out) == before


def test_a_rust_library_write_past_the_limit_is_one_line_and_leaves_no_half_model(tmp_path):
    """`models prepare` saves with safetensors: its SafetensorError carries the OS error, not an OSError."""
    cache = tmp_path / "cache"
    proc = _limited(["models", "prepare", "tiny-random"], max_bytes=20_000,
                    env={**ENV, "FILINGSUM_CACHE": str(cache)})
    observe("`models prepare` past a file-size limit (safetensors' own error)", proc.returncode, proc.stderr,
            user_caused=False)
    assert_one_line_failure(proc.returncode, proc.stderr, 1, "File too large", "ulimit -f")
    assert not (cache / "models" / "tiny-random" / "config.json").exists()
    # and a rerun without the limit builds it (nothing half-written is taken for a model)
    rerun = subprocess.run([sys.executable, "-m", "filingsum.cli", "models", "prepare", "tiny-random"],
                           env={**ENV, "FILINGSUM_CACHE": str(cache)}, capture_output=True, text=True, timeout=300,
                           cwd=REPO)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert (cache / "models" / "tiny-random" / "config.json").is_file()


def test_the_os_error_in_a_rust_librarys_message_is_read_and_other_errors_are_not():
    assert foreign_write_errno(Exception("No space left on device (os error 28)")) == 28
    message = 'IoError(Os { code: 27, kind: FileTooLarge, message: "File too large" })'
    assert foreign_write_errno(RuntimeError(message)) == 27
    assert foreign_write_errno(Exception("Connection refused (os error 111)")) is None  # not a write error
    assert foreign_write_errno(ValueError("shape mismatch")) is None
    assert foreign_write_errno(OSError(28, "No space left on device")) is None  # an OSError is handled as one


def _dash(body: dict) -> str:
    return "Acme sells widgets \u2014 to manufacturers \u2014 through distributors."


def test_a_console_that_cannot_encode_the_summary_gets_it_escaped_not_a_traceback(tmp_path):
    """Probe 3 (F8): with PYTHONIOENCODING=ascii, printing a summary with an em dash was a UnicodeEncodeError
    traceback after the work was done."""
    from _fake_openai import FakeOpenAI

    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with FakeOpenAI(respond=_dash) as server:
        proc = subprocess.run([sys.executable, "-m", "filingsum.cli", "summarize", str(filing), "--endpoint",
                               server.base_url, "--model", "fake", "--tokenizer", "tiny-random"],
                              env={**ENV, "PYTHONIOENCODING": "ascii"}, capture_output=True, timeout=300, cwd=REPO)
    stderr = proc.stderr.decode("ascii", errors="replace")
    observe("`summarize` to a console that cannot encode the summary", proc.returncode, stderr, user_caused=False)
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr[-2000:]
    assert b"widgets \\u2014 to manufacturers" in proc.stdout


def test_summarize_with_stdout_closed_and_no_out_is_refused_before_any_request(tmp_path):
    """Probe 3 (F13): `summarize F >&-` said "1 summarized, 0 failed", exit 0, and the summary went nowhere."""
    from _fake_openai import FakeOpenAI

    filing = next(write_filings(tmp_path / "in", [0]).iterdir())
    with FakeOpenAI() as server:
        proc = subprocess.run([sys.executable, "-m", "filingsum.cli", "summarize", str(filing), "--endpoint",
                               server.base_url, "--model", "fake", "--tokenizer", "tiny-random"],
                              env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300,
                              cwd=REPO, preexec_fn=lambda: os.close(1))
        requests = server.requests
    observe("`summarize` with standard output closed", proc.returncode, proc.stderr)
    assert_one_line_failure(proc.returncode, proc.stderr, 2, "standard output is closed", "--out")
    assert requests == 0


def test_a_journal_past_the_file_size_limit_is_named_in_the_error(tmp_path):
    """Probe 3 (F17): a write error without a file name said `output: cannot write`; the journal names itself."""
    path = tmp_path / "extract.jsonl"
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100)); "
            "from filingsum.core.journal import JsonlAppender; j = JsonlAppender(sys.argv[1])\n"
            "try:\n    j.append({'x': 'y' * 500})\nexcept OSError as e:\n    print(e.errno, e.filename)")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], env=ENV, capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert proc.stdout.split() == ["27", str(path)], proc.stderr[-2000:]


def test_a_damaged_local_model_dir_is_one_line_before_any_work(tmp_path):
    """Probe 3 (F6): `model.name: DIR` with a torn config.json or a truncated model.safetensors gave a library
    traceback in train, eval and data build. The dir is checked cheaply when it is resolved."""
    import shutil

    from filingsum.core.models import resolve_model

    good = Path(resolve_model("tiny-random"))
    torn, cut = tmp_path / "torn", tmp_path / "cut"
    shutil.copytree(good, torn)
    shutil.copytree(good, cut)
    (torn / "config.json").write_text((good / "config.json").read_text()[:40], encoding="utf-8")
    weights = cut / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    out = tmp_path / "dataset"
    config = data_config(tmp_path / "data.yaml", [write_filings(tmp_path / "in", range(3))], out)
    built = subprocess.run([sys.executable, "-m", "filingsum.cli", "data", "build", "--config", str(config)],
                           env=ENV, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert built.returncode == 0, built.stderr[-2000:]
    for damaged, command, needle in ((torn, ["data", "build", "--config", str(config), "--out", str(tmp_path / "ds2")],
                                      "config.json is not valid"),
                                     (cut, ["train", "--config", str(config), "--set",
                                            f"train.output_dir={tmp_path / 'run'}"], "truncated")):
        proc = subprocess.run([sys.executable, "-m", "filingsum.cli", *command, "--set", f"model.name={damaged}"],
                              env=ENV, capture_output=True, text=True, timeout=300, cwd=REPO)
        observe(f"`{command[0]}` with a damaged local model dir ({needle})", proc.returncode, proc.stderr)
        assert_one_line_failure(proc.returncode, proc.stderr, 2, str(damaged), needle, "copy or save it again")
    assert not (tmp_path / "ds2" / "records.jsonl").exists() and not (tmp_path / "run" / "adapter").exists()
