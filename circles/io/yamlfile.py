"""Line numbers of the keys in a YAML document, so error messages can say "line 12, sources.t.files"."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["key_lines"]


def key_lines(text: str, loader: type = yaml.SafeLoader) -> dict[tuple[Any, ...], int]:
    """Map every key path of a YAML document to the 1-based line where it appears.

    Mapping keys are found by their key's line; sequence items by the item's first line.

    Examples
    --------
    >>> key_lines("name: demo\\nsources:\\n  t:\\n    files: a.csv\\n")[("sources", "t", "files")]
    4
    """
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text, Loader=loader)
    if root is not None:
        walk(root, ())
    return lines
