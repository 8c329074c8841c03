"""Export a tuned model for use outside filingsum: a merged standalone model, its model card, a GGUF, the Hub.

``export_model(source, out_dir)`` takes a run dir, an adapter dir or a built-in adapter
(``embedded:filingsum-smollm2``) and writes into ``out_dir``:

- the adapter merged into its base as safetensors, with the tokenizer (the training chat template), the
  generation config and the inference contract (``inference.adapters.merge_adapter``);
- ``README.md``, a Hugging Face model card (``huggingface_hub.ModelCard``) whose metadata carries base_model,
  library_name, license, tags and, when the run has an eval report (``<run>/eval/report.json``), the tuned
  system's metrics as model-index results;
- with ``gguf=True``, ``<name>.f32.gguf`` written by the ``gguf`` package (no compiler, no llama.cpp), for
  Llama-architecture models (SmolLM2 is one; ``inference.gguf_writer``); other architectures get a plain
  reason instead;
- with ``push_to_hub=REPO``, the folder uploaded with ``huggingface_hub`` (a token and the network needed).

Nothing here prints: the result is an ``ExportResult`` that the CLI (and training's ``train.push_to_hub``)
report.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filingsum.core.errors import FilingsumError, UsageError
from filingsum.core.models import EMBEDDED_PREFIX, find_adapter_dir
from filingsum.inference.gguf_writer import GgufUnsupported, write_gguf

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
            return None if _older_than_the_adapter(candidate, run_dir) else candidate
    return None


def _older_than_the_adapter(report: Path, run_dir: Path) -> bool:
    """Whether a run's eval report predates its adapter's weights (the run was retrained after the eval): its
    metrics describe another model, so the card leaves them out, with a warning."""
    weights = [p for p in (run_dir / "adapter", run_dir) if (p / "adapter_model.safetensors").is_file()]
    if not weights:
        return False
    adapter = weights[0] / "adapter_model.safetensors"
    if adapter.stat().st_mtime <= report.stat().st_mtime:
        return False
    log.warning("%s is older than %s (the run was trained again after that eval): the card carries no eval "
                "metrics; rerun `filingsum eval` to add them", report, adapter)
    return True


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
        lines.append("No eval report of this model was found (`filingsum eval` writes one after training).")
    lines += ["", "## Limits", "", "A small model: it can drop or blur facts. English SEC filings only.", ""]
    return ModelCard("\n".join(lines))


# --- the Hub ----------------------------------------------------------------------------------------


def check_push_target(repo: str, *, token: str | None = None, api: Any = None, what: str = "--push-to-hub") -> None:
    """Before any work: `UsageError` (exit 2) when ``repo`` is not a Hub repo id, when HF_HUB_OFFLINE forbids the
    upload, or when no token would be sent (``token``, ``api``'s, else huggingface_hub's: HF_TOKEN or `hf auth
    login`). Whether the Hub accepts the token is known only at upload time."""
    from huggingface_hub import constants, get_token
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo)
    except HFValidationError as exc:
        raise UsageError(f"{what} {repo!r}: not a Hub repo id ({str(exc).splitlines()[0]}); give ORG/NAME") from None
    if "/" not in repo:
        raise UsageError(f"{what} {repo!r}: give the repo as ORG/NAME (your user name or an organisation)")
    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise UsageError(f"{what} {repo}: HF_HUB_OFFLINE is set, so nothing can be uploaded; unset it, or run "
                         "without the push and upload later with `filingsum export ... --push-to-hub`")
    if not (token or (api is not None and getattr(api, "token", None)) or get_token()):
        raise UsageError(f"{what} {repo}: no Hugging Face token; run `hf auth login` or set HF_TOKEN first")


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
    except Exception as exc:  # noqa: BLE001 (connection errors of httpx or requests, bad ids: one line each)
        raise ExportError(f"--push-to-hub {repo}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                          f" (the export in {folder} is complete)") from None
    return str(getattr(url, "url", None) or url)


# --- the whole export --------------------------------------------------------------------------------


def check_export_name(name: str) -> str:
    """``name`` when it can name the GGUF file inside --out (``NAME.f32.gguf``) and the card's model: not empty,
    no path separator, no leading dot ('..' would climb out of --out), no control character, at most 200
    bytes; UsageError (exit 2) naming --name otherwise."""
    problem = None
    if not name.strip():
        problem = "is empty"
    elif "/" in name or "\\" in name or os.sep in name:
        problem = "contains a path separator"
    elif name.startswith("."):
        problem = "starts with a dot ('..' would leave --out; a dot file is hidden)"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        problem = "contains a control character"
    elif len(name.encode("utf-8", "surrogateescape")) > 200:
        problem = "is longer than 200 bytes"
    if problem:
        raise UsageError(f"--name {name!r}: {problem}; give a plain file name such as filingsum-smollm2 (the GGUF "
                         "is written as NAME.f32.gguf inside --out)")
    return name


def is_previous_export(folder: Path) -> bool:
    """Whether a dir is what `export` writes (a model config, its weights and the card), so --overwrite may
    replace it: never a dir of the user's own files."""
    names = {p.name for p in folder.iterdir()}
    allowed = re.compile(r"(?:config\.json|generation_config\.json|README\.md|.*\.safetensors(?:\.index\.json)?|"
                         r"tokenizer.*|special_tokens_map\.json|chat_template\.(?:jinja|json)|vocab\.json|"
                         r"merges\.txt|added_tokens\.json|filingsum_contract\.json|.*\.gguf|\..*)")
    return {"config.json", "README.md"} <= names and all(allowed.fullmatch(n) for n in names)


def _adapter_to_export(source: str | os.PathLike[str]) -> Path:
    """The adapter dir of ``source``; UsageError (before any work) when it has none, saying what to do."""
    from filingsum.core.models import AdapterError, FullRunError

    try:
        return find_adapter_dir(source)
    except FullRunError as exc:  # nothing to merge: the run's model/ is already what an export writes
        raise UsageError(f"{exc}; export merges a LoRA adapter into its base, and this model needs no merge: copy "
                         f"that dir, or serve it with `filingsum serve --merged {exc.model_dir}`") from None
    except AdapterError as exc:  # nothing to export: a usage error, before any work
        raise UsageError(f"{exc}; export a run dir after `filingsum train`, an adapter dir or embedded:NAME") from None


def _check_writable(out_dir: Path) -> None:
    """`OutputPathError` (exit 2) when ``out_dir`` cannot be made and written (under a file, read-only, a full
    disk), the same check every command makes of its outputs; a dir the check made is removed again, so a
    failed export leaves nothing new."""
    from filingsum.core.io import preflight_output_dir

    existed = out_dir.exists()
    try:
        preflight_output_dir(out_dir, what="export directory (--out)")
    finally:
        if not existed:
            try:
                out_dir.rmdir()
            except OSError:
                pass


def export_model(
    source: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, gguf: bool = False,
    push_to_hub: str | None = None, license: str | None = None, name: str | None = None,
    token: str | None = None, private: bool = False, api: Any = None, overwrite: bool = False,
) -> ExportResult:
    """Merge ``source`` (run dir, adapter dir, or ``embedded:NAME``) into ``out_dir`` with its card; optionally a
    GGUF and a Hub upload (module docstring)."""
    from filingsum.core.contract import CONTRACT_FILE
    from filingsum.core.path_names import check_name_lengths
    from filingsum.inference.adapters import adapter_base_model, merge_adapter

    if name is not None:
        check_export_name(name)  # before any work: the GGUF goes to --out/NAME.f32.gguf
    if push_to_hub:
        check_push_target(push_to_hub, token=token, api=api)  # an upload that cannot happen: before the merge
    adapter_dir = _adapter_to_export(source)
    out_dir = Path(out_dir).expanduser().resolve()  # ".", ".." and links made the dir they name
    check_name_lengths(out_dir, "--out")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a directory; choose another --out")
    cwd = Path.cwd().resolve()
    if out_dir in (cwd, *cwd.parents) or out_dir == Path.home().resolve():
        raise UsageError(f"--out {out_dir}: is the current directory, one above it or the home directory; an "
                         "export replaces its --out whole: choose a new dir for it")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise UsageError(f"--out {out_dir}: not empty; choose an empty dir or pass --overwrite")
        if not is_previous_export(out_dir):
            raise UsageError(f"--out {out_dir}: --overwrite replaces an earlier export only, and this dir holds "
                             "other files (no config.json and README.md of an export); choose an empty dir")
    if out_dir.resolve() in (adapter_dir, *adapter_dir.parents):
        raise UsageError(f"--out {out_dir}: holds the adapter being exported; choose a dir outside it")
    base = adapter_base_model(adapter_dir, required=True)
    assert base is not None
    report = find_eval_report(source)
    metrics = report_metrics(report) if report else {}
    if report is not None and not metrics:
        log.warning("%s has no %r system: the card carries no eval metrics", report, REPORT_SYSTEM)
        report = None
    _check_writable(out_dir)  # before the merge (seconds to minutes): exit 2, as every command's output check

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
