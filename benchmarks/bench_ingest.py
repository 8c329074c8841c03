"""Benchmark: ingest + sectioning + cleaning throughput on one core (single process).

The corpus is built from the three seed filings in data/samples: each synthetic filing is one seed with its
company renamed, its figures changed (but not the headings and form names the section finder reads: "ITEM
1.", "Item 2.", "Form 10-Q", "PART I") and its body paragraphs shuffled and repeated to about --size-kb
(prompt-wrapped seeds stay prompt-wrapped, the hard-wrapped 10-Q stays hard-wrapped), written to a
temporary folder. Each filing goes through `extract_filing_sections(path, ("item_1",))`: read and decode,
detect form/company/period, find the section, clean it, strip injected instructions. Filings whose section
was not found (the whole-text fallback) are counted and must be zero, or the run times the wrong path.

Also times the real EDGAR HTML filings in ../shared/filings (edgartools parsing included) when present: one
by one, then through the parallel build (`extract_all`, the process pool of `filingsum data build --workers N`)
with 1 and 2 workers in the same run, with filings/s and each worker's peak resident memory.

    python benchmarks/bench_ingest.py [--count 200] [--size-kb 50] [--no-real] [--workers 1,2]
    python benchmarks/bench_ingest.py --only-workers --workers 1,2     # the parallel section alone

Target: >= 1.8x filings/s with 2 workers vs 1 on the 2-core machine (parallel section).

Target: >= 20 synthetic filings/s of 50 kB each on one core.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from filingsum.filings.sections import extract_filing_sections  # noqa: E402

SEEDS = {
    "crexendo_10k_2016_item1_prompt.txt": "Crexendo",
    "fusion_10k_2016_item1_prompt.txt": "Fusion",
    "crexendo_10q_2020q3_mdna.txt": "Crexendo",
}
NAMES = ["Borealis", "Kestrel", "Quillon", "Marrowind", "Tessaract", "Pellucid", "Arboreta", "Cindervale"]
TARGET_FILINGS_PER_S = 20.0
# What the section finder reads: left as they are when figures are changed.
PROTECTED = re.compile(r"(?i)\b(?:item\s+\d+[a-z]?\b\.?|part\s+[iv]+\b|form\s+10-[kq]\b|10-[kq]\b)")
FALLBACK = "heading found; used the whole text"
# The 10-Q seed is its MD&A alone, without headings; a synthetic 10-Q wraps it in the Part I items around it,
# so the finder has to locate Item 2 as in a full filing.
TEN_Q_HEAD = ("PART I. FINANCIAL INFORMATION\n\nItem 1. Financial Statements\n\nSee the condensed consolidated "
              "financial statements filed with this report.\n\nItem 2. Management's Discussion and Analysis of "
              "Financial Condition and Results of Operations\n\n")
TEN_Q_TAIL = "\n\nItem 3. Quantitative and Qualitative Disclosures About Market Risk\n\nNot applicable.\n"
TARGET_SPEEDUP_2 = 1.8  # 2 extraction workers vs 1 on a 2-core machine


def _vary(text: str, company: str, new_company: str, rng: random.Random, size: int) -> str:
    prompt = ""
    if text.startswith("Prompt:"):
        prompt, text = text.split("\n\n", 1)
        prompt += "\n\n"
    text = re.sub(company, new_company, text, flags=re.IGNORECASE)
    pieces = PROTECTED.split(text)
    kept = PROTECTED.findall(text)
    changed = [re.sub(r"\d", lambda m: str((int(m.group(0)) + rng.randint(0, 9)) % 10), p) for p in pieces]
    text = "".join(c + (kept[i] if i < len(kept) else "") for i, c in enumerate(changed))
    paragraphs = re.split(r"\n\s*\n", text)
    head, body = paragraphs[:2], paragraphs[2:]
    out = list(head)
    while sum(len(p) for p in out) < size:
        rng.shuffle(body)
        out.extend(body)
    joined = "\n\n".join(out)[:size]
    if not prompt and "Form 10-Q" in text:
        joined = TEN_Q_HEAD + joined + TEN_Q_TAIL
    return prompt + joined


def build_corpus(folder: Path, count: int, size_kb: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    seeds = [(REPO / "data" / "samples" / name, company) for name, company in SEEDS.items()]
    texts = [(p.name, p.read_text(encoding="utf-8"), c) for p, c in seeds]
    paths = []
    for i in range(count):
        name, text, company = texts[i % len(texts)]
        new_company = f"{rng.choice(NAMES)}{i}"
        form = "10q" if "10q" in name else "10k"
        path = folder / f"{new_company.lower()}_{form}_{2010 + i % 14}_{name.split('_', 3)[-1]}"
        path.write_text(_vary(text, company, new_company, rng, size_kb * 1024), encoding="utf-8")
        paths.append(path)
    return paths


def bench_synthetic(count: int, size_kb: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_corpus(Path(tmp), count, size_kb, seed)
        total_bytes = sum(p.stat().st_size for p in paths)
        extract_filing_sections(paths[0])  # warm imports and regex caches
        start = time.perf_counter()
        found = []
        for path in paths:
            found += extract_filing_sections(path, ("item_1",))
        elapsed = time.perf_counter() - start
    return {
        "filings": count,
        "sections": len(found),
        "fallbacks": sum(any(FALLBACK in w for w in s.warnings) for s in found),
        "mb": total_bytes / 1e6,
        "seconds": elapsed,
        "filings_per_s": count / elapsed,
        "mb_per_s": total_bytes / 1e6 / elapsed,
    }


def bench_real(folder: Path) -> list[tuple[str, float, float, int, bool]]:
    import edgar.documents  # noqa: F401  (import once, ~4 s, outside the per-filing timings)

    rows = []
    for path in sorted(folder.glob("*.htm*")):
        start = time.perf_counter()
        sections = extract_filing_sections(path, ("item_1",))
        seconds = time.perf_counter() - start
        fallback = any(FALLBACK in w for s in sections for w in s.warnings)
        rows.append((path.name, path.stat().st_size / 1e6, seconds, sum(len(s.text) for s in sections), fallback))
    return rows


# --- real filings through the parallel build (extract_all with a process pool) ------------------------------


def _real_config(out: Path) -> Any:
    from filingsum.core.config import parse_config

    # tiny-random has SmolLM2's tokenizer, so fitting counts tokens as the default model does
    return parse_config({"model": {"name": "tiny-random"},
                         "data": {"out_dir": str(out), "references": ["extractive"], "gold": []}}, "bench")


def bench_real_workers(folder: Path, workers: int, out: Path) -> dict[str, float]:
    """The real filings through `extract_all` (what `filingsum data build --workers N` runs) with a fresh
    journal in OUT/.work: wall seconds, filings/s, and each worker process's peak resident memory."""
    from filingsum.dataset.extraction import extract_all

    data = _real_config(out).data
    paths = sorted(p.resolve() for p in folder.glob("*.htm*"))  # as `data build` names them (journal keys)
    start = time.perf_counter()
    extraction = extract_all(paths, data.sections, int(data.max_file_mb * 1024 * 1024),
                             out / ".work" / "extract.jsonl", progress=False, workers=workers)
    seconds = time.perf_counter() - start
    peaks = sorted(extraction.peak_rss.values())
    cpu = sorted(extraction.cpu_s.values())
    return {
        "cpu_total_s": sum(cpu), "cpu_max_worker_s": cpu[-1] if cpu else 0.0,
        "workers": workers, "filings": len(paths), "seconds": seconds, "filings_per_s": len(paths) / seconds,
        "skipped": len(extraction.skipped()), "worker_processes": len(peaks),
        "peak_mib_max": peaks[-1] / 2**20 if peaks else 0.0, "peak_mib_min": peaks[0] / 2**20 if peaks else 0.0,
    }


def bench_serial_tail(folder: Path, out: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of a whole `build_dataset` whose extraction all comes from OUT's journal: the single-process
    part of a build (dedup, fitting with the tokenizer, extractive references, filters, split, card, files)."""
    from filingsum.dataset.build import build_dataset

    start, cpu = time.perf_counter(), time.process_time()
    result = build_dataset(_real_config(out), inputs=[str(folder)], progress=False)
    assert result.files_resumed == len(list(folder.glob("*.htm*"))), "the journal did not cover every filing"
    return time.perf_counter() - start, time.process_time() - cpu, len(result.records)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def cpu_control(workers: int, tasks: int = 4, n: int = 10**7) -> float:
    """Speed-up of a pure-Python CPU loop with ``workers`` processes vs 1 right now: what the machine can give.
    (With the kernel's autogroup scheduling, busy sessions share the cores per session, not per process.)"""
    from concurrent.futures import ProcessPoolExecutor

    seconds = []
    for count in (1, workers):
        start = time.perf_counter()
        with ProcessPoolExecutor(count) as pool:
            list(pool.map(_spin, [n] * tasks))
        seconds.append(time.perf_counter() - start)
    return seconds[0] / seconds[1]


def report_real_workers(folder: Path, worker_counts: list[int]) -> None:
    """One row per worker count, the speed-up over the first, the load average before each run, and the
    serial remainder of a build of the same filings."""
    print(f"real EDGAR HTML through the parallel build ({folder}):")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in worker_counts:
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            row = bench_real_workers(folder, workers, Path(tmp) / f"w{workers}")
            rows.append(row)
            print(
                f"  workers={workers}: {row['filings']} filings in {row['seconds']:.1f} s -> "
                f"{row['filings_per_s']:.3f} filings/s; peak RSS per worker {row['peak_mib_min']:.0f}-"
                f"{row['peak_mib_max']:.0f} MiB ({row['worker_processes']} process(es)); {row['skipped']} skipped; "
                f"1-min load before: {load:.2f}"
            )
            print(f"    worker CPU time {row['cpu_total_s']:.1f} s in all, {row['cpu_max_worker_s']:.1f} s in the "
                  f"busiest worker -> {row['filings'] / row['cpu_max_worker_s']:.3f} filings/s if each worker "
                  "had a core")
        for row in rows[1:]:
            print(f"  CPU-time speed-up bound workers={row['workers']} vs {rows[0]['workers']} "
                  f"(own cores, no contention): {rows[0]['cpu_total_s'] / row['cpu_max_worker_s']:.2f}x")
            print(f"  speed-up workers={row['workers']} vs workers={rows[0]['workers']}: "
                  f"{row['filings_per_s'] / rows[0]['filings_per_s']:.2f}x (target >= {TARGET_SPEEDUP_2:.1f}x for 2); "
                  f"a pure-Python CPU loop got {cpu_control(row['workers']):.2f}x on this machine right after")
        seconds, cpu, records = bench_serial_tail(folder, Path(tmp) / f"w{worker_counts[-1]}")
        n = rows[-1]["filings"]
        print(f"  rest of the build (one process, all {n} filings from the journal): {seconds:.1f} s wall, {cpu:.1f} s "
              f"CPU -> {1000 * cpu / n:.0f} ms CPU/filing (fixed start-up included), {records} records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size-kb", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-real", action="store_true", help="skip the real EDGAR HTML filings")
    parser.add_argument("--workers", default="1,2", help="worker counts for the parallel real-filing run ('' skips it)")
    parser.add_argument("--only-workers", action="store_true", help="run only the parallel real-filing section")
    parser.add_argument("--filings", type=Path, default=REPO.parent / "shared" / "filings",
                        help="folder of real EDGAR HTML filings (default ../shared/filings)")
    args = parser.parse_args()
    shared = args.filings
    if args.only_workers:
        print(f"# ingest benchmark, parallel section {date.today()} | {platform.processor() or platform.machine()} | "
              f"python {platform.python_version()} | cores available: {len(os.sched_getaffinity(0))}")
        report_real_workers(shared, [int(w) for w in args.workers.split(",")])
        where = "" if shared == REPO.parent / "shared" / "filings" else f" --filings {shared}"
        print(f"reproduce: python benchmarks/bench_ingest.py --only-workers --workers {args.workers}{where}")
        return

    command = f"python benchmarks/bench_ingest.py --count {args.count} --size-kb {args.size_kb} --seed {args.seed}"
    print(f"# ingest benchmark {date.today()} | {platform.processor() or platform.machine()} | "
          f"python {platform.python_version()} | single process (os.cpu_count()={os.cpu_count()})")
    result = bench_synthetic(args.count, args.size_kb, args.seed)
    status = "meets" if result["filings_per_s"] >= TARGET_FILINGS_PER_S else "BELOW"
    print(
        f"synthetic: {result['filings']} filings ({result['mb']:.1f} MB), {result['sections']} sections in "
        f"{result['seconds']:.2f} s -> {result['filings_per_s']:.1f} filings/s, {result['mb_per_s']:.2f} MB/s "
        f"({status} the {TARGET_FILINGS_PER_S:.0f} filings/s target); section not found (whole-text "
        f"fallback): {result['fallbacks']} of {result['sections']}"
    )
    if not args.no_real and shared.is_dir():
        rows = bench_real(shared)
        print("real EDGAR HTML (load + edgartools parse + Item 1 / 10-Q MD&A + clean):")
        for name, mb, seconds, chars, fallback in rows:
            note = "  whole-text fallback" if fallback else ""
            print(f"  {name:32s} {mb:5.2f} MB {seconds:6.2f} s  {chars:7d} chars out{note}")
        total = sum(r[2] for r in rows)
        print(f"  total {total:.1f} s for {len(rows)} filings, mean {total / len(rows):.2f} s/filing; "
              f"whole-text fallbacks: {sum(r[4] for r in rows)}")
        if args.workers:
            report_real_workers(shared, [int(w) for w in args.workers.split(",")])
    print(f"reproduce: {command}")
    if result["fallbacks"]:
        raise SystemExit(f"{result['fallbacks']} synthetic filings fell back to the whole text: the benchmark "
                         "did not time the section finder; fix the corpus before reading the figures")


if __name__ == "__main__":
    main()
