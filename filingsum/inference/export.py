"""Export a tuned model for use outside filingsum: a merged standalone model, its model card, a GGUF, the Hub.

``export_model(source, out_dir)`` takes a run dir, an adapter dir or a built-in adapter
(``embedded:filingsum-smollm2``) and writes into ``out_dir``:

- the adapter merged into its base as safetensors, with the tokenizer (the training chat template), the
  generation config and the inference contract (``inference.adapters.merge_adapter``);
- ``README.md``, a Hugging Face model card (``huggingface_hub.ModelCard``) whose metadata carries base_model,
  library_name, license, tags and, when the run has an eval report (``<run>/eval/report.json``), the tuned
  system's metrics as model-index results;
- with ``gguf=True``, ``<name>.f32.gguf`` written by the ``gguf`` package (no compiler, no llama.cpp), for
  Llama-architecture models (SmolLM2 is one); other architectures get a plain reason instead;
- with ``push_to_hub=REPO``, the folder uploaded with ``huggingface_hub`` (a token and the network needed).

Nothing here prints: the result is an ``ExportResult`` that the CLI (and training's ``train.push_to_hub``)
report.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.models import EMBEDDED_PREFIX, find_adapter_dir

log = logging.getLogger(__name__)

# Model specs filingsum builds locally -> the Hub model they are (for the card's base_model) and its license.
HUB_BASES: dict[str, tuple[str, str]] = {
    "embedded:smollm2-135m-instruct": ("HuggingFaceTB/SmolLM2-135M-Instruct", "apache-2.0"),
}
CARD_TAGS = ("filingsum", "summarization", "sec-filings", "lora", "peft")
REPORT_SYSTEM = "tuned"


class ExportError(FilingsumError):
    """An export that cannot be completed (exit 1): the message names the step and the fix."""


@dataclass
class ExportResult:
    out_dir: Path
    adapter_dir: Path
    base_model: str  # the spec the adapter was trained on
    card_path: Path
    report_path: Path | None = None  # the eval report whose metrics are in the card
    metrics: dict[str, float] = field(default_factory=dict)
    gguf_path: Path | None = None
    gguf_note: str | None = None  # why no GGUF was written, when one was asked for
    hub_url: str | None = None

    @property
    def files(self) -> list[str]:
        return sorted(p.name for p in self.out_dir.iterdir() if p.is_file())


# --- the eval report and the card ------------------------------------------------------------------


def find_eval_report(source: str | os.PathLike[str]) -> Path | None:
    """The eval report of the run a source belongs to: ``<run>/eval/report.json`` for a run dir or for its
    ``adapter/``; None for a built-in adapter or a dir with no report."""
    path = Path(source).expanduser()
    if str(source).startswith(EMBEDDED_PREFIX) or not path.exists():
        return None
    for run_dir in (path, path.parent):
        candidate = run_dir / "eval" / "report.json"
        if candidate.is_file():
            return candidate
    return None


def report_metrics(report_path: str | os.PathLike[str], system: str = REPORT_SYSTEM) -> dict[str, float]:
    """The aggregate metrics of ``system`` in a report.json (finite numbers only); {} when it has none."""
    try:
        data = json.loads(Path(report_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{report_path}: unreadable eval report ({exc}); "
                          "rerun `filingsum eval` or remove it") from None
    aggregate = ((data.get("systems") or {}).get(system) or {}).get("aggregate") or {}
    return {name: float(value) for name, value in aggregate.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)}


def card_base_model(spec: str) -> str | None:
    """The Hub id of a base model spec for the card's ``base_model``: built-in specs map to the Hub model they
    are, a hub id stays, a local dir or a test model has none.

    >>> card_base_model("embedded:smollm2-135m-instruct"), card_base_model("Qwen/Qwen2.5-0.5B-Instruct")
    ('HuggingFaceTB/SmolLM2-135M-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct')
    >>> card_base_model("tiny-random") is None
    True
    """
    if spec in HUB_BASES:
        return HUB_BASES[spec][0]
    parts = spec.split("/")
    if len(parts) == 2 and all(parts) and not spec.startswith((".", "/", "~")) and not Path(spec).exists():
        return spec
    return None


def build_model_card(
    *, base_model: str, name: str, metrics: dict[str, float], license: str | None = None,
    report_path: Path | None = None, contract: dict[str, Any] | None = None,
) -> Any:
    """A ``huggingface_hub.ModelCard`` for an exported model (metadata + a short body)."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    hub_base = card_base_model(base_model)
    license = license or HUB_BASES.get(base_model, (None, "other"))[1]
    results = [
        EvalResult(task_type="summarization", task_name="Business-model summary of SEC filings",
                   dataset_type="filingsum-eval", dataset_name="filingsum eval (test split)",
                   metric_type=metric, metric_name=metric, metric_value=round(value, 4))
        for metric, value in sorted(metrics.items())
    ]
    data = ModelCardData(
        base_model=hub_base, library_name="transformers", license=license, tags=list(CARD_TAGS),
        pipeline_tag="text-generation", model_name=name, eval_results=results or None,
    )
    lines = [
        "---", data.to_yaml(), "---", "",
        f"# {name}", "",
        f"A LoRA fine-tune of `{hub_base or base_model}` by filingsum, merged into "
        "standalone weights. It summarizes the business model of an SEC filing section (revenue sources, "
        "customers, products, distribution channels, financing) in continuous prose.", "",
        "## Use", "",
        "```bash",
        "vllm serve ./THIS_DIR   # or: filingsum serve --merged ./THIS_DIR",
        "filingsum summarize filing.html --endpoint http://127.0.0.1:8000/v1",
        "```", "",
        "Feed it inputs built as in training (`filingsum_contract.json`: prompt version, sections, source "
        "budget, fit strategy, summary cap, repetition penalty, dtype); `filingsum summarize` does.", "",
    ]
    if contract:
        lines += ["## Inference contract", "", "```json", json.dumps(contract, indent=2), "```", ""]
    lines += ["## Evaluation", ""]
    if metrics:
        lines += [f"Tuned system's means from `{report_path.name if report_path else 'report.json'}`:", "",
                  "| metric | value |", "|---|---:|"]
        lines += [f"| {metric} | {value:.4f} |" for metric, value in sorted(metrics.items())]
    else:
        lines.append("No eval report was found for this run (`filingsum eval` writes one).")
    lines += ["", "## Limits", "", "A small model: it can drop or blur facts. English SEC filings only.", ""]
    return ModelCard("\n".join(lines))


# --- GGUF -------------------------------------------------------------------------------------------


class GgufUnsupported(Exception):
    """Why this model cannot be written as GGUF here (the reason is the message)."""


def _permute_qk(weights: Any, n_head: int) -> Any:
    """llama.cpp's rotary layout for q/k projections (convert_hf_to_gguf's ``permute``)."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _gguf_tokenizer(writer: Any, model_dir: Path, vocab_size: int) -> None:
    import gguf

    tok_json = model_dir / "tokenizer.json"
    if not tok_json.is_file():
        raise GgufUnsupported(f"{model_dir} has no tokenizer.json (a fast BPE tokenizer is needed)")
    spec = json.loads(tok_json.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    if model.get("type") != "BPE":
        raise GgufUnsupported(f"tokenizer type {model.get('type')!r} (only byte-level BPE is written)")
    pre = spec.get("pre_tokenizer") or {}
    if pre.get("type") != "ByteLevel" or not pre.get("use_regex", True):
        # llama.cpp splits text with a regex named by tokenizer.ggml.pre; only GPT-2's byte-level one is known here
        raise GgufUnsupported(f"pre-tokenizer {pre.get('type')!r} (only GPT-2-style byte-level BPE, as SmolLM2's, is "
                              "written); use llama.cpp's convert_hf_to_gguf.py on the exported dir")
    added = {t["id"]: t for t in spec.get("added_tokens") or []}
    by_id = {i: t for t, i in (model.get("vocab") or {}).items()} | {i: t["content"] for i, t in added.items()}
    tokens, types = [], []
    for i in range(vocab_size):
        if i in added:
            tokens.append(added[i]["content"])
            types.append(gguf.TokenType.CONTROL if added[i].get("special") else gguf.TokenType.USER_DEFINED)
        elif i in by_id:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.NORMAL)
        else:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]
    writer.add_tokenizer_model("gpt2")
    smollm = len(model.get("vocab") or {}) == 49152 and tokens[1:3] == ["<|im_start|>", "<|im_end|>"]
    writer.add_tokenizer_pre("smollm" if smollm else "gpt2")  # SmolLM2's own GGUF says smollm
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8")) \
        if (model_dir / "tokenizer_config.json").is_file() else {}
    ids = {t: i for i, t in enumerate(tokens)}
    for key, add in (("bos_token", writer.add_bos_token_id), ("eos_token", writer.add_eos_token_id),
                     ("unk_token", writer.add_unk_token_id), ("pad_token", writer.add_pad_token_id)):
        value = config.get(key)
        value = value.get("content") if isinstance(value, dict) else value
        if value in ids:
            add(ids[value])
    writer.add_add_bos_token(bool(config.get("add_bos_token", False)))
    template = model_dir / "chat_template.jinja"
    chat_template = template.read_text(encoding="utf-8") if template.is_file() else config.get("chat_template")
    if isinstance(chat_template, str):
        writer.add_chat_template(chat_template)


def write_gguf(model_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Write a merged Llama-architecture model dir as an F32 GGUF with the ``gguf`` package (no compiler).

    GgufUnsupported (with the reason) for any other architecture or tokenizer; quantized types (Q4, Q8) need
    llama.cpp's ``llama-quantize`` afterwards.
    """
    try:
        import gguf
    except ImportError as exc:
        raise GgufUnsupported(f"the gguf package is not installed ({exc}); pip install gguf") from None
    import torch
    from safetensors import safe_open

    model_dir, out_path = Path(model_dir), Path(out_path)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "llama":
        raise GgufUnsupported(
            f"model_type {config.get('model_type')!r}: this writer handles Llama-architecture models only (SmolLM2 is "
            "one); use llama.cpp's convert_hf_to_gguf.py on the exported dir"
        )
    n_layers, n_head = config["num_hidden_layers"], config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_head
    head_dim = config.get("head_dim") or config["hidden_size"] // n_head
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", "default") not in ("default", None):
        raise GgufUnsupported(f"rope scaling {rope.get('rope_type')!r} is not written by this writer")
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)

    staging = out_path.with_name(f".{out_path.name}.writing")
    writer = gguf.GGUFWriter(str(staging), "llama")
    writer.add_name(model_dir.name)
    writer.add_context_length(config.get("max_position_embeddings", 2048))
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(float(rope.get("rope_theta") or config.get("rope_theta") or 10000.0))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-5)))
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    _gguf_tokenizer(writer, model_dir, config["vocab_size"])

    for shard in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(shard), framework="pt") as fh:
            for hf_name in fh.keys():
                if hf_name.endswith("rotary_emb.inv_freq"):
                    continue
                if hf_name == "lm_head.weight" and config.get("tie_word_embeddings"):
                    continue
                tensor = fh.get_tensor(hf_name).to(torch.float32)
                if hf_name.endswith("self_attn.q_proj.weight"):
                    tensor = _permute_qk(tensor, n_head)
                elif hf_name.endswith("self_attn.k_proj.weight"):
                    tensor = _permute_qk(tensor, n_kv)
                name = name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
                if name is None:
                    raise GgufUnsupported(f"tensor {hf_name!r} has no GGUF name")
                writer.add_tensor(name, tensor.numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    staging.replace(out_path)
    return out_path


# --- the Hub ----------------------------------------------------------------------------------------


def push_folder(folder: str | os.PathLike[str], repo: str, *, token: str | None = None, private: bool = False,
                api: Any = None) -> str:
    """Upload an exported folder to the Hub model repo ``repo`` (created if missing); returns its URL.

    The token is ``token``, else huggingface_hub's own (``HF_TOKEN`` or ``hf auth login``). ``api`` is an
    ``HfApi`` (tests point one at a local stand-in). ExportError, one line, when offline, without a token,
    or when the Hub refuses.
    """
    from huggingface_hub import HfApi, constants, get_token
    from huggingface_hub.utils import HfHubHTTPError

    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ExportError(f"--push-to-hub {repo}: HF_HUB_OFFLINE is set; the export in {folder} is complete, push "
                          "it later with `filingsum export ... --push-to-hub` or `hf upload`")
    token = token or (api.token if api is not None and api.token else None) or get_token()
    if not token:
        raise ExportError(f"--push-to-hub {repo}: no Hugging Face token; run `hf auth login` or set HF_TOKEN "
                          f"(the export in {folder} is complete)")
    api = api or HfApi(token=token)
    try:
        url = api.create_repo(repo_id=repo, repo_type="model", private=private, exist_ok=True, token=token)
        api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="model", token=token,
                          commit_message="filingsum export")
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        raise ExportError(f"--push-to-hub {repo}: the Hub answered {status or 'an error'} "
                          f"({str(exc).splitlines()[0]}); check the token's write access and the repo name "
                          f"(the export in {folder} is complete)") from None
    except (OSError, ValueError) as exc:  # connection errors (requests/httpx derive from OSError), bad ids
        raise ExportError(f"--push-to-hub {repo}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                          f" (the export in {folder} is complete)") from None
    return str(getattr(url, "url", None) or url)


# --- the whole export --------------------------------------------------------------------------------


def export_model(
    source: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, gguf: bool = False,
    push_to_hub: str | None = None, license: str | None = None, name: str | None = None,
    token: str | None = None, private: bool = False, api: Any = None, overwrite: bool = False,
) -> ExportResult:
    """Merge ``source`` (run dir, adapter dir, or ``embedded:NAME``) into ``out_dir`` with its card; optionally a
    GGUF and a Hub upload (module docstring)."""
    from filingsum.core.contract import CONTRACT_FILE
    from filingsum.inference.adapters import adapter_base_model, merge_adapter

    adapter_dir = find_adapter_dir(source)
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a directory; choose another --out")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise UsageError(f"--out {out_dir}: not empty; choose an empty dir or pass --overwrite")
    if out_dir.resolve() in (adapter_dir, *adapter_dir.parents):
        raise UsageError(f"--out {out_dir}: holds the adapter being exported; choose a dir outside it")
    base = adapter_base_model(adapter_dir, required=True)
    assert base is not None
    report = find_eval_report(source)
    metrics = report_metrics(report) if report else {}

    merge_adapter(adapter_dir, out_dir)  # safetensors + tokenizer + generation config + contract, atomically
    contract_path = out_dir / CONTRACT_FILE
    contract = json.loads(contract_path.read_text(encoding="utf-8")) if contract_path.is_file() else None
    name = name or (adapter_dir.parent.name if adapter_dir.name == "adapter" else adapter_dir.name)
    card = build_model_card(base_model=base, name=name, metrics=metrics, license=license, report_path=report,
                            contract=contract)
    card_path = out_dir / "README.md"
    card.save(card_path)
    result = ExportResult(out_dir=out_dir, adapter_dir=adapter_dir, base_model=base, card_path=card_path,
                          report_path=report, metrics=metrics)
    if gguf:
        try:
            result.gguf_path = write_gguf(out_dir, out_dir / f"{name}.f32.gguf")
        except GgufUnsupported as exc:
            result.gguf_note = f"no GGUF written: {exc}"
            log.warning("%s", result.gguf_note)
    if push_to_hub:
        result.hub_url = push_folder(out_dir, push_to_hub, token=token, private=private, api=api)
    return result
