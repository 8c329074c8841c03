"""The eighth probe's config and model-spec faults (docs/reliability.md, "Eighth probe"): an unset ${VAR} in a
config path (P8-F5), `models check/prepare` of the shipped default (P8-F7) and YAML merge keys (P8-F8). Real
components: the real CLI in process, real YAML files, the shipped adapter and the embedded base model's cache.
"""

from __future__ import annotations

import pytest
from test_faults import assert_one_line_failure, observe

from filingsum import load_config
from filingsum.cli import main
from filingsum.core.config import ConfigError, safe_load_unique
from filingsum.core.models import BUILTIN_ADAPTERS, cache_root

# --- P8-F5: ${VAR} in config paths ------------------------------------------------------------------------------


def test_an_unset_variable_in_a_config_path_is_a_config_error_not_a_literal_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NOPE_UNSET_VAR", raising=False)
    monkeypatch.setenv("FS_PROBE8_ROOT", str(tmp_path / "root"))
    config = tmp_path / "c.yaml"
    config.write_text("run_name: p8\nmodel:\n  name: tiny-random\ndata:\n  out_dir: ds_${NOPE_UNSET_VAR}x\n"
                      "  inputs: [$FS_PROBE8_ROOT/in]\n")
    status = main(["data", "build", "--config", str(config)])
    err = capsys.readouterr().err
    observe("config: `out_dir: ds_${NOPE_UNSET_VAR}x` (variable not set)", status, err)
    assert_one_line_failure(status, err, 2, str(config), "data.out_dir: environment variable NOPE_UNSET_VAR is not set")
    assert list(tmp_path.iterdir()) == [config]  # no dir named ds_${NOPE_UNSET_VAR}x (nor any other)

    monkeypatch.setenv("NOPE_UNSET_VAR", "set")  # set, both forms expand (the documented behaviour)
    loaded = load_config(config)
    assert loaded.data.out_dir == "ds_setx" and loaded.data.inputs == [str(tmp_path / "root" / "in")]
    with pytest.raises(ConfigError, match=r"serve\.adapters: environment variable FS_PROBE8_GONE is not set"):
        load_config({"serve": {"adapters": {"a": "$FS_PROBE8_GONE/adapter"}}})
    with pytest.raises(ConfigError, match=r"train\.output_dir: '\$\{\}' names no environment variable"):
        load_config({"train": {"output_dir": "runs/${}"}})
    assert load_config({"train": {"output_dir": "runs/cost$"}}).train.output_dir == "runs/cost$"  # no name: kept


# --- P8-F7: models check/prepare of the shipped default ------------------------------------------------------------


def test_models_check_and_prepare_take_the_shipped_default_as_base_plus_adapter(tmp_path, capsys, monkeypatch):
    adapter = BUILTIN_ADAPTERS["filingsum-smollm2"].resolve()
    # prepare builds (or finds) the base in the real cache, as serve would; check then finds both parts
    assert main(["models", "prepare", "embedded:filingsum-smollm2"]) == 0
    out = capsys.readouterr().out.strip()
    base = cache_root() / "models" / "embedded-smollm2-135m-instruct"
    assert out.split("\t")[:2] == ["embedded:filingsum-smollm2", str(base)] and str(adapter) in out
    assert main(["models", "check", "embedded:filingsum-smollm2"]) == 0
    assert capsys.readouterr().out.strip() == f"embedded:filingsum-smollm2\t{adapter} on {base}\tok"

    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "empty-cache"))  # the adapter is there, the base is not
    assert main(["models", "check", "embedded:filingsum-smollm2"]) == 1
    out = capsys.readouterr().out
    assert "unknown embedded model" not in out and str(adapter) in out
    assert "base embedded:smollm2-135m-instruct: not built" in out
    assert main(["models", "check", "embedded:nope"]) == 1  # still unknown
    assert "unknown embedded model" in capsys.readouterr().out


# --- P8-F8: YAML merge keys -------------------------------------------------------------------------------------


def test_yaml_merge_keys_are_merged_and_duplicate_keys_still_refused(tmp_path):
    assert safe_load_unique("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n") == {
        "base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}  # a key beside the merge overrides the merged one
    assert safe_load_unique("a: &a {x: 1}\nb: &b {x: 2, w: 5}\nc: {<<: [*a, *b]}\n")["c"] == {"x": 1, "w": 5}

    config = tmp_path / "merged.yaml"
    config.write_text("run_name: merged\nmodel:\n  <<: &small {name: tiny-random, max_source_tokens: 512}\n"
                      "  max_summary_tokens: 128\neval:\n  gates: &floor {rouge1: 0.2, within_limit: 1.0}\n"
                      "serve:\n  adapters:\n    <<: &ads {first: /srv/first}\n    second: /srv/second\n")
    loaded = load_config(config)
    assert (loaded.model.name, loaded.model.max_source_tokens, loaded.model.max_summary_tokens) == (
        "tiny-random", 512, 128)
    assert loaded.serve.adapters == {"first": "/srv/first", "second": "/srv/second"}

    config.write_text("run_name: merged\nmodel:\n  <<: {name: tiny-random}\n  max_source_tokens: 512\n"
                      "  max_source_tokens: 1024\n")
    with pytest.raises(ConfigError, match="duplicate key 'max_source_tokens' at line 5 \\(first at line 4\\)"):
        load_config(config)
