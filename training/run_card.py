"""run_card.md: what was trained, on what, how, and how it scored: a page a reviewer reads first."""

from __future__ import annotations

from typing import Any

from filingsum.core.config import RunConfig


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_run_card(config: RunConfig, summary: dict[str, Any]) -> str:
    t = config.train
    lines = [
        f"# Run card: {config.run_name}",
        "",
        f"- base model: `{config.model.name}` ({summary.get('model_dir', '')})",
        f"- architecture: {'seq2seq' if summary.get('seq2seq') else 'decoder'}; method: {t.method}"
        + (f" (r={t.lora.r}, alpha={t.lora.alpha}, dropout={t.lora.dropout}, targets={t.lora.target_modules})"
           if t.method != "full" else ""),
        f"- trainable parameters: {summary.get('trainable_params', '?'):,} of {summary.get('total_params', '?'):,}"
        if isinstance(summary.get("trainable_params"), int) else "- trainable parameters: ?",
        f"- precision: {summary.get('precision')}; device: {summary.get('device')}; processes: "
        f"{summary.get('world_size', 1)}",
        f"- data: `{config.data.out_dir}`: {summary.get('train_examples')} train / "
        f"{summary.get('validation_examples', 0)} validation examples; fingerprint "
        f"`{str(summary.get('train_fingerprint', ''))[:16]}`",
        f"- steps: {summary.get('global_step')} (epochs {_fmt(summary.get('epoch'))}), lr {t.learning_rate}, "
        f"batch {t.batch_size} x accumulation {t.gradient_accumulation_steps}, seed {t.seed}",
        f"- resumed from: {summary.get('resumed_from') or 'no (fresh run)'}",
        f"- best checkpoint: {summary.get('best_checkpoint') or 'n/a'}",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for key, value in sorted(summary.get("final_metrics", {}).items()):
        lines.append(f"| {key} | {_fmt(value)} |")
    lines += [
        "",
        "## Files",
        "",
        "adapter/ (peft adapter + tokenizer with the training chat template), checkpoints/, metrics.json, "
        "loss.png, logs/ (TensorBoard), config.resolved.yaml, data.json (data fingerprint)"
        + (", merged/ (safetensors, adapter folded in)" if summary.get("merged_dir") else "") + ".",
        "",
    ]
    return "\n".join(lines)
