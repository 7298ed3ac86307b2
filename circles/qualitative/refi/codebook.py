"""The REFI-QDA codebook (``.qdc``): :func:`export_codebook` and :func:`import_codebook`.

The codes' XML is shared with the project (:mod:`circles.qualitative.refi.project`), which writes and reads its
``CodeBook`` with the same functions. See :mod:`circles.qualitative.refi` for what each :class:`Code` field becomes.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from circles.errors import RefiError
from circles.qualitative.model import DIMENSIONS, Code, Codebook
from circles.qualitative.refi.archive import _find_qde
from circles.qualitative.refi.common import (
    _COLOUR,
    _DEFAULT_COLOUR,
    CODEBOOK_NS,
    _block,
    _check_folder,
    _child,
    _children,
    _description,
    _dimension_of,
    _first,
    _guid,
    _local,
    _namespace,
    _norm_guid,
    _normal_colour,
    _parse_xml,
    _serialise,
    _split_block,
    _text_of,
    _unique_ids,
    _xml_safe,
)
from circles.qualitative.refi.sets import _group_sets, _sets_element
from circles.validation import suggest

__all__ = ["export_codebook", "import_codebook"]


# --------------------------------------------------------------------------------------------------- writing


def _code_tree(codebook: Codebook) -> tuple[list[Code], dict[str, list[Code]]]:
    seen: set[str] = set()
    for code in codebook.codes:
        if code.id in seen:
            raise RefiError(f"The codebook has two codes with id {code.id!r}; code ids must be unique.")
        seen.add(code.id)
    children: dict[str, list[Code]] = {}
    roots = []
    for code in codebook.codes:
        if code.parent is None or code.parent == "":
            roots.append(code)
        elif code.parent not in seen:
            raise RefiError(
                f"Code {code.id!r} has parent {code.parent!r}, which is not in the codebook."
                + suggest(code.parent, seen)
            )
        else:
            children.setdefault(code.parent, []).append(code)
    reached: set[str] = set()
    stack = [c.id for c in roots]
    while stack:
        code_id = stack.pop()
        reached.add(code_id)
        stack.extend(c.id for c in children.get(code_id, []))
    if len(reached) != len(seen):
        loop = sorted(seen - reached)
        raise RefiError(f"Codes {', '.join(map(repr, loop[:5]))} are parents of one another (a loop); break it.")
    return roots, children


def _codes_xml(parent: ET.Element, codebook: Codebook, namespace: uuid.UUID) -> dict[str, str]:
    """Write ``Codes`` under ``parent``; return code id -> GUID."""
    roots, children = _code_tree(codebook)
    order = {c.id: i for i, c in enumerate(codebook.codes)}
    guids = {c.id: _guid(namespace, "code", c.id) for c in codebook.codes}
    codes = _child(parent, "Codes")

    def write(under: ET.Element, code: Code) -> None:
        attributes = {
            "guid": guids[code.id],
            "name": _xml_safe(code.name, f"The name of code {code.id!r}"),
            "isCodable": "true",
        }
        colour = _normal_colour(code.colour)
        if colour:
            attributes["color"] = colour
        values: dict[str, object] = {"id": code.id, "dimension": code.dimension}
        if code.theme is not None:
            values["theme"] = code.theme
        for key in ("include", "exclude", "example"):
            if getattr(code, key):
                values[key] = getattr(code, key)
        values["colour"] = code.colour
        values["order"] = order[code.id]
        element = _child(under, "Code", attributes)
        visible = _xml_safe(code.definition, f"The definition of code {code.id!r}")
        _child(element, "Description", text=_description(visible, values))
        for sub in children.get(code.id, []):
            write(element, sub)

    for code in roots:
        write(codes, code)
    return guids


def _dimension_sets(parent: ET.Element, codebook: Codebook, guids: dict[str, str], namespace: uuid.UUID) -> None:
    if not codebook.dimensions:
        return
    sets = _sets_element(parent)
    for dimension in codebook.dimensions:
        element = _child(
            sets,
            "Set",
            {"guid": _guid(namespace, "dimension", dimension), "name": _xml_safe(dimension, "A dimension name")},
        )
        _child(element, "Description", text=_block({"dimension": dimension, "codebook": codebook.name}))
        for code in codebook.codes:
            if code.dimension == dimension:
                _child(element, "MemberCode", {"targetGUID": guids[code.id]})


def export_codebook(
    codebook: Codebook,
    path: str | Path,
    *,
    origin: str = "circles",
    code_groups: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write ``codebook`` as a REFI-QDA codebook (``.qdc``) and return the path.

    See :mod:`circles.qualitative.refi` for what each :class:`Code` field becomes. ``code_groups`` (group name ->
    code ids, as :attr:`Project.code_groups <circles.qualitative.refi.Project>` holds them) are written as code
    ``Set`` elements after the dimensions' (:mod:`circles.qualitative.refi.sets`).

    Examples
    --------
    >>> import tempfile
    >>> book = Codebook((Code("H1", "Housing need", "need", definition="Needs a home."),
    ...                  Code("H2", "Waiting lists", "barrier", parent="H1", colour="#c00")))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = export_codebook(book, Path(folder) / "book.qdc")
    ...     import_codebook(written) == book
    True
    """
    path = Path(path)
    if not codebook.codes:
        raise RefiError("A REFI-QDA codebook needs at least one code; this codebook has none.")
    _check_folder(path)
    namespace = _namespace(codebook.name)
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": origin})
    guids = _codes_xml(root, codebook, namespace)
    _dimension_sets(root, codebook, guids, namespace)
    _group_sets(root, code_groups or {}, "codes", guids, namespace)
    path.write_bytes(_serialise(root))
    return path


# --------------------------------------------------------------------------------------------------- reading


@dataclass
class _RawCode:
    guid: str
    name: str
    parent_guid: str | None
    description: str
    colour: str | None
    index: int


def _read_codebook(
    codebook_xml: ET.Element | None, sets_xml: ET.Element | None, default_name: str, warnings: list[str]
) -> tuple[Codebook, dict[str, str]]:
    raw = _raw_codes(codebook_xml)
    dimensions, set_dimension, name = _set_dimensions(sets_xml)
    by_guid = {r.guid: r for r in raw}
    blocks = _code_blocks(raw, warnings)
    ids = _code_ids(raw, blocks, warnings)

    known = list(dimensions) or list(DIMENSIONS)
    codes: list[tuple[float, int, Code]] = []
    undimensioned = []
    for r in raw:
        visible, values = blocks[r.guid]
        values = values or {}
        dimension = _code_dimension(r, values, set_dimension, by_guid, known)
        if dimension is None:
            dimension = ""
            undimensioned.append(r.name)
        colour = _code_colour(r, values, warnings)
        theme = values.get("theme")
        code = Code(
            id=ids[r.guid],
            name=r.name,
            dimension=dimension,
            theme=theme if isinstance(theme, str) else None,
            parent=ids[r.parent_guid] if r.parent_guid else None,
            definition=visible,
            include=_block_text(values, "include"),
            exclude=_block_text(values, "exclude"),
            example=_block_text(values, "example"),
            colour=colour,
        )
        order = values.get("order")
        codes.append((float(order) if isinstance(order, int | float) else float("inf"), r.index, code))
    if undimensioned:
        shown = ", ".join(map(repr, undimensioned[:5])) + (" ..." if len(undimensioned) > 5 else "")
        warnings.append(f"{len(undimensioned)} code(s) have no Circles dimension ({shown}); set one before analysis.")
    codes.sort(key=lambda item: (item[0], item[1]))
    extra = [c.dimension for _, _, c in codes if c.dimension and c.dimension not in known]
    all_dimensions = tuple(dict.fromkeys(known + extra))
    codebook = Codebook(tuple(c for _, _, c in codes), dimensions=all_dimensions, name=name or default_name)
    return codebook, ids


def _raw_codes(codebook_xml: ET.Element | None) -> list[_RawCode]:
    """Every ``Code`` of the codebook, depth first, as written."""
    raw: list[_RawCode] = []

    def walk(element: ET.Element, parent: str | None) -> None:
        for code in _children(element, "Code"):
            guid = _norm_guid(code.get("guid")) or f"code-{len(raw)}"
            raw.append(
                _RawCode(
                    guid,
                    code.get("name") or guid,
                    parent,
                    _text_of(_first(code, "Description")),
                    code.get("color"),
                    len(raw),
                )
            )
            walk(code, guid)

    if codebook_xml is not None:
        codes_xml = _first(codebook_xml, "Codes")
        walk(codes_xml if codes_xml is not None else codebook_xml, None)
    return raw


def _set_dimensions(sets_xml: ET.Element | None) -> tuple[list[str], dict[str, str], str | None]:
    """Dimensions written as ``Set`` elements by circles, the dimension of each member code by GUID, the name."""
    dimensions: list[str] = []
    set_dimension: dict[str, str] = {}
    name = None
    for set_xml in _children(sets_xml, "Set") if sets_xml is not None else []:
        _, values, _ = _split_block(_text_of(_first(set_xml, "Description")))
        dimension = None
        if values and isinstance(values.get("dimension"), str):
            dimension = values["dimension"]
            dimensions.append(dimension)
            if isinstance(values.get("codebook"), str):
                name = values["codebook"]
        else:
            dimension = _dimension_of(set_xml.get("name") or "", DIMENSIONS)
        if dimension:
            for member in _children(set_xml, "MemberCode"):
                set_dimension.setdefault(_norm_guid(member.get("targetGUID")), dimension)
    return dimensions, set_dimension, name


def _code_blocks(raw: list[_RawCode], warnings: list[str]) -> dict[str, tuple[str, dict[str, object] | None]]:
    """Each code's visible definition and circles block by GUID; warns about block lines it cannot read."""
    blocks = {}
    for r in raw:
        visible, values, problems = _split_block(r.description)
        if problems:
            warnings.append(f"Code {r.name!r}: could not read line(s) {problems!r} of its circles block.")
        blocks[r.guid] = (visible, values)
    return blocks


def _code_ids(
    raw: list[_RawCode], blocks: dict[str, tuple[str, dict[str, object] | None]], warnings: list[str]
) -> dict[str, str]:
    """Each code's id by GUID: the block's id, else its name; repeated ids made unique with the GUID."""
    fallback_ids = _unique_ids([r.name for r in raw], [r.guid for r in raw])
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for r, fallback in zip(raw, fallback_ids, strict=True):
        values = blocks[r.guid][1]
        code_id = values.get("id") if values else None
        code_id = code_id if isinstance(code_id, str) and code_id else fallback
        if code_id in taken:
            new = f"{code_id} ({r.guid[:8]})"
            warnings.append(f"Two codes have id {code_id!r}; the second ({r.name!r}) is now {new!r}.")
            code_id = new
        taken.add(code_id)
        ids[r.guid] = code_id
    return ids


def _code_dimension(
    r: _RawCode,
    values: dict[str, object],
    set_dimension: dict[str, str],
    by_guid: dict[str, _RawCode],
    known: list[str],
) -> str | None:
    """The block's dimension, else the code's ``Set``'s, else the one its name or an ancestor's names."""
    dimension = values.get("dimension")
    if not isinstance(dimension, str):
        dimension = set_dimension.get(r.guid)
        chain = r
        while dimension is None and chain is not None:
            dimension = _dimension_of(chain.name, known)
            chain = by_guid.get(chain.parent_guid) if chain.parent_guid else None
    return dimension


def _code_colour(r: _RawCode, values: dict[str, object], warnings: list[str]) -> str:
    """The ``color`` attribute, unless it still equals the block's colour (then the block's spelling)."""
    block_colour = values.get("colour") if isinstance(values.get("colour"), str) else None
    if r.colour is None or (block_colour is not None and _normal_colour(block_colour) == _normal_colour(r.colour)):
        colour = block_colour or r.colour or _DEFAULT_COLOUR
    else:
        colour = r.colour
    if not _COLOUR.fullmatch(colour):
        warnings.append(f"Code {r.name!r} has an invalid colour {colour!r}; kept as it is.")
    return colour


def _block_text(values: dict[str, object], key: str) -> str:
    value = values.get(key, "")
    return value if isinstance(value, str) else str(value)


def import_codebook(path: str | Path) -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``), or the codebook of a project (``.qdpx``), from circles or another tool.

    The codebook's name is the one circles recorded, else the file name without its suffix. Problems that do
    not stop the import (an invalid colour, a code without a dimension) are not reported here; use
    :func:`import_project` on a project to see them.

    Examples
    --------
    >>> import tempfile
    >>> qdc = ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
    ...        '<Code guid="7ba3e1a2-1c7e-4c1e-9a7e-3a8f6b0c1d2e" name="Needs" isCodable="false">'
    ...        '<Code guid="8ca3e1a2-1c7e-4c1e-9a7e-3a8f6b0c1d2e" name="Housing" isCodable="true" color="#FF0000"/>'
    ...        '</Code></Codes></CodeBook>')
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "nvivo.qdc").write_text(qdc, encoding="utf-8")
    ...     book = import_codebook(Path(folder) / "nvivo.qdc")
    >>> [(c.id, c.parent, c.dimension, c.colour) for c in book.codes]
    [('Needs', None, 'need', '#808080'), ('Housing', 'Needs', 'need', '#FF0000')]
    """
    path = Path(path)
    if not path.exists():
        raise RefiError(f"The codebook {path} does not exist.")
    root = _parse_xml(*_codebook_bytes(path))
    if _local(root.tag) not in ("CodeBook", "Project"):
        raise RefiError(f"{path} is not a REFI-QDA codebook: its root element is {_local(root.tag)!r}, not CodeBook.")
    codebook_xml = root if _local(root.tag) == "CodeBook" else _first(root, "CodeBook")
    sets_xml = _first(codebook_xml, "Sets") if codebook_xml is not None else None
    if sets_xml is None:
        sets_xml = _first(root, "Sets")
    codebook, _ = _read_codebook(codebook_xml, sets_xml, path.stem, [])
    return codebook


def _codebook_bytes(path: Path) -> tuple[bytes, str]:
    """The XML holding the codebook and where it is: the file itself, or a project's ``.qde`` in its archive."""
    if not zipfile.is_zipfile(path):
        return path.read_bytes(), str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            qde = _find_qde(archive, path, [])
            return archive.read(qde), f"{qde.filename} in {path}"
    except (zipfile.BadZipFile, OSError) as error:
        raise RefiError(f"{path} looks like a zip archive (.qdpx) but cannot be read: {error}.") from error
