"""YAML for configs: `yaml.safe_load`, except that a mapping key written twice is an error, not silently dropped,
and that alias bombs and absurd nesting are one-line errors. Merge keys (`<<: *base`) work as in `yaml.safe_load`.

PyYAML keeps the last of two equal keys without a word: `model:` written twice would lose the first section.
Used for config files and for the values of ``--set`` overrides.
"""

from __future__ import annotations

from typing import Any

import yaml

from filingsum.core.config_errors import ConfigError

MAX_VALUES = 100_000  # values after expanding every alias: a config has hundreds
MERGE_TAG = "tag:yaml.org,2002:merge"  # `<<`, a YAML merge key


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last one silently:
    `model:` written twice would drop the first section without a word)."""

    source = "<config>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """The mapping, refusing a key written twice in it; YAML merge keys (``<<: *base``) are merged by
        SafeLoader's own ``flatten_mapping``, and a key written beside them overrides the merged one, as YAML
        says (a merge key's tag has no constructor: constructed here, it failed the file as invalid YAML)."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML's own error says so below
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                raise ConfigError(f"{self.source}: duplicate key {key!r} at line {line} (first at line {first}); "
                                  "keep one of them")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def safe_load_unique(text: str, source: str = "<config>") -> Any:
    """yaml.safe_load, but a mapping key given twice is a ConfigError naming ``source``, the key and the line."""
    loader = _UniqueKeyLoader(text)
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_VALUES:
            # aliases of aliases ("billion laughs"): a few lines that expand to millions of values
            raise ConfigError(f"{source}: expands to more than {MAX_VALUES:,} values (YAML aliases of aliases?); "
                              "write the values out")
        return None if node is None else loader.construct_document(node)
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply to be a config") from None
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values ``node`` stands for once every alias is expanded (each node counted once per use)."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # a node that contains itself counts once
        if isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(child, memo) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    return memo[key]
