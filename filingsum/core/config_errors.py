"""Config errors: `ConfigError`, and the one-line messages that name the file, the key and what was expected.

An unknown key is reported with the key the user probably meant; a wrong value with the type the key
declares, written as users write it (``list[str] | 'all-linear'``). Every problem of one config is joined
into one error, so the user fixes them all in one go. The helpers take the root model to look keys up in.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel

from filingsum.core.errors import FilingsumError

# "filingsum.core.config.X" and "filingsum.core.config_sections.X" as they appear in str(annotation)
CONFIG_MODULE_PREFIX = re.compile(r"filingsum\.core\.config\w*\.")


class ConfigError(FilingsumError, ValueError):
    """A config that cannot be used; str() is a one-line message naming the file and the key (every problem
    found, joined by "; "). Exit status 2, not 1: the run never started."""

    exit_status = 2


def known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names valid at a location, to suggest the key a user meant."""
    current: Any = model
    for part in loc[:-1]:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def field_type(root: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The declared type of the key at ``loc`` under ``root`` (e.g. ``list[str]``), for messages; None when
    unknown."""
    current: Any = root
    annotation: Any = None
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return None if annotation is None else type_text(annotation)


def type_text(annotation: Any) -> str:
    """``list[str] | 'all-linear'`` for ``Union[list[str], Literal['all-linear']]``: a type as users write it."""
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return " | ".join("None" if a is type(None) else type_text(a) for a in args)
    if isinstance(annotation, type) and not args:
        return annotation.__name__
    return CONFIG_MODULE_PREFIX.sub("", str(annotation).replace("typing.", ""))


def describe_validation_error(error: dict[str, Any], source: str, root: type[BaseModel]) -> str:
    """One pydantic error of validating ``root`` as a line: ``FILE: section.key: problem``."""
    loc = tuple(p for p in error["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        guess = difflib.get_close_matches(str(loc[-1]), known_keys(root, loc), n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return f"{source}: {key}: unknown key{hint}"
    wanted = field_type(root, loc)
    expected = f"; expected {wanted}" if wanted else ""
    message = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix for a validator's ValueError
    return f"{source}: {key}: {message} (got {error.get('input')!r}{expected})"


def combined_error(problems: list[str]) -> ConfigError:
    """Every problem in one ConfigError (one line): the user fixes them all in one go."""
    if len(problems) == 1:
        return ConfigError(problems[0])
    return ConfigError(f"{len(problems)} problems: " + "; ".join(problems))
