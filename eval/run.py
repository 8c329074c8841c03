"""Config-driven eval: which records, which systems, which references; the scoring lives in eval.harness.

Systems by name: ``lead-k`` and ``extractive`` (baselines built from the filing), ``zero-shot`` (the base
model), ``tuned`` (base + the run's LoRA adapter), ``endpoint`` or ``endpoint:NAME`` (an OpenAI-compatible
server, e.g. the vLLM deployment). Generation uses the prompt contract, so eval scores what serving returns.

``zero-shot`` and ``tuned`` generate in-process with HF ``generate`` (eval.generate_with: local) or through a
vLLM server (eval.generate_with: vllm): the caller passes ``start_server`` (the CLI passes
``filingsum.serving.generate.vllm_server_for``; a stage does not import another stage), a context manager that
serves the base or the adapter and yields its URL and model name; each record is then sent as `filingsum
summarize` sends it, with the same decoding settings (greedy, model.repetition_penalty, the summary cap).

Generated summaries are journalled as they are made (``OUT/.work/generations-SYSTEM.jsonl``, keyed by the
record, the model, the adapter's files and the generation settings), so a run killed or interrupted midway
resumes where it stopped, and the report directory is checked before any model is loaded (exit 2).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from filingsum.core.config import ConfigError, RunConfig
from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.io import (
    OutputPathError,
    ResultJournal,
    check_replaceable,
    output_target,
    preflight_output_dir,
    read_jsonl,
    stable_hash,
)
from filingsum.core.progress import Progress
from filingsum.core.schema import FilingRecord, PredictionRecord
from filingsum.eval.gates import GateSpecError, parse_gates
from filingsum.eval.harness import BASELINES, EvalInputError, SystemSpec, load_predictions_jsonl, run_eval
from filingsum.eval.preflight import SYSTEMS_HINT, check_eval_config
from filingsum.eval.report import Report, is_eval_report
from filingsum.filings.gold import load_gold
from filingsum.inference.base import Summarizer
from filingsum.inference.factory import SystemKind, summarizer_from_config, tuned_adapter

log = logging.getLogger(__name__)

# (config, adapter dir or None) -> a context manager yielding (base_url, served model name) while serving it
StartServer = Callable[[RunConfig, "str | None"], AbstractContextManager[tuple[str, str]]]


def load_eval_records(config: RunConfig) -> list[FilingRecord]:
    """The split to score, with gold references where they exist (else the record's own reference)."""
    data_dir = Path(config.data.out_dir)
    splits = ["train", "validation", "test"] if config.eval.split == "all" else [config.eval.split]
    records: list[FilingRecord] = []
    for split in splits:
        path = data_dir / f"{split}.jsonl"
        if path.exists():
            try:
                rows = list(read_jsonl(path))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:  # nested past the recursion limit too
                raise UsageError(f"{path}: not a readable JSONL file ({exc}); rebuild the dataset with "
                                 "`filingsum data build`") from None
            records += [FilingRecord.model_validate(row) for row in rows]
    if not records:  # a missing input: exit 2, before any model is loaded
        raise UsageError(
            f"eval.split: no {config.eval.split} records in {data_dir}; build the dataset first: "
            f"filingsum data build --config {config.source_path or 'CONFIG'}"
        )
    gold, warnings = load_gold(config.eval.references)
    for warning in warnings:
        log.warning("eval.references: %s", warning)
    with_gold = []
    for record in records:
        entry = gold.lookup(record.source_path, record.section)
        if entry:
            record = record.model_copy(update={"reference": entry.summary, "reference_origin": "gold"})
        with_gold.append(record)
    if config.eval.max_documents:
        with_gold = with_gold[: config.eval.max_documents]
    log.info("eval on %d %s record(s), %d with gold references", len(with_gold), config.eval.split,
             sum(r.reference_origin == "gold" for r in with_gold))
    return with_gold


REPORT_FILES = ("report.json", "report.md", "report.html")  # in the order eval.report.write_report writes them
JOURNAL_BATCH = 4  # generated summaries are journalled this many at a time


def preflight_report_dir(out: Path, inputs: Sequence[str | Path] = ()) -> Path:
    """The report dir can take report.{json,md,html} and the generation journal, and writing them overwrites
    none of ``inputs`` (a predictions file); `OutputPathError` (exit 2) in one line otherwise, before any model
    is loaded."""
    preflight_output_dir(out, what="report directory (--out / eval.out_dir)")
    for name in REPORT_FILES:
        if (out / name).is_dir():
            raise OutputPathError(f"{out / name}: is a directory, so the report cannot be written; remove it")
        output_target(out / name, "report file")
        for source in inputs:
            if (out / name).exists() and os.path.exists(source) and os.path.samefile(out / name, source):
                raise OutputPathError(f"{out / name}: the report would overwrite the input {source}; give --out "
                                      "a directory without it")
        # a user's own report.md/json/html in the dir is kept, not replaced; an earlier eval report may go
        check_replaceable(out / name, lambda head, name=name: is_eval_report(name, head), what="eval report")
    preflight_output_dir(out / ".work", what="generation journal directory")
    return out


def _journal_file(work_dir: Path, name: str) -> Path:
    return work_dir / f"generations-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.jsonl"


def _files_identity(path: str | Path | None) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of an adapter's files: a retrained adapter changes the journal keys."""
    if path is None:
        return []
    from filingsum.core.models import find_adapter_dir

    folder = find_adapter_dir(path)
    return sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file())


def _journalled(
    name: str, identity: dict, work_dir: Path | None, records: Sequence[FilingRecord],
    make: Callable[[list[FilingRecord]], Iterator[tuple[FilingRecord, str | None, str | None]]],
) -> list[PredictionRecord]:
    """Predictions for ``records``: from the journal when an earlier run made them with the same identity,
    else from ``make`` (which yields (record, summary or None, error or None) as they finish) and journalled
    at once. A failed request (summary None) is not journalled: a rerun tries it again. An empty completion
    ("" with an error) is the model's own deterministic output, journalled with its error. Either stays a
    failure on the record (``error``, which counts against every gate), never an empty summary that would
    pass the token limit."""
    journal = ResultJournal(_journal_file(work_dir, name)) if work_dir is not None else None
    keys = {r.id: stable_hash(identity, r.id, r.instruction, r.text) for r in records}
    made: dict[str, str] = {}
    errors: dict[str, str] = {}
    try:
        todo = [r for r in records if journal is None or keys[r.id] not in journal]
        if journal is not None and len(todo) < len(records):
            log.info("%s: %d of %d summaries resumed from %s", name, len(records) - len(todo), len(records),
                     journal.path)
        if todo:
            log.info("generating %d summaries with %s", len(todo), name)
            with Progress(len(todo), f"generating ({name})", "summary") as progress:
                for record, summary, error in make(todo):
                    progress.update(failed=summary is None or error is not None)
                    if summary is None or error is not None:
                        errors[record.id] = error or "empty completion"
                        log.warning("system %s, document %s: no summary (%s)", name, record.id, errors[record.id])
                        if summary is None:
                            continue
                    made[record.id] = summary
                    if journal is not None:
                        journal.put(keys[record.id], {"prediction": summary, "error": errors.get(record.id)})
    finally:
        if journal is not None:
            journal.close()

    def prediction(r: FilingRecord) -> tuple[str, str | None]:
        if r.id in made or r.id in errors:
            return made.get(r.id, ""), errors.get(r.id)
        value = journal.get(keys[r.id]) if journal is not None else None
        if not value:
            return "", "no summary"
        return value["prediction"], value.get("error")

    predictions = []
    for r in records:
        text, error = prediction(r)
        predictions.append(PredictionRecord(id=r.id, source=r.text, prediction=text, reference=r.reference,
                                            system=name, error=error, company=r.company))
    return predictions


def _summaries(
    summarizer: Summarizer, todo: list[FilingRecord],
) -> Iterator[tuple[FilingRecord, str | None, str | None]]:
    """(record, summary, error) for each record, generated ``JOURNAL_BATCH`` at a time so the caller journals
    batch by batch; an empty completion is a summary "" with an error (deterministic: journalled, still a failure)."""
    for start in range(0, len(todo), JOURNAL_BATCH):
        batch = todo[start:start + JOURNAL_BATCH]
        outputs = summarizer.summarize([r.text for r in batch], [r.instruction for r in batch])
        for record, output in zip(batch, outputs):
            if not output.ok:
                yield record, None, f"{output.error_kind}: {output.error}"
            elif not output.text.strip():
                yield record, "", "empty completion"
            else:
                yield record, output.text, None


def _generated_system(
    config: RunConfig, name: str, kind: SystemKind, *, adapter: str | None = None, base_url: str | None = None,
    served_model: str | None = None, max_summary_tokens: int | None = None, work_dir: Path | None = None,
) -> SystemSpec:
    """A system that generates: the summarizer the config describes (`summarizer_from_config`), built when the
    system runs (and only for the summaries the journal in ``work_dir`` lacks), so one model is in memory at a
    time and a rerun after an interrupt generates only what is missing."""

    def generate(records: Sequence[FilingRecord]) -> list[PredictionRecord]:
        identity = {
            "system": name, "kind": kind, "model": config.model.name, "dtype": config.model.dtype,
            "adapter": _files_identity(adapter), "base_url": base_url, "served_model": served_model,
            "max_source_tokens": config.model.max_source_tokens,
            # "max_tokens": the journal's stored key (journals written before the rename still match)
            "max_tokens": max_summary_tokens or config.max_summary_tokens(config.eval.max_summary_tokens),
            "repetition_penalty": config.model.repetition_penalty,
        }

        def make(todo: list[FilingRecord]) -> Iterator[tuple[FilingRecord, str | None, str | None]]:
            summarizer = summarizer_from_config(config, kind, adapter=adapter, base_url=base_url,
                                                served_model=served_model, max_summary_tokens=max_summary_tokens)
            yield from _summaries(summarizer, todo)

        return _journalled(name, identity, work_dir, records, make)

    return generate


def _endpoint_system(config: RunConfig, name: str, work_dir: Path | None = None) -> SystemSpec:
    """``endpoint`` or ``endpoint:NAME``: the eval.endpoint server's model (eval.endpoint_model, else NAME,
    else model.name), capped like local generation (eval.max_summary_tokens)."""
    if not config.eval.endpoint:
        raise UsageError(f"system {name!r} needs eval.endpoint (an OpenAI-compatible base URL)")
    served = config.eval.endpoint_model or name.partition(":")[2] or config.model.name
    return _generated_system(
        config, name, "endpoint", base_url=config.eval.endpoint, served_model=served,
        max_summary_tokens=config.max_summary_tokens(config.eval.max_summary_tokens), work_dir=work_dir,
    )


def _served_system(
    config: RunConfig, name: str, *, adapter: str | None, start_server: StartServer, work_dir: Path | None = None,
) -> SystemSpec:
    """zero-shot or tuned generated through a server started for them (only when the journal lacks summaries),
    sent as the endpoint client sends every request (the prompt contract, greedy, model.repetition_penalty)."""
    max_summary_tokens = config.max_summary_tokens(config.eval.max_summary_tokens)

    def generate(records: Sequence[FilingRecord]) -> list[PredictionRecord]:
        identity = {
            "system": name, "kind": "served", "engine": config.eval.generate_with, "model": config.model.name,
            "adapter": _files_identity(adapter), "max_source_tokens": config.model.max_source_tokens,
            "max_tokens": max_summary_tokens, "repetition_penalty": config.model.repetition_penalty,
        }

        def make(todo: list[FilingRecord]) -> Iterator[tuple[FilingRecord, str | None, str | None]]:
            with start_server(config, adapter) as (base_url, served_model):
                summarizer = summarizer_from_config(config, "endpoint", base_url=base_url, served_model=served_model,
                                                    max_summary_tokens=max_summary_tokens)
                yield from _summaries(summarizer, todo)

        return _journalled(name, identity, work_dir, records, make)

    return generate


def build_systems(
    config: RunConfig, work_dir: Path | None = None, start_server: StartServer | None = None,
) -> dict[str, SystemSpec]:
    """The systems of eval.systems; generated ones journal their summaries in ``work_dir`` (when given).
    zero-shot and tuned run in-process, or through ``start_server`` with eval.generate_with: vllm."""
    if config.eval.generate_with == "vllm" and start_server is None:
        raise FilingsumError("eval.generate_with is vllm but no server starter was given (use `filingsum eval`)")

    def model_system(name: str, kind: SystemKind, adapter: str | None) -> SystemSpec:
        from filingsum.core.contract import config_with_contract

        system_config, warnings = config_with_contract(config, adapter)  # decode as the adapter was trained
        for warning in warnings:
            log.warning("system %r: %s", name, warning)
        if config.eval.generate_with == "vllm":
            assert start_server is not None
            return _served_system(system_config, name, adapter=adapter, start_server=start_server,
                                  work_dir=work_dir)
        return _generated_system(system_config, name, kind, adapter=adapter, work_dir=work_dir)

    systems: dict[str, SystemSpec] = {}
    for name in config.eval.systems:
        if name in BASELINES:
            systems[name] = None
        elif name == "zero-shot":
            systems[name] = model_system(name, "zero-shot", None)
        elif name == "tuned":
            adapter = str(tuned_adapter(config))  # fails here, before any generation
            systems[name] = model_system(name, "tuned", adapter)
        elif name == "endpoint" or name.startswith("endpoint:"):
            systems[name] = _endpoint_system(config, name, work_dir)
        else:
            raise UsageError(f"eval.systems: unknown system {name!r}; {SYSTEMS_HINT}")
    return systems


def _gates(config: RunConfig, fail_under: Sequence[str]) -> list[str]:
    """Gates from eval.gates and --fail-under; a bad one is a config error (exit 2) before any work."""
    try:
        configured = [str(g) for g in parse_gates(config.eval.gates)]
    except GateSpecError as exc:
        raise ConfigError(f"{config.source_path or '<config>'}: eval.gates: {exc}") from None
    try:
        return configured + [str(g) for g in parse_gates(list(fail_under))]
    except GateSpecError as exc:
        raise ConfigError(f"--fail-under: {exc}") from None


def evaluate_config(
    config: RunConfig, *, out_dir: str | None = None, fail_under: Sequence[str] = (),
    start_server: StartServer | None = None,
) -> Report:
    """`filingsum eval --config`: the configured systems generated (journalled under the report dir) and
    scored; the report is written to the report dir (eval.out_dir or ``out_dir``) and returned."""
    from filingsum.core.models import load_tokenizer

    gates = _gates(config, fail_under)  # bad gates fail before any model is loaded
    names = [s.split(":", 1)[0] if s.startswith("endpoint:") else s for s in config.eval.systems]
    if gates and len(config.eval.systems) > 1 and config.eval.gate_system not in (*config.eval.systems, *names):
        raise ConfigError(f"{config.source_path or '<config>'}: eval.gate_system {config.eval.gate_system!r} is not "
                          f"among eval.systems ({', '.join(config.eval.systems)}), so its gates could not be "
                          "checked; set eval.gate_system to one of them")
    check_eval_config(config)  # the eval section's mistakes, before any record, model or request (exit 2)
    out = preflight_report_dir(Path(out_dir or config.eval.out_dir))
    records = load_eval_records(config)
    systems = build_systems(config, work_dir=out / ".work", start_server=start_server)
    report = run_eval(
        records, systems, load_tokenizer(config.model.name), out,
            max_summary_tokens=config.max_summary_tokens(),
        gates=gates,
        configured_gate_system=config.eval.gate_system, nli_model=config.eval.nli_model, workers=config.eval.workers,
        config={"run_name": config.run_name, "model": config.model.name, "split": config.eval.split,
                "systems": list(systems), "repetition_penalty": config.model.repetition_penalty,
                "generate_with": config.eval.generate_with},
    )
    return report


def evaluate_predictions_file(
    config: RunConfig, path: str, *, out_dir: str | None, tokenizer_spec: str | None, system: str | None,
    fail_under: Sequence[str],
) -> Report:
    """`filingsum eval --predictions FILE`: a predictions JSONL scored; the report is written and returned."""
    from filingsum.core.models import load_tokenizer

    if not out_dir:
        raise EvalInputError("--predictions needs --out DIR for the report")
    gates = _gates(config, fail_under)
    preflight_report_dir(Path(out_dir), inputs=(path,))
    predictions = load_predictions_jsonl(path, system=system)
    by_system: dict[str, list[PredictionRecord]] = {}
    for p in predictions:
        by_system.setdefault(p.system or system or Path(path).stem, []).append(p)
    spec = tokenizer_spec or config.model.name
    report = run_eval(
        [], by_system, load_tokenizer(spec), out_dir,
            max_summary_tokens=config.max_summary_tokens(), gates=gates,
        configured_gate_system=config.eval.gate_system, config={"predictions": path, "tokenizer": spec},
        workers=config.eval.workers,
    )
    return report
