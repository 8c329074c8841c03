"""`filingsum export`: the merged standalone model, its card, the GGUF, and the Hub upload up to the call."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from test_merge import _random_adapter

from filingsum.cli import main
from filingsum.core.config import RunConfig
from filingsum.core.contract import CONTRACT_FILE, contract_from_config, write_contract
from filingsum.core.models import resolve_model
from filingsum.inference.export import ExportError, build_model_card, export_model, push_folder
from filingsum.inference.gguf_writer import GgufUnsupported, write_gguf

PROMPT = "<|im_start|>user\nAcme sells widgets to retailers for cash.<|im_end|>\n<|im_start|>assistant\n"


def _run_dir(tmp_path: Path) -> Path:
    """A run dir as training leaves it: adapter/ (with its contract) and eval/report.json."""
    run = tmp_path / "run-tiny"
    adapter = _random_adapter("tiny-random", run / "adapter")
    write_contract(adapter, contract_from_config(RunConfig.model_validate({"model": {"name": "tiny-random"}})))
    (run / "eval").mkdir()
    (run / "eval" / "report.json").write_text(json.dumps({"systems": {
        "tuned": {"aggregate": {"rougeL": 0.248, "within_limit": 1.0, "number_precision": None}},
        "lead-k": {"aggregate": {"rougeL": 0.24}},
    }}))
    return run


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("export")
    run = _run_dir(tmp_path)
    return run, export_model(run, tmp_path / "out", gguf=True)


def test_export_loads_back_with_transformers_and_matches_base_plus_adapter(exported):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run, result = exported
    out = result.out_dir
    for name in ("model.safetensors", "tokenizer.json", "generation_config.json", "config.json", CONTRACT_FILE,
                 "README.md"):
        assert (out / name).is_file(), name
    assert not (out / "adapter_config.json").exists()  # standalone: no peft needed
    assert json.loads((out / CONTRACT_FILE).read_text())["base_model"] == "tiny-random"

    tok = AutoTokenizer.from_pretrained(out)
    ids = torch.tensor([tok(PROMPT, add_special_tokens=False)["input_ids"]])
    standalone = AutoModelForCausalLM.from_pretrained(out).eval()
    with_adapter = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random")), str(run / "adapter")).eval()
    with torch.no_grad():
        torch.testing.assert_close(standalone(input_ids=ids).logits, with_adapter(input_ids=ids).logits,
                                   rtol=1e-4, atol=5e-4)
        base = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random")).eval()
        assert not torch.allclose(base(input_ids=ids).logits, standalone(input_ids=ids).logits, atol=1e-3)


def test_export_card_carries_the_metadata_and_the_runs_eval_metrics(exported):
    from huggingface_hub import ModelCard

    run, result = exported
    card = ModelCard.load(result.card_path)
    assert card.data.library_name == "transformers"
    assert card.data.license == "other"  # a test model has no known license
    assert {"filingsum", "summarization", "lora"} <= set(card.data.tags)
    metrics = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert metrics == {"rougeL": 0.248, "within_limit": 1.0}  # the tuned system's, finite values only
    assert result.report_path == run / "eval" / "report.json"
    assert "| rougeL | 0.2480 |" in card.text


def test_card_of_the_builtin_base_names_the_hub_model_and_its_license():
    card = build_model_card(base_model="embedded:smollm2-135m-instruct", name="filingsum-smollm2", metrics={})
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert card.data.license == "apache-2.0"
    assert card.data.eval_results is None and "No eval report" in card.text


def test_gguf_loads_back_with_the_same_logits_and_tokenizer(exported):
    import gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, result = exported
    assert result.gguf_path is not None and result.gguf_note is None
    out, name = result.out_dir, result.gguf_path.name
    tok = AutoTokenizer.from_pretrained(out)
    from_gguf = AutoTokenizer.from_pretrained(out, gguf_file=name)
    assert from_gguf(PROMPT)["input_ids"] == tok(PROMPT)["input_ids"]
    ids = torch.tensor([tok(PROMPT, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        torch.testing.assert_close(
            AutoModelForCausalLM.from_pretrained(out, gguf_file=name).eval()(input_ids=ids).logits,
            AutoModelForCausalLM.from_pretrained(out).eval()(input_ids=ids).logits)
    reader = gguf.GGUFReader(str(result.gguf_path))
    eos = int(reader.fields["tokenizer.ggml.eos_token_id"].parts[-1][0])
    assert eos == tok.convert_tokens_to_ids(tok.eos_token)
    assert bytes(reader.fields["tokenizer.ggml.pre"].parts[-1]).decode() == "smollm"  # as SmolLM2's own GGUF
    template = bytes(reader.fields["tokenizer.chat_template"].parts[-1]).decode()
    assert template == tok.chat_template


def test_gguf_says_plainly_when_the_architecture_is_not_written(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5"}))
    with pytest.raises(GgufUnsupported, match="model_type 't5'.*convert_hf_to_gguf"):
        write_gguf(tmp_path, tmp_path / "x.gguf")


class _HubStandIn(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        payload = json.dumps({"error": "Invalid credentials in Authorization header"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_push_to_hub_reaches_the_hub_api_with_the_token_and_reports_a_refusal(tmp_path, monkeypatch):
    from huggingface_hub import HfApi, constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the suite runs offline; the stand-in is local
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    _HubStandIn.seen.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HubStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = HfApi(endpoint=f"http://127.0.0.1:{server.server_port}", token="hf_standin")
        (tmp_path / "README.md").write_text("card")
        with pytest.raises(ExportError, match=r"me/filingsum-tiny: the Hub answered 401.*export in .* is complete"):
            push_folder(tmp_path, "me/filingsum-tiny", api=api)
    finally:
        server.shutdown()
    (request,) = _HubStandIn.seen
    _HubStandIn.seen.clear()
    assert request["path"] == "/api/repos/create"
    assert request["auth"] == "Bearer hf_standin"
    assert json.loads(request["body"])["name"] == "filingsum-tiny"


def test_push_without_a_token_or_offline_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    with pytest.raises(ExportError, match="no Hugging Face token; run `hf auth login` or set HF_TOKEN"):
        push_folder(tmp_path, "me/x")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ExportError, match="HF_HUB_OFFLINE is set"):
        push_folder(tmp_path, "me/x", token="hf_x")


def test_export_cli_prints_the_result_and_refuses_a_non_empty_out(exported, tmp_path, capsys):
    run, _ = exported
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    assert main(["export", str(run), "--out", str(tmp_path / "busy")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    assert main(["export", str(run / "adapter"), "--out", str(tmp_path / "new")]) == 0
    out = capsys.readouterr().out
    assert "model.safetensors" in out and "metrics of the tuned system" in out


def test_train_push_to_hub_exports_the_run_and_reports_a_failed_upload_without_losing_it(exported, monkeypatch,
                                                                                         tmp_path):
    """train.push_to_hub's step after a finished run (training.publish): the export is written beside the adapter,
    the upload goes to the Hub API, and a refusal comes back as an error that names the retry command."""
    import shutil

    from huggingface_hub import HfApi, constants

    from filingsum.training.publish import publish_run

    run, _ = exported
    run = Path(shutil.copytree(run, tmp_path / "run"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    _HubStandIn.seen.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HubStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outcome = publish_run(run, "me/run", api=HfApi(endpoint=f"http://127.0.0.1:{server.server_port}",
                                                       token="hf_standin"))
    finally:
        server.shutdown()
    assert outcome.export is None and "answered 401" in outcome.error
    assert f"filingsum export {run} --out {run / 'export'} --overwrite --push-to-hub me/run" in outcome.error
    assert (run / "export" / "model.safetensors").is_file() and (run / "adapter" / "adapter_config.json").is_file()
    assert [r["path"] for r in _HubStandIn.seen] == ["/api/repos/create"]


def test_a_push_that_cannot_happen_is_refused_before_the_export_or_the_training(exported, tmp_path, capsys,
                                                                                  monkeypatch):
    """Probe 3 (F14): an invalid repo id or a missing token was found after the whole export (or training run),
    with exit 1. Now exit 2 before any work: nothing is merged, nothing trained."""
    run, _ = exported
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no cached token
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    for repo, needle in (("bad repo name!", "not a Hub repo id"), ("me/x", "no Hugging Face token")):
        out = tmp_path / f"out-{len(needle)}"
        status = main(["export", str(run), "--out", str(out), "--push-to-hub", repo])
        err = capsys.readouterr().err
        assert status == 2 and needle in err, err[-2000:]
        assert not (out / "model.safetensors").exists()
    config = tmp_path / "train.yaml"
    config.write_text(json.dumps({"model": {"name": "tiny-random"}, "train": {"output_dir": str(tmp_path / "run"),
                                                                              "push_to_hub": "me/x"}}))
    status = main(["train", "--config", str(config)])
    err = capsys.readouterr().err
    assert status == 2 and "train.push_to_hub me/x: no Hugging Face token" in err, err[-2000:]
    assert not (tmp_path / "run" / "adapter").exists()


@pytest.mark.parametrize("stale", ["retrained-after-eval", "no-tuned-system"])
def test_a_card_never_carries_metrics_of_another_model(tmp_path, stale, caplog):
    """A run trained again after its eval (report.json older than the adapter's weights), or a report with no
    tuned system: the card carries no metrics and the export says so, instead of the older model's means."""
    import os

    from huggingface_hub import ModelCard

    run = _run_dir(tmp_path)
    report = run / "eval" / "report.json"
    if stale == "retrained-after-eval":
        weights = run / "adapter" / "adapter_model.safetensors"
        os.utime(report, (weights.stat().st_mtime - 60, weights.stat().st_mtime - 60))
    else:
        report.write_text(json.dumps({"systems": {"lead-k": {"aggregate": {"rougeL": 0.24}}}}))
    with caplog.at_level("WARNING"):
        result = export_model(run, tmp_path / "out")
    assert result.report_path is None and result.metrics == {}
    card = ModelCard.load(result.card_path)
    assert not card.data.eval_results and "No eval report" in card.text
    assert str(report) in caplog.text
