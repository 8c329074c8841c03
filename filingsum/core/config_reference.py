"""The config reference (docs/config.md), generated from the config models so that it cannot drift from them.

One table per section (key, type, default, meaning), nested sections after their parent; the root model is
passed in (`filingsum.core.config.config_reference_markdown` passes `RunConfig`).
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from filingsum.core.config_errors import CONFIG_MODULE_PREFIX

HEADER = [
    "# Config reference",
    "",
    "Generated from `filingsum/core/config.py` (`python -c 'from filingsum.core.config import "
    "config_reference_markdown as r; print(r())' > docs/config.md`). Unknown keys are errors (exit 2), as are "
    "wrong types and numbers that are not finite (`.nan`, `.inf`). The summary cap has one name, "
    "`max_summary_tokens`: `model.max_summary_tokens`, and the stage "
    "fields of the same name (`data.teacher`, `data.filters`, `eval`, `serve`; `train.generation_max_summary_tokens` "
    "for the training-time generation eval) are optional overrides (None: follow it). The names they had before "
    "(`serve.max_tokens`, `eval.max_new_tokens`, `data.teacher.max_tokens`, `data.filters.max_label_tokens`, "
    "`train.generation_max_new_tokens`) are still read, with a warning; `eval.token_limit` is gone (eval's "
    "within_limit check uses `model.max_summary_tokens`).",
    "",
    "Path keys (marked *path*) expand a leading `~` and `$VAR` / `${VAR}` from the environment as a shell would "
    "(`out_dir: ${SCRATCH}/built`); a variable that is not set is a config error (exit 2) naming the key and the "
    "variable, never a directory named `${VAR}`.",
    "",
]


def _type_name(annotation: Any) -> str:
    text = CONFIG_MODULE_PREFIX.sub("", str(annotation).replace("typing.", ""))
    return text.replace("<class '", "").replace("'>", "")


def _section(lines: list[str], title: str, model: type[BaseModel]) -> None:
    """Append the table of one section to ``lines``, then the tables of the sections nested in it."""
    lines.extend([f"## `{title}`", "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"])
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        annotation = field.annotation
        sub = [a for a in (annotation, *typing.get_args(annotation))
               if isinstance(a, type) and issubclass(a, BaseModel)]
        if sub:
            nested.append((f"{title}.{name}" if title != "(top level)" else name, sub[0]))
        default = field.get_default(call_default_factory=True)
        default_text = "see below" if isinstance(default, BaseModel) else repr(default)
        if len(default_text) > 60:
            default_text = default_text[:57] + "..."
        meaning = (field.description or "").replace("|", "\\|")
        if name in getattr(model, "path_keys", ()):
            meaning = "*path* (`~`, `$VAR` expanded)" + (f": {meaning}" if meaning else "")
        lines.append(f"| `{name}` | `{_type_name(annotation)}` | `{default_text}` | {meaning} |".replace("`'", "`'"))
    lines.append("")
    for sub_title, sub_model in nested:
        _section(lines, sub_title, sub_model)


def reference_markdown(root: type[BaseModel]) -> str:
    """The reference of the config whose root model is ``root``, as Markdown."""
    lines = list(HEADER)
    _section(lines, "(top level)", root)
    return "\n".join(lines)
