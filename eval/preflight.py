"""Pre-flight of a config eval: every mistake in the eval section that can be seen without a model is refused
(UsageError, exit 2) before any summary is generated, so a typo in the last system does not cost the
generation of the others.

    check_eval_config(config)   # unknown system, endpoint without eval.endpoint, a bad URL, a missing gold path
"""

from __future__ import annotations

from filingsum.core.config import RunConfig
from filingsum.core.endpoints import check_endpoint_url
from filingsum.core.errors import UsageError
from filingsum.filings.gold import missing_gold_paths

SYSTEMS_HINT = "use lead-k, extractive, zero-shot, tuned, endpoint[:NAME]"
KNOWN_SYSTEMS = ("lead-k", "extractive", "zero-shot", "tuned", "endpoint")


def is_endpoint_system(name: str) -> bool:
    return name == "endpoint" or name.startswith("endpoint:")


def check_eval_config(config: RunConfig) -> None:
    """UsageError naming the key and the fix for: an unknown name in eval.systems, an `endpoint` system without
    eval.endpoint, an eval.endpoint that is not a usable base URL, and an eval.references path the config names
    that does not exist (the default data/gold may be absent: eval then warns and uses the records' own
    references). Nothing is loaded or sent."""
    where = f"{config.source_path}: " if config.source_path else ""
    unknown = [s for s in config.eval.systems if s not in KNOWN_SYSTEMS and not is_endpoint_system(s)]
    if unknown:
        raise UsageError(f"{where}eval.systems: unknown system(s) {', '.join(map(repr, unknown))}; {SYSTEMS_HINT}")
    endpoints = [s for s in config.eval.systems if is_endpoint_system(s)]
    if endpoints and not config.eval.endpoint:
        raise UsageError(f"{where}eval.systems lists {endpoints[0]!r}, which needs eval.endpoint (an "
                         "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1); set it or drop the system")
    if endpoints and config.eval.endpoint:
        check_endpoint_url(config.eval.endpoint, "eval.endpoint")
    if "references" in config.eval.model_fields_set and (missing := missing_gold_paths(config.eval.references)):
        raise UsageError(f"{where}eval.references: {', '.join(missing)}: no such file or directory; fix the path "
                         "(gold JSONL files or dirs), or leave eval.references out to score against the records' own "
                         "references")
