"""Write a merged Llama-architecture model dir as an F32 GGUF with the ``gguf`` package (no compiler, no
llama.cpp): its hyperparameters, its byte-level BPE tokenizer and chat template, and every weight (q/k in
llama.cpp's rotary layout). Anything else (another architecture, tokenizer or rope scaling) raises
``GgufUnsupported`` with the reason; ``inference.export`` turns that into a note.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class GgufUnsupported(Exception):
    """Why this model cannot be written as GGUF here (the reason is the message)."""


def _permute_qk(weights: Any, n_head: int) -> Any:
    """llama.cpp's rotary layout for q/k projections (convert_hf_to_gguf's ``permute``)."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _gguf_tokenizer(writer: Any, model_dir: Path, vocab_size: int) -> None:
    """The tokenizer as GGUF metadata: the byte-level BPE vocabulary (padded to ``vocab_size``), its merges, the
    special token ids and the chat template."""
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

    model_dir, out_path = Path(model_dir), Path(out_path)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "llama":
        raise GgufUnsupported(
            f"model_type {config.get('model_type')!r}: this writer handles Llama-architecture models only (SmolLM2 is "
            "one); use llama.cpp's convert_hf_to_gguf.py on the exported dir"
        )
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", "default") not in ("default", None):
        raise GgufUnsupported(f"rope scaling {rope.get('rope_type')!r} is not written by this writer")
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config["num_hidden_layers"])

    staging = out_path.with_name(f".{out_path.name}.writing")
    writer = gguf.GGUFWriter(str(staging), "llama")
    _write_llama_metadata(writer, model_dir, config, rope)
    _gguf_tokenizer(writer, model_dir, config["vocab_size"])
    _add_tensors(writer, model_dir, config, name_map)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    staging.replace(out_path)
    return out_path


def _write_llama_metadata(writer: Any, model_dir: Path, config: dict[str, Any], rope: dict[str, Any]) -> None:
    """The model's hyperparameters as GGUF metadata (llama.cpp's llama.* keys), from its config.json."""
    import gguf

    n_head = config["num_attention_heads"]
    writer.add_name(model_dir.name)
    writer.add_context_length(config.get("max_position_embeddings", 2048))
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(config.get("num_key_value_heads") or n_head)
    writer.add_rope_dimension_count(config.get("head_dim") or config["hidden_size"] // n_head)
    writer.add_rope_freq_base(float(rope.get("rope_theta") or config.get("rope_theta") or 10000.0))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-5)))
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)


def _add_tensors(writer: Any, model_dir: Path, config: dict[str, Any], name_map: Any) -> None:
    """Every weight of the safetensors shards as F32 under its GGUF name (q/k in llama.cpp's rotary layout; no
    rotary inv_freq, no lm_head when it is tied to the embeddings)."""
    import torch
    from safetensors import safe_open

    n_head = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_head
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
