"""`filingsum data`: build a filing-to-summary dataset, preview its training examples, or fetch a filing."""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Group

    from filingsum.core.config import RunConfig
    from filingsum.training.preview import DatasetPreview

HELP = "build a filing-to-summary dataset (ingest, sections, fit, references, filters, split) or fetch filings"
DESCRIPTION = """Build a dataset of filing-to-summary pairs, or download a filing from SEC EDGAR.

  filingsum data build --config configs/data-seeds.yaml
  filingsum data build --config configs/data-seeds.yaml --input data/samples ../shared/filings --out data/built/x
  filingsum data build --config configs/data-seeds.yaml --set data.references='[gold,extractive]'
  filingsum data fetch --ticker CXDO --form 10-K --year 2016 --out data/raw --identity "Jane Doe jane@example.com"

  filingsum data build --config configs/data-seeds.yaml --workers 8          # 8 extraction processes
  filingsum data build --config C --input CORPUS --out shards/1 --shard 1/2    # on machine 1
  filingsum data build --config C --input CORPUS --out shards/2 --shard 2/2    # on machine 2
  filingsum data merge shards/1 shards/2 --config C --out data/built/all       # = one build of CORPUS

  filingsum data preview --config configs/data-seeds.yaml --n 2              # the training examples, as trained

`build` is resumable: finished files are journalled in OUT/.work/ and teacher answers cached in
OUT/teacher_cache/, so rerunning after a kill, a crash or Ctrl-C continues where it stopped. Unusable files
(empty, binary, undecodable, too large, wrong form, or one that crashes its worker process) are skipped with
the reason listed in OUT/card.md. The output is the same whatever --workers is. docs/scaling.md has more.
"""
PREVIEW_DESCRIPTION = """Show records of a built dataset as training sees them, through the function training
encodes with (training.data.encode_record): the prompt as the model's chat template renders it, the label,
which tokens carry the loss (the prompt's tokens have label -100: shown dim on a terminal and marked
[no loss]; the summary and its end-of-turn token are marked [loss]), the token counts against the budgets
(model.max_source_tokens, model.max_summary_tokens, the model's context) and the window's provenance (id,
source file, section, company, reference origin, build warnings).

  filingsum data preview --config configs/data-seeds.yaml
  filingsum data preview --config configs/smollm2-quality-cpu.yaml --split validation --n 1
  filingsum data preview --config C --id crexendo-10-k-2016-item-1-67c0c8a1
"""
MERGE_DESCRIPTION = """Combine the shards of one build (filingsum data build --shard K/N, for K = 1..N) into one
dataset: the files go back into input order and dedup, fitting, references, filters, split and card run over
the union, so the result equals a single build of all the files. Nothing is parsed again; the shards'
cached teacher answers are reused. Use the config the shards were built with.

  filingsum data merge shards/1 shards/2 --config configs/data-seeds.yaml --out data/built/all
"""


def _shard(text: str) -> object:
    from filingsum.core.errors import FilingsumError
    from filingsum.dataset.shards import Shard

    try:
        return Shard.parse(text)
    except FilingsumError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0 (0: extract in the main process)")
    return value


def filing_year(text: str) -> int:
    """argparse type: a year EDGAR can hold filings of (1993 to next year)."""
    import datetime

    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year") from None
    last = datetime.date.today().year + 1
    if not 1993 <= year <= last:
        raise argparse.ArgumentTypeError(f"{year} is not a year of EDGAR filings (1993-{last})")
    return year


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from filingsum.cli.common import add_config_arguments, non_negative_int, output_dir
    from filingsum.core.schema import SPLITS

    actions = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build the dataset from a config", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(build, required=False)
    build.add_argument(
        "--input", "-i", dest="inputs", nargs="+", metavar="PATH",
        help="input files, dirs or globs (default: data.inputs of the config)",
    )
    build.add_argument("--out", "-o", dest="out_dir", type=output_dir, metavar="DIR",
                       help="output dir (default: data.out_dir)")
    build.add_argument(
        "--workers", "-j", type=_workers, metavar="N",
        help="extraction processes (default: data.workers, else one per CPU core; 0: in the main process)",
    )
    build.add_argument(
        "--shard", type=_shard, metavar="K/N",
        help="build only shard K of N (files split by a hash of their path); combine with `data merge`",
    )

    merge = actions.add_parser(
        "merge", help="combine shard builds into one dataset", description=MERGE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(merge, required=False)
    merge.add_argument("shard_dirs", nargs="+", metavar="SHARD_DIR", help="the --out dirs of shards 1..N")
    merge.add_argument("--out", "-o", dest="out_dir", type=output_dir, metavar="DIR",
                       help="output dir (default: data.out_dir)")

    preview = actions.add_parser(
        "preview", help="show training examples: chat-template prompt, label, loss mask, token budgets",
        description=PREVIEW_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(preview, required=False)
    preview.add_argument("--split", default="train", choices=SPLITS, help="split to show (default train)")
    preview.add_argument("--n", type=non_negative_int, default=3, help="records to show, from the first (default 3)")
    preview.add_argument("--id", dest="record_id", metavar="ID", help="show the record with this id (overrides --n)")
    preview.add_argument("--data-dir", metavar="DIR", help="built dataset dir (default: data.out_dir)")

    fetch = actions.add_parser("fetch", help="download one filing from SEC EDGAR (needs network access)")
    fetch.add_argument("--ticker", required=True, help="company ticker, e.g. CXDO")
    fetch.add_argument("--form", default="10-K", choices=["10-K", "10-Q"], help="form type (default 10-K)")
    fetch.add_argument("--year", type=filing_year, required=True, help="filing year (1993: EDGAR's first full year)")
    fetch.add_argument("--out", dest="out_dir", type=output_dir, default="data/raw",
                       help="where to save the HTML (default data/raw)")
    fetch.add_argument(
        "--identity", default=None,
        help='SEC requires "Name email" in the User-Agent (default: $EDGAR_IDENTITY)',
    )


def _run_build(args: argparse.Namespace) -> int:
    from filingsum.cli.common import check_context_budget, load_run_config
    from filingsum.core.io import OutputLock
    from filingsum.dataset.build import build_dataset

    config = load_run_config(args, check_context=False)
    # data.instruction (a merge takes its shards' records as they are) counted with the model's tokenizer
    check_context_budget(config, instruction=config.data.instruction if args.data_command != "merge" else None,
                         what="data.instruction")
    check_teacher(config)  # credentials the teacher refuses: exit 2 before any filing is read
    # one build per output dir: a second one into the same --out refuses, naming the first (exit 2)
    with OutputLock(args.out_dir or config.data.out_dir, "dataset directory (--out / data.out_dir)"):
        if args.data_command == "merge":
            result = build_dataset(config, out_dir=args.out_dir, shards_from=args.shard_dirs)
        else:
            if args.workers is not None:
                config.data.workers = args.workers
            result = build_dataset(config, inputs=args.inputs, out_dir=args.out_dir, shard=args.shard)
    print(result.summary_line())
    print(f"card: {result.out_dir / 'card.md'}")
    return 0  # a build without records raised NoRecordsError (exit 1, one line)


def check_teacher(config: RunConfig) -> None:
    """The teacher's credentials, before any work, when data.references lists it: a base_url with user:password
    together with a named data.teacher.api_key_env is refused (the URL's credentials would be sent, as Basic
    auth, in place of the key), and so is a teacher whose /models refuses what would be sent (HTTP 401 or 403):
    every request would be refused, and the references would silently fall back to extractive ones. UsageError
    (exit 2); an unreachable teacher is left to the build (its answers may all be cached)."""
    from filingsum.core.endpoints import check_url_and_key, has_url_credentials
    from filingsum.core.errors import UsageError
    from filingsum.core.redact import redact_url

    teacher = config.data.teacher
    if teacher is None or "teacher" not in config.data.references:
        return
    from filingsum.dataset.teacher import DUMMY_KEY, resolve_api_key
    from filingsum.inference.endpoint import auth_refused

    try:
        key = resolve_api_key(teacher)
    except UsageError:
        return  # the build names the missing key, in its own order of checks
    named = "api_key_env" in teacher.model_fields_set
    if named:
        check_url_and_key(teacher.base_url, key, url_what="data.teacher.base_url",
                          key_what=f"data.teacher.api_key_env ({teacher.api_key_env})")
    status = auth_refused(teacher.base_url, key, timeout_s=min(teacher.timeout_s, 15.0))
    if status is None:
        return
    if has_url_credentials(teacher.base_url):
        what, fix = ("the user and password in data.teacher.base_url (sent as Basic auth)",
                     "check them, or drop them and name the key's variable in data.teacher.api_key_env")
    elif key and key != DUMMY_KEY:
        what, fix = (f"the API key in ${teacher.api_key_env}",
                     "check the key: it must be the one the teacher server takes")
    else:
        what, fix = ("a request without an API key",
                     "export the key and set data.teacher.api_key_env to the variable holding it")
    raise UsageError(f"data.teacher: {redact_url(teacher.base_url)}/models refused {what} (HTTP {status}), so "
                     f"every teacher request would be refused (and fall back to extractive references); {fix}")


def _run_preview(args: argparse.Namespace) -> int:
    from rich.console import Console

    from filingsum.cli.common import load_run_config
    from filingsum.training.preview import preview_dataset

    config = load_run_config(args)
    preview = preview_dataset(config, args.split, args.n, args.record_id, data_dir=args.data_dir)
    console = Console(highlight=False, soft_wrap=True)
    console.print(render_preview(preview))
    return 0


def _over(used: int, budget: int) -> str:
    return " OVER" if used > budget else ""


def render_preview(preview: DatasetPreview) -> Group:
    """The preview as rich renderables (a Group): dim prompt tokens, bold label tokens, plain-text markers too,
    so the loss mask is readable without colour (piped, logged)."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    from filingsum.core.names import printable

    parts: list[object] = [Text(
        f"{preview.data_dir}/{preview.split}.jsonl: {len(preview.examples)} of {preview.total} record(s), encoded "
        f"for {preview.model} as `filingsum train` encodes them", style="bold")]
    for i, ex in enumerate(preview.examples, 1):
        r = ex.record
        parts.append(Rule(Text(f"{i}/{len(preview.examples)} {r.id} ({ex.split})")))
        period = f" {r.fiscal_period}" if r.fiscal_period else ""
        parts.append(Text(f"provenance: id {r.id} | source {printable(r.source_path)} | section {r.section} | "
                          f"{r.company}, {r.form}{period} | reference: {r.reference_origin} | "
                          f"kept {r.kept_ratio:.0%} of the section"))
        parts.append(Text("warnings: " + ("; ".join(r.warnings) if r.warnings else "none")))
        context = (f" | input {len(ex.input_ids)} of the model's {ex.context} context"
                   f"{'' if ex.fits_context else ' (OVER: training skips this example)'}" if ex.context else "")
        parts.append(Text(
            f"tokens: filing text {ex.source_tokens} / model.max_source_tokens {ex.max_source_tokens}"
            f"{_over(ex.source_tokens, ex.max_source_tokens)} | prompt {len(ex.masked_ids)} (no loss) | label "
            f"{len(ex.loss_ids)} (loss) = summary {len(ex.loss_ids) - 1} / model.max_summary_tokens "
            f"{ex.max_summary_tokens} + 1 end token{' (cut at the cap, as training cuts it)' if ex.label_cut else ''}"
            f"{context}"))
        what = "source (seq2seq encoder input)" if ex.seq2seq else "prompt, as the chat template renders it"
        parts.append(Text(f"[no loss: {len(ex.masked_ids)} tokens, labels -100] {what}:", style="bold"))
        parts.append(Text(ex.prompt, style="dim"))
        parts.append(Text(f"[loss: {len(ex.loss_ids)} tokens] label (the reference summary + end-of-turn):",
                          style="bold"))
        parts.append(Text(ex.loss_text, style="bold green"))
    return Group(*parts)


TICKER = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,19}")  # CXDO, BRK-B, BRK.B, or a CIK number


def _fetch_identity(args: argparse.Namespace) -> str:
    """The EDGAR identity from --identity or $EDGAR_IDENTITY; UsageError (exit 2, nothing sent) naming the flag
    when there is none or it has no e-mail address."""
    from filingsum.core.errors import UsageError

    identity = (args.identity or os.environ.get("EDGAR_IDENTITY") or "").strip()
    source = "--identity" if args.identity else "$EDGAR_IDENTITY"
    if not identity:
        raise UsageError('SEC EDGAR needs an identity ("Name email"): pass --identity "Jane Doe jane@example.com" '
                         "or set EDGAR_IDENTITY")
    if "@" not in identity:
        raise UsageError(f"{source} {identity!r} has no e-mail address; SEC EDGAR wants \"Name email\": pass "
                         '--identity "Jane Doe jane@example.com"')
    return identity


def _run_fetch(args: argparse.Namespace) -> int:
    from filingsum.core.errors import UsageError

    if not TICKER.fullmatch(args.ticker.strip()):
        raise UsageError(f"--ticker {args.ticker!r} is not a ticker; give one like CXDO or BRK-B (or a CIK number)")
    identity = _fetch_identity(args)
    from filingsum.core.io import preflight_output_dir
    from filingsum.dataset.fetch import fetch_filing

    preflight_output_dir(args.out_dir, what="fetch directory (--out)")

    path = fetch_filing(args.ticker.strip(), args.form, args.year, args.out_dir, identity)
    print(path)
    return 0


def interrupted(args: argparse.Namespace) -> str:
    if args.data_command == "preview":
        return "nothing was written (preview only reads)"
    if args.data_command == "fetch":
        return "nothing was saved (a fetched filing is written whole or not at all)"
    from filingsum.cli.common import configured

    out = args.out_dir or configured(args, lambda c: c.data.out_dir, "the output dir")
    return (f"{out} is unchanged (a build replaces it only when complete); files extracted so far are journalled in "
            f"its .work/ and teacher answers cached in its teacher_cache/: rerun the same command to resume")


def run(args: argparse.Namespace) -> int:
    if args.data_command == "fetch":
        return _run_fetch(args)
    if args.data_command == "preview":
        return _run_preview(args)
    return _run_build(args)
