"""Four faults of the eighth probe (2026-12-04 night) about where outputs go, each injected for real: the CLI in
process against a stand-in OpenAI-compatible server on 127.0.0.1 (tests/_fake_openai.py), the Python API on real
files, real atomic writes and merges under a set umask, real shard builds. docs/reliability.md lists them.

- P8-F4: `summarize --out -` wrote a file named "-"; it writes the results to standard output. A directory-valued
  --out "-" (data build/merge/fetch, eval, export) and `loadtest --json -` are usage errors naming the flag.
- P8-F6: `Summarizer.summarize_files([dir, a file in it])` sent that file twice (two results, one id).
- P8-F9: export wrote model.safetensors (and the merged cache's weights) 0600 while other files follow the umask.
- P8-F10: `data build --shard 2/2` into the --out of a finished shard 1/2 replaced that shard, exit 0.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from _fake_openai import FakeOpenAI
from test_faults import assert_one_line_failure, data_config, observe, write_filings

from filingsum.cli import main

ANSWER = "The company sells widgets to manufacturers and earns revenue from product sales and subscriptions."


def _summarize(server: FakeOpenAI, *args: str) -> int:
    return main(["summarize", *args, "--endpoint", server.base_url, "--model", "fake", "--tokenizer", "tiny-random",
                 "--max-retries", "0"])


# --- P8-F4: `--out -` is standard output --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "md"])
def test_summarize_out_dash_writes_the_results_to_stdout_and_no_file(tmp_path, capsys, monkeypatch, fmt):
    """P8-F4: `summarize A B --out -` printed "wrote 2 results to -" and wrote a file named "-" in the current dir.
    The results go to stdout as the file would hold them (JSONL, or --format md), the status lines to stderr."""
    inputs = write_filings(tmp_path / "in", [0, 1])
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # where the old code wrote its file "-" (and a journal beside it)
    extra = ["--format", "md"] if fmt == "md" else []
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, str(inputs), "--out", "-", *extra)
    out, err = capsys.readouterr()
    observe(f"`summarize A B --out -` ({fmt})", status, err, wrong=int(any(work.iterdir())))
    assert status == 0, err[-3000:]
    assert sorted(p.name for p in work.iterdir()) == []  # no file "-", no journal
    assert "wrote 2 results to standard output" in err and "2 summarized, 0 failed" in err, err[-3000:]
    assert ANSWER not in err
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
        assert [r["id"] for r in rows] == ["acme_10k_2020#item_1", "borealis_10k_2020#item_1"], out
        assert all(r["summary"] == ANSWER and r["error"] is None for r in rows), rows
    else:
        assert out.startswith("# Filing summaries"), out
        assert out.count(ANSWER) == 2 and "## acme_10k_2020#item_1" in out, out


def test_summarize_out_dash_of_one_input_is_its_jsonl_record(tmp_path, capsys, monkeypatch):
    """One input with `--out -` is the chosen format too (one JSONL row with its token counts), not the bare
    summary that no --out prints."""
    inputs = write_filings(tmp_path / "in", [2])
    monkeypatch.chdir(tmp_path / "in")
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        status = _summarize(server, "cobalt_10k_2020.txt", "--out", "-")
    out, err = capsys.readouterr()
    assert status == 0, err[-3000:]
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["id"] == "cobalt_10k_2020#item_1" and row["summary"] == ANSWER and row["prompt_tokens"], row
    assert sorted(p.name for p in inputs.iterdir()) == ["cobalt_10k_2020.txt"]


@pytest.mark.parametrize("argv", [
    ["data", "build", "--config", "C", "--out", "-"],
    ["data", "merge", "S1", "S2", "--config", "C", "-o", "-"],
    ["data", "fetch", "--ticker", "X", "--year", "2020", "--out", "-"],
    ["eval", "--config", "C", "--out", "-"],
    ["export", "embedded:filingsum-smollm2", "--out", "-"],
    ["loadtest", "--endpoint", "http://127.0.0.1:9/v1", "--model", "x", "--json", "-"],
], ids=["build", "merge", "fetch", "eval", "export", "loadtest-json"])
def test_a_dash_for_a_directory_or_a_side_file_is_a_usage_error_naming_the_flag(tmp_path, capsys, monkeypatch, argv):
    """A directory-valued --out "-" made a directory named "-" (and `loadtest --json -` a file named "-"): standard
    output cannot take a directory, and loadtest's already takes the printed report. Exit 2 naming the flag, before
    anything is read or written."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    flag = "--json" if "--json" in argv else "--out"
    observe(f"`{' '.join(argv[:2])} ... {flag} -`", exit_info.value.code, err)
    assert exit_info.value.code == 2, err
    assert f"argument {flag}" in err and "'-' (standard output)" in err and "./-" in err, err
    assert list(tmp_path.iterdir()) == []


# --- P8-F6: the Python API takes a file named twice once, as the CLI does --------------------------------------------


def test_the_api_summarizes_a_file_named_twice_once_as_the_cli_does(tmp_path, capsys):
    """P8-F6: `Summarizer.summarize_files([dir, a file in dir])` sent that file twice and returned two results with
    one id; `filingsum summarize` of the same specs sends it once. Both find their files with one function now: the
    same requests, the same results; a spec that matches nothing is still an error record."""
    from filingsum import Summarizer

    inputs = write_filings(tmp_path / "in", [0, 1])
    twice = inputs / "acme_10k_2020.txt"
    specs = [str(inputs), f"{inputs}/./acme_10k_2020.txt", str(twice), str(tmp_path / "missing.txt")]
    config = {"model": {"name": "tiny-random"}}
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        results = Summarizer.from_endpoint(server.base_url, "fake", config=config, max_retries=0).summarize_files(specs)
        api_requests = server.requests
    ids = [r.id for r in results]
    observe("`Summarizer.summarize_files([dir, a file in it])`", 0, "", wrong=len(ids) - len(set(ids)))
    assert ids == ["acme_10k_2020#item_1", "borealis_10k_2020#item_1", "missing.txt"], ids  # by source path
    assert results[2].error_kind == "input" and "no such file" in (results[2].error or ""), results[2]
    assert [r.summary for r in results[:2]] == [ANSWER, ANSWER] and api_requests == 2

    out = tmp_path / "cli.jsonl"
    with FakeOpenAI(model="fake", respond=lambda body: ANSWER) as server:
        assert _summarize(server, *specs[:3], "--out", str(out)) == 0, capsys.readouterr().err[-3000:]
        cli_requests = server.requests
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ids[:2] and cli_requests == api_requests


# --- P8-F9: exported and merged weights follow the umask, as every other file does -----------------------------------


def _modes(folder) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.is_file()}


def test_a_file_a_library_wrote_0600_gets_the_umasks_mode_and_a_hard_linked_one_is_left(tmp_path):
    """P8-F9's cause: safetensors' save_file (under save_pretrained) writes through its own temporary, 0600
    whatever the umask. `follow_umask` gives such files 0666 less the umask; a file with another hard link (maybe
    someone else's) keeps its mode."""
    import torch
    from safetensors.torch import save_file

    from filingsum.core.io import atomic_write_text, follow_umask

    staging = tmp_path / "staging"
    (staging / "sub").mkdir(parents=True)
    previous = os.umask(0o027)
    try:
        save_file({"w": torch.zeros(2)}, str(staging / "sub" / "model.safetensors"))
        atomic_write_text(staging / "config.json", "{}\n")
        theirs = tmp_path / "theirs.txt"
        theirs.write_text("x", encoding="utf-8")
        theirs.chmod(0o600)
        os.link(theirs, staging / "linked.txt")
        written = stat.S_IMODE((staging / "sub" / "model.safetensors").stat().st_mode)
        follow_umask(staging)
    finally:
        os.umask(previous)
    assert written == 0o600  # what safetensors does: the fault's cause, not ours to change
    assert stat.S_IMODE((staging / "sub" / "model.safetensors").stat().st_mode) == 0o640
    assert _modes(staging) == {"config.json": 0o640, "linked.txt": 0o600}


def test_exported_and_merged_weights_follow_the_umask_as_every_other_file(tmp_path, monkeypatch):
    """P8-F9: `export` wrote model.safetensors (and the merged cache's weights) 0600 while every other file of the
    dir followed the umask (0644 under 022). Under umask 027 every file of both dirs is 0640."""
    from test_export import _run_dir

    from filingsum.inference.adapters import merged_model_dir
    from filingsum.inference.export import export_model

    run = _run_dir(tmp_path)
    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "cache"))
    previous = os.umask(0o027)
    try:
        exported = export_model(run, tmp_path / "out").out_dir
        merged = merged_model_dir(run / "adapter")
    finally:
        os.umask(previous)
    for folder in (exported, merged):
        modes = _modes(folder)
        observe("`export` weights' mode", 0, "", wrong=int(modes.get("model.safetensors") != 0o640))
        assert "model.safetensors" in modes and "config.json" in modes, modes
        assert set(modes.values()) == {0o640}, {name: oct(mode) for name, mode in modes.items()}


def test_a_model_built_into_the_cache_follows_the_umask(tmp_path, monkeypatch):
    """The same cause in the model cache: a base built there once (tiny-random here; the embedded SmolLM2 the same
    way) kept its model.safetensors 0600 beside the umask's tokenizer and config."""
    from filingsum.core.models import resolve_model

    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "cache"))
    previous = os.umask(0o027)
    try:
        built = Path(resolve_model("tiny-random"))
    finally:
        os.umask(previous)
    modes = _modes(built)
    assert built.is_relative_to(tmp_path) and "model.safetensors" in modes, (built, modes)
    assert set(modes.values()) == {0o640}, {name: oct(mode) for name, mode in modes.items()}


def test_a_trained_adapter_and_its_checkpoints_follow_the_umask(tmp_path):
    """The same cause in a run dir: adapter/adapter_model.safetensors and the checkpoints' weights were 0600 while
    the tokenizer, the contract and the reports beside them followed the umask."""
    from _training_data import write_config, write_dataset

    from filingsum.core.config import load_config
    from filingsum.training.trainer import train

    data = write_dataset(tmp_path / "data", n_train=2, n_validation=1, chars=200)
    config = load_config(write_config(tmp_path / "c.yaml", data, tmp_path / "run", max_steps=1, merge=False))
    previous = os.umask(0o027)
    try:
        run = train(config).run_dir
    finally:
        os.umask(previous)
    weights = [p for p in (run / "checkpoints").rglob("*") if p.is_file()]
    assert "adapter_model.safetensors" in {p.name for p in weights}, weights
    modes = {str(p.relative_to(run)): oct(stat.S_IMODE(p.stat().st_mode)) for p in weights}
    modes.update({f"adapter/{name}": oct(mode) for name, mode in _modes(run / "adapter").items()})
    assert set(modes.values()) == {"0o640"}, modes


# --- P8-F10: a second shard into a finished shard's --out is refused ----------------------------------------------


def _files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_another_shard_or_a_whole_build_into_a_finished_shards_out_is_refused(tmp_path, capsys):
    """P8-F10: `data build --out D --shard 1/2`, then `--shard 2/2` into the same D replaced the finished shard 1/2,
    exit 0. It is refused (exit 2, one line naming D and both shards), D untouched, and so is a build of all the
    inputs into D; the same shard again into D still resumes."""
    inputs = write_filings(tmp_path / "in", [0, 1, 2, 3])
    config = str(data_config(tmp_path / "data.yaml", [inputs], tmp_path / "unused"))
    shard_dir = tmp_path / "D"
    build = ["data", "build", "--config", config, "--out", str(shard_dir)]
    assert main([*build, "--shard", "1/2"]) == 0, capsys.readouterr().err[-3000:]
    capsys.readouterr()
    before = _files(shard_dir)
    assert json.loads(before["shard/manifest.json"])["shard"] == "1/2"

    for extra, this in ((["--shard", "2/2"], "building shard 2/2 there"), ([], "a dataset of all the inputs")):
        status = main([*build, *extra])
        err = capsys.readouterr().err
        observe(f"`data build --out D {' '.join(extra)}` into shard 1/2's D", status, err,
                lost=int(_files(shard_dir) != before))
        assert_one_line_failure(status, err, 2, str(shard_dir), "holds shard 1/2 of a split build", this,
                                "give each shard its own --out")
        assert _files(shard_dir) == before

    assert main([*build, "--shard", "1/2"]) == 0, capsys.readouterr().err[-3000:]  # the same shard: a resume
    assert json.loads((shard_dir / "shard" / "manifest.json").read_text(encoding="utf-8"))["files_resumed"] > 0
