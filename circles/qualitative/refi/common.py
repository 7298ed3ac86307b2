"""What the REFI-QDA codebook and project share: XML writing and reading, GUIDs, colours and the circles block.

See :mod:`circles.qualitative.refi` for what circles writes and reads.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from xml.etree import ElementTree as ET

from circles.errors import RefiError

__all__ = ["PROJECT_NS", "CODEBOOK_NS"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"

_BLOCK = "--- circles ---"
_DEFAULT_COLOUR = "#808080"
_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROOT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:circles:refi-qda")


# --------------------------------------------------------------------------------------------------- writing


def _escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _escape_attribute(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _serialise(root: ET.Element) -> bytes:
    """Indented XML with attributes in insertion order and CR kept (as ``&#13;``), UTF-8."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']

    def walk(element: ET.Element, depth: int) -> None:
        pad = "  " * depth
        attributes = "".join(f' {k}="{_escape_attribute(v)}"' for k, v in element.attrib.items())
        children = list(element)
        if children:
            out.append(f"{pad}<{element.tag}{attributes}>\n")
            for child in children:
                walk(child, depth + 1)
            out.append(f"{pad}</{element.tag}>\n")
        elif element.text:
            out.append(f"{pad}<{element.tag}{attributes}>{_escape_text(element.text)}</{element.tag}>\n")
        else:
            out.append(f"{pad}<{element.tag}{attributes}/>\n")

    walk(root, 0)
    return "".join(out).encode("utf-8")


def _xml_safe(value: str, where: str) -> str:
    found = _XML_ILLEGAL.search(value)
    if found:
        raise RefiError(
            f"{where} contains the character U+{ord(found.group()):04X}, which XML cannot carry; remove it first."
        )
    return value


def _child(parent: ET.Element, tag: str, attributes: dict[str, str] | None = None, text: str | None = None):
    element = ET.SubElement(parent, tag, attributes or {})
    if text:
        element.text = text
    return element


def _block(values: dict[str, object]) -> str:
    lines = [_BLOCK] + [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
    return "\n".join(lines)


def _description(visible: str, values: dict[str, object]) -> str:
    block = _block(values)
    return f"{visible}\n\n{block}" if visible else block


def _namespace(name: str) -> uuid.UUID:
    return uuid.uuid5(_ROOT_NAMESPACE, name)


def _guid(namespace: uuid.UUID, kind: str, key: str) -> str:
    return str(uuid.uuid5(namespace, f"{kind}:{key}"))


def _normal_colour(colour: str) -> str | None:
    if not _COLOUR.fullmatch(colour or ""):
        return None
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits.upper()


def _check_folder(path: Path) -> None:
    if not path.parent.exists():
        raise RefiError(f"Cannot write {path}: the folder {path.parent} does not exist.")


# --------------------------------------------------------------------------------------------------- reading


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _first(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _items(parent: ET.Element | None, container: str, item: str) -> list[ET.Element]:
    """The ``item`` children of ``parent``'s ``container`` child (``[]`` when either is missing)."""
    box = _first(parent, container) if parent is not None else None
    return _children(box, item) if box is not None else []


def _text_of(element: ET.Element | None) -> str:
    return "" if element is None or element.text is None else element.text


def _norm_guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _parse_xml(data: bytes, where: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        raise RefiError(f"{where} is not well-formed XML: {error}.") from error


def _split_block(description: str) -> tuple[str, dict[str, object] | None, list[str]]:
    """Visible text, the circles block's values (None when there is none) and problems found in it."""
    if description.startswith(_BLOCK + "\n") or description == _BLOCK:
        visible, body = "", description[len(_BLOCK) + 1 :]
    else:
        visible, marker, body = description.rpartition(f"\n\n{_BLOCK}\n")
        if not marker:
            return description, None, []
    values: dict[str, object] = {}
    problems = []
    for line in body.split("\n"):
        if not line.strip():
            continue
        key, sep, raw = line.partition(": ")
        try:
            if not sep:
                raise ValueError
            values[key] = json.loads(raw)
        except ValueError:
            problems.append(line)
    return visible, values, problems


def _unique_ids(names: list[str], guids: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return [name if counts[name] == 1 else f"{name} ({guid[:8]})" for name, guid in zip(names, guids, strict=True)]


def _dimension_of(name: str, dimensions: Iterable[str]) -> str | None:
    key = re.sub(r"\s+", " ", name.strip().lower())
    for dimension in dimensions:
        d = dimension.lower()
        if key in (d, d + "s", d + "es"):
            return dimension
    return None
