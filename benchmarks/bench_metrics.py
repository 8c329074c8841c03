"""Benchmark: score 1,000 predictions with every metric (no generation).

Synthetic but built from the real seed texts: each source is ~20k characters of consecutive sentences of
data/samples/*.txt, each reference ~300 words of that source's sentences, and each system's prediction a
perturbation of the reference (sentences dropped/reordered, figures changed, an invented name, a loop or a
bullet list now and then). 250 sources x 4 systems = 1,000 predictions, as an eval of lead-k, extractive,
zero-shot and tuned would be. Tokens are counted with the real SmolLM2 tokenizer.

    python benchmarks/bench_metrics.py [--predictions 1000] [--systems 4] [--workers N]

Scoring runs in one process per CPU core by default (eval.workers; `--workers 1`: in this process only).

Target: <= 60 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from filingsum.core.config import ModelConfig  # noqa: E402
from filingsum.core.schema import PredictionRecord  # noqa: E402
from filingsum.core.text import split_sentences  # noqa: E402
from filingsum.eval.harness import score_systems  # noqa: E402


def load_tokenizer():
    from filingsum.core.models import load_tokenizer as load

    for spec in ("embedded:smollm2-135m-instruct", "tiny-random"):
        try:
            return spec, load(spec)
        except Exception as exc:  # noqa: BLE001 - fall back to the next tokenizer, say why
            print(f"tokenizer {spec} unavailable: {exc}", file=sys.stderr)
    raise SystemExit("no tokenizer available")


def seed_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted((REPO / "data" / "samples").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [s for s in split_sentences(text) if 8 <= len(s.split()) <= 80]
    return sentences


def _perturb(reference: str, rng: random.Random) -> str:
    sentences = split_sentences(reference)
    rng.shuffle(sentences) if rng.random() < 0.3 else None
    sentences = [s for s in sentences if rng.random() > 0.15] or sentences[:1]
    text = " ".join(sentences)
    # Change some figures, add an invented name, sometimes loop or turn into a list.
    text = re.sub(r"\d[\d,]*", lambda m: str(rng.randint(1, 99_999)) if rng.random() < 0.2 else m.group(0), text)
    if rng.random() < 0.3:
        text += " The company also partners with Zorblax Quantum Systems for distribution."
    if rng.random() < 0.05:
        text += " The company sells cloud services to businesses." * 4
    if rng.random() < 0.05:
        text = "\n".join(f"- {s}" for s in split_sentences(text))
    return text


def build(n_predictions: int, n_systems: int, seed: int = 0) -> dict[str, list[PredictionRecord]]:
    rng = random.Random(seed)
    sentences = seed_sentences()
    n_sources = max(1, n_predictions // n_systems)
    systems: dict[str, list[PredictionRecord]] = {f"system-{k}": [] for k in range(n_systems)}
    made = 0
    for i in range(n_sources):
        start = rng.randrange(len(sentences))
        source_parts, size = [], 0
        while size < 20_000:
            s = sentences[(start + len(source_parts)) % len(sentences)]
            source_parts.append(s)
            size += len(s) + 1
        source = " ".join(source_parts)
        picked = sorted(rng.sample(range(len(source_parts)), k=min(len(source_parts), 40)))
        ref_parts, words = [], 0
        for j in picked:
            if words >= 300:
                break
            ref_parts.append(source_parts[j])
            words += len(source_parts[j].split())
        reference = " ".join(ref_parts)
        for name in systems:
            if made >= n_predictions:
                break
            systems[name].append(PredictionRecord(id=f"doc-{i}", source=source, reference=reference,
                                                  prediction=_perturb(reference, rng), system=name))
            made += 1
    return systems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--predictions", type=int, default=1000)
    parser.add_argument("--systems", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None, help="scoring processes (default: one per core)")
    args = parser.parse_args()

    spec, tokenizer = load_tokenizer()
    systems = build(args.predictions, args.systems)
    preds = [p for ps in systems.values() for p in ps]
    n = len(preds)
    mean_words = sum(len(p.prediction.split()) for p in preds) / n
    mean_chars = sum(len(p.source) for p in preds) / n

    start = time.perf_counter()
    report = score_systems(systems, tokenizer, max_summary_tokens=ModelConfig().max_summary_tokens,
                           workers=args.workers)
    seconds = time.perf_counter() - start

    agg = report.systems["system-0"].aggregate
    workers = f" --workers {args.workers}" if args.workers is not None else ""
    print(f"command: python benchmarks/bench_metrics.py --predictions {args.predictions} --systems {args.systems}"
          f"{workers}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}")
    print(f"tokenizer: {spec}")
    print(f"predictions: {n} ({len(systems)} systems x {n // len(systems)} sources); mean summary "
          f"{mean_words:.0f} words, mean source {mean_chars:,.0f} chars")
    print(f"scoring: {seconds:.1f} s, {n / seconds:.1f} predictions/s (target <= 60 s)")
    print("system-0 aggregate: " + ", ".join(f"{k}={v:.3f}" for k, v in agg.items() if v is not None))


if __name__ == "__main__":
    main()
