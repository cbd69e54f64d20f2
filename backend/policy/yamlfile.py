"""Strict YAML reading for policy packs: a key given twice is an error, not a silent overwrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from backend.policy.errors import PackError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last one silently)."""


class DuplicateKey(yaml.YAMLError):
    """A mapping with the same key twice, e.g. two values for one date."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
    # Keys written twice in the same mapping are an error; a key that overrides one brought in
    # by a merge (``<<: *base``) is not, so duplicates are looked for before merging.
    seen: set[object] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # An unhashable key; the constructor below reports it.
        if duplicate:
            raise DuplicateKey(f"line {key_node.start_mark.line + 1}: key {key!s} is given twice")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path) -> Any:
    """Parse one pack file; a missing file, bad syntax or duplicate key raises PackError naming the file."""
    if not path.exists():
        raise PackError(f"{path}: no such policy pack file")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        raise PackError(f"{path}: {error}") from error
