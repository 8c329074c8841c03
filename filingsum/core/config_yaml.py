"""YAML for configs: `yaml.safe_load`, except that a mapping key written twice is an error, not silently dropped.

PyYAML keeps the last of two equal keys without a word: `model:` written twice would lose the first section.
Used for config files and for the values of ``--set`` overrides.
"""

from __future__ import annotations

from typing import Any

import yaml

from filingsum.core.config_errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last one silently:
    `model:` written twice would drop the first section without a word)."""

    source = "<config>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
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
        return loader.get_single_data()
    finally:
        loader.dispose()
