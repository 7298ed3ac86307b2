"""The REFI-QDA project (``.qdpx``): :class:`Project`, :func:`export_project` and :func:`import_project`.

A project holds a codebook (:mod:`circles.qualitative.refi.codebook`), the source texts (read back by
:mod:`circles.qualitative.refi.archive`) and the coded selections, with positions in one of the offset
conventions (:mod:`circles.qualitative.refi.offsets`). See :mod:`circles.qualitative.refi` for what circles
writes and reads.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from circles.errors import RefiError
from circles.qualitative.model import Codebook, Source, make_segments
from circles.qualitative.refi.archive import _Archive, _find_qde, _path_stem, _read_notes, _source_text
from circles.qualitative.refi.codebook import _code_tree, _codes_xml, _dimension_sets, _read_codebook
from circles.qualitative.refi.common import (
    PROJECT_NS,
    _block,
    _check_folder,
    _child,
    _children,
    _description,
    _first,
    _guid,
    _items,
    _local,
    _namespace,
    _norm_guid,
    _parse_xml,
    _serialise,
    _split_block,
    _text_of,
    _unique_ids,
    _xml_safe,
)
from circles.qualitative.refi.offsets import (
    CONVENTIONS,
    _check_convention,
    _detect,
    _to_python_lenient,
    _units_at,
    from_python_offsets,
)
from circles.qualitative.refi.sets import _group_sets, _read_groups
from circles.validation import suggest

__all__ = ["Project", "export_project", "import_project"]

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ORIGIN_CONVENTIONS = (("nvivo", "utf16"), ("atlas", "crlf_as_one"), ("qualcoder", "crlf_as_one"))
_NEEDED = ("source_id", "start", "end", "code_id", "coder")
#: A source with fewer characters than this (spaces aside) is reported as near-empty.
_NEAR_EMPTY = 5


@dataclass(frozen=True)
class Project:
    """What :func:`import_project` read from a ``.qdpx``.

    ``sources`` maps :attr:`Source.id` to the source (as :func:`~circles.qualitative.model.make_segments` takes
    it); ``segments`` is a segment table with offsets already converted to code points; ``warnings`` lists what
    was skipped, guessed or repaired, one sentence each. ``code_groups`` and ``source_groups`` are the project's
    ``Set`` elements that are not dimensions: group name -> code ids, and group name -> source ids
    (:mod:`circles.qualitative.refi.sets`).
    """

    name: str
    origin: str | None
    codebook: Codebook
    sources: dict[str, Source]
    segments: pd.DataFrame
    offset_convention_used: str
    offset_convention_reason: str
    warnings: tuple[str, ...] = field(default=())
    code_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- writing


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.create_system = 3
            if name.endswith("/"):
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def export_project(
    path: str | Path,
    *,
    codebook: Codebook,
    sources: Mapping[str, Source] | Iterable[Source],
    segments: pd.DataFrame,
    project_name: str,
    origin: str = "circles",
    offsets: str = "python",
    code_groups: Mapping[str, Sequence[str]] | None = None,
    source_groups: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write a REFI-QDA project (``.qdpx``) with the codebook, the sources and the accepted segments.

    ``code_groups`` and ``source_groups`` (group name -> code ids, or -> source ids, as :class:`Project` holds
    them) are written as ``Set`` elements after the dimensions' (:mod:`circles.qualitative.refi.sets`).

    Positions are written in the ``offsets`` convention (``"python"``, ``"utf16"`` for NVivo, ``"crlf_as_one"``
    for ATLAS.ti and QualCoder) and the convention is recorded in the project ``Description`` so that
    :func:`import_project` reads them back exactly. ``origin`` is written as the project's ``origin``.

    Examples
    --------
    >>> import tempfile
    >>> from circles.qualitative.model import Code
    >>> book = Codebook((Code("K1", "Family", "aspiration"),))
    >>> src = Source("s1", "Workshop 1", "I want to stop drinking for my kids.\\r\\n")
    >>> seg = make_segments([{"source_id": "s1", "start": 10, "end": 23, "code_id": "K1", "coder": "jb"}],
    ...                     {"s1": src})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = export_project(Path(folder) / "p.qdpx", codebook=book, sources=[src], segments=seg,
    ...                          project_name="Demo")
    ...     sorted(zipfile.ZipFile(out).namelist())[:2]
    ['project.qde', 'sources/']
    """
    convention = _check_convention(offsets)
    path = Path(path)
    _check_folder(path)
    _code_tree(codebook)
    source_list = list(sources.values()) if isinstance(sources, Mapping) else list(sources)
    table = _accepted_segments(segments, _sources_by_id(source_list), codebook)

    namespace = _namespace(project_name)
    root = ET.Element("Project", {"xmlns": PROJECT_NS, "name": _xml_safe(project_name, "The project name")})
    root.set("origin", _xml_safe(origin, "The origin"))
    users = _users_xml(root, table, namespace)

    guids: dict[str, str] = {}
    if codebook.codes:
        guids = _codes_xml(_child(root, "CodeBook"), codebook, namespace)
    variables = _variables_xml(root, source_list, namespace)

    entries: dict[str, bytes] = {"sources/": b""}
    if source_list:
        sources_xml = _child(root, "Sources")
    for source in source_list:
        guid = _source_xml(sources_xml, source, table, convention, namespace, users, guids, variables)
        entries[f"sources/{guid}.txt"] = b"\xef\xbb\xbf" + source.text.encode("utf-8", "surrogatepass")

    _dimension_sets(root, codebook, guids, namespace)
    _group_sets(root, code_groups or {}, "codes", guids, namespace)
    source_guids = {s.id: _guid(namespace, "source", s.id) for s in source_list}
    _group_sets(root, source_groups or {}, "sources", source_guids, namespace)
    _child(
        root,
        "Description",
        text=_description(
            "Circles of Need project exported by circles.", {"offsets": convention, "codebook": codebook.name}
        ),
    )
    entries["project.qde"] = _serialise(root)
    path.write_bytes(_zip_bytes(entries))
    return path


def _sources_by_id(source_list: list[Source]) -> dict[str, Source]:
    by_id: dict[str, Source] = {}
    for source in source_list:
        if source.id in by_id:
            raise RefiError(f"Two sources have id {source.id!r}; source ids must be unique.")
        by_id[source.id] = source
    return by_id


def _accepted_segments(segments: pd.DataFrame, by_id: dict[str, Source], codebook: Codebook) -> pd.DataFrame:
    """The accepted segments, each checked against the sources and the codebook."""
    missing = [c for c in _NEEDED if c not in segments.columns]
    if missing:
        raise RefiError(f"The segment table lacks column(s) {', '.join(missing)}.")
    table = segments
    if "status" in table.columns:
        table = table[table["status"].fillna("accepted").astype(str) == "accepted"]
    code_ids = set(codebook.ids)
    for row in table.itertuples(index=False):
        if row.source_id not in by_id:
            raise RefiError(
                f"A segment refers to source {row.source_id!r}, which is not among the sources given."
                + suggest(str(row.source_id), by_id)
            )
        if row.code_id not in code_ids:
            raise RefiError(
                f"A segment refers to code {row.code_id!r}, which is not in the codebook."
                + suggest(str(row.code_id), code_ids)
            )
        if not 0 <= int(row.start) <= int(row.end) <= len(by_id[row.source_id].text):
            raise RefiError(
                f"Segment {int(row.start)}-{int(row.end)} of source {row.source_id!r} does not lie within its text "
                f"({len(by_id[row.source_id].text)} characters)."
            )
    return table


def _users_xml(root: ET.Element, table: pd.DataFrame, namespace: uuid.UUID) -> dict[str, str]:
    """Write ``Users``, one per coder; return coder -> GUID."""
    coders = list(dict.fromkeys(table["coder"].fillna("").astype(str))) if len(table) else []
    users = {c: _guid(namespace, "user", c) for c in coders}
    if users:
        users_xml = _child(root, "Users")
        for coder, guid in users.items():
            _child(users_xml, "User", {"guid": guid, "name": _xml_safe(coder, "A coder"), "id": coder})
    return users


def _variables_xml(root: ET.Element, source_list: list[Source], namespace: uuid.UUID) -> dict[str, str]:
    """Write ``Variables``, one per source attribute; return attribute name -> GUID."""
    variables: dict[str, str] = {}
    for source in source_list:
        for name in source.attributes:
            variables.setdefault(name, _guid(namespace, "variable", name))
    if variables:
        variables_xml = _child(root, "Variables")
        for name, guid in variables.items():
            _child(
                variables_xml,
                "Variable",
                {"guid": guid, "name": _xml_safe(name, "An attribute name"), "typeOfVariable": "Text"},
            )
    return variables


def _source_xml(
    parent: ET.Element,
    source: Source,
    table: pd.DataFrame,
    convention: str,
    namespace: uuid.UUID,
    users: dict[str, str],
    guids: dict[str, str],
    variables: dict[str, str],
) -> str:
    """Write a ``TextSource`` with its selections and attribute values; return its GUID."""
    guid = _guid(namespace, "source", source.id)
    element = _child(
        parent,
        "TextSource",
        {
            "guid": guid,
            "name": _xml_safe(source.name, f"The name of source {source.id!r}"),
            "plainTextPath": f"internal://{guid}.txt",
        },
    )
    _child(element, "Description", text=_block({"id": source.id}))
    rows = table[table["source_id"] == source.id]
    if len(rows):
        _selections_xml(element, source, rows, "memo" in table.columns, convention, namespace, users, guids)
    for name, value in source.attributes.items():
        value_xml = _child(element, "VariableValue")
        _child(value_xml, "VariableRef", {"targetGUID": variables[name]})
        _child(value_xml, "TextValue", text=_xml_safe(str(value), f"Attribute {name!r} of source {source.id!r}"))
    return guid


def _selections_xml(
    element: ET.Element,
    source: Source,
    rows: pd.DataFrame,
    memo_column: bool,
    convention: str,
    namespace: uuid.UUID,
    users: dict[str, str],
    guids: dict[str, str],
) -> None:
    """Write one ``PlainTextSelection`` holding one ``Coding`` per segment of ``source``."""
    starts = from_python_offsets(source.text, rows["start"].to_numpy(np.int64), convention)
    ends = from_python_offsets(source.text, rows["end"].to_numpy(np.int64), convention)
    seen: dict[str, int] = {}
    for row, start, end in zip(rows.itertuples(index=False), starts, ends, strict=True):
        key = f"{source.id}\x1f{int(row.start)}\x1f{int(row.end)}\x1f{row.code_id}\x1f{row.coder}"
        seen[key] = seen.get(key, -1) + 1
        key = f"{key}\x1f{seen[key]}"
        user = users["" if pd.isna(row.coder) else str(row.coder)]
        selection = _child(
            element,
            "PlainTextSelection",
            {
                "guid": _guid(namespace, "selection", key),
                "startPosition": str(int(start)),
                "endPosition": str(int(end)),
                "creatingUser": user,
            },
        )
        memo = str(row.memo) if memo_column and isinstance(row.memo, str) else ""
        if memo:
            _child(selection, "Description", text=_xml_safe(memo, f"A memo on source {source.id!r}"))
        coding = _child(selection, "Coding", {"guid": _guid(namespace, "coding", key), "creatingUser": user})
        _child(coding, "CodeRef", {"targetGUID": guids[row.code_id]})


# --------------------------------------------------------------------------------------------------- reading


@dataclass
class _Selection:
    guid: str
    start: int
    end: int
    code_guid: str
    user_guid: str
    memo: str
    whole: bool = False


def _convention_for_origin(origin: str | None) -> str | None:
    lowered = (origin or "").lower()
    for word, convention in _ORIGIN_CONVENTIONS:
        if word in lowered:
            return convention
    if lowered.startswith("circles"):
        return "python"
    return None


def import_project(path: str | Path) -> Project:
    """Read a REFI-QDA project (``.qdpx``) written by circles, NVivo, ATLAS.ti, MAXQDA, QualCoder or others.

    Offsets are converted to code points with the convention chosen as :mod:`circles.qualitative.refi` explains;
    everything skipped or guessed is listed in :attr:`Project.warnings`. Raises :class:`RefiError` when the
    file is not a readable project at all.

    Examples
    --------
    >>> import tempfile
    >>> from circles.qualitative.model import Code
    >>> book = Codebook((Code("F1", "Fear of losing children", "fear"),))
    >>> src = Source("s1", "Interview", "They \\U0001F622 will take my kids.")
    >>> seg = make_segments([{"source_id": "s1", "start": 7, "end": 16, "code_id": "F1", "coder": "am"}],
    ...                     {"s1": src})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = export_project(Path(folder) / "p.qdpx", codebook=book, sources=[src], segments=seg,
    ...                          project_name="Demo", origin="NVivo (simulated)", offsets="utf16")
    ...     project = import_project(out)
    >>> project.offset_convention_used, project.segments.loc[0, "quote"]
    ('utf16', 'will take')
    """
    path = Path(path)
    if not path.exists():
        raise RefiError(f"The project {path} does not exist.")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise RefiError(f"{path} is not a REFI-QDA project: a .qdpx must be a zip archive ({error}).") from error
    with archive:
        return _read_project(archive, path)


def _read_project(archive: zipfile.ZipFile, path: Path) -> Project:
    warnings: list[str] = []
    qde = _find_qde(archive, path, warnings)
    root = _parse_xml(archive.read(qde), f"{qde.filename} in {path.name}")
    if _local(root.tag) != "Project":
        raise RefiError(f"{qde.filename} in {path.name} is not a REFI-QDA project: its root is {_local(root.tag)!r}.")
    name = root.get("name") or path.stem
    origin = root.get("origin")
    files = _Archive(archive, path.parent, root.get("basePath"))

    description = _split_block(_text_of(_first(root, "Description")))[1] or {}
    users = {}
    for user in _items(root, "Users", "User"):
        users[_norm_guid(user.get("guid"))] = user.get("id") or user.get("name") or "unknown"
    default_name = description.get("codebook") if isinstance(description.get("codebook"), str) else name
    codebook, code_ids = _read_codebook(_first(root, "CodeBook"), _first(root, "Sets"), default_name, warnings)
    variables = {_norm_guid(v.get("guid")): v.get("name") or "variable" for v in _items(root, "Variables", "Variable")}

    notes = _read_notes(root, files, warnings)
    linked = _linked_notes(root, notes)
    sources, guid_to_id, selections = _read_text_sources(root, files, variables, notes, linked, warnings)
    _case_variables(root, variables, guid_to_id, sources, warnings)

    groups = _read_groups(_first(root, "Sets"), codebook, code_ids, guid_to_id, warnings)

    convention, reason = _choose_convention(description, origin, sources, selections, warnings)
    rows = _segment_rows(selections, sources, convention, code_ids, users, warnings)
    segments = make_segments(rows, sources)
    return Project(name, origin, codebook, sources, segments, convention, reason, tuple(warnings), *groups)


def _linked_notes(root: ET.Element, notes: dict[str, str]) -> dict[str, list[str]]:
    """The notes attached by ``Links`` (as NVivo writes them), by the GUID of what they are linked to."""
    linked: dict[str, list[str]] = {}
    for link in _items(root, "Links", "Link"):
        origin_guid, target_guid = _norm_guid(link.get("originGUID")), _norm_guid(link.get("targetGUID"))
        if origin_guid in notes:
            linked.setdefault(target_guid, []).append(notes[origin_guid])
        elif target_guid in notes:
            linked.setdefault(origin_guid, []).append(notes[target_guid])
    return linked


def _variable_values(element: ET.Element, variables: dict[str, str], warnings: list[str]) -> dict[str, str]:
    """The values of the ``VariableValue`` elements of a source or case, by variable name."""
    found = {}
    for value in _children(element, "VariableValue"):
        ref = _first(value, "VariableRef")
        guid = _norm_guid(ref.get("targetGUID") if ref is not None else None)
        if guid not in variables:
            warnings.append(f"A variable value refers to an unknown variable {guid!r}; skipped.")
            continue
        data = [c for c in value if _local(c.tag) != "VariableRef"]
        found[variables[guid]] = _text_of(data[0]) if data else ""
    return found


def _text_source_elements(root: ET.Element, warnings: list[str]) -> list[tuple[ET.Element, str]]:
    """Each text source (a ``TextSource``, or a ``PDFSource``'s text ``Representation``) and its name."""
    raw_sources: list[tuple[ET.Element, str]] = []
    skipped_media = 0
    sources_xml = _first(root, "Sources")
    for element in list(sources_xml) if sources_xml is not None else []:
        kind = _local(element.tag)
        if kind == "TextSource":
            path = element.get("plainTextPath") or element.get("path") or element.get("richTextPath")
            raw_sources.append((element, element.get("name") or _path_stem(path)))
        elif kind == "PDFSource" and _first(element, "Representation") is not None:
            representation = _first(element, "Representation")
            path = representation.get("plainTextPath") or element.get("path")
            raw_sources.append((representation, element.get("name") or representation.get("name") or _path_stem(path)))
        else:
            skipped_media += 1
    if skipped_media:
        warnings.append(f"{skipped_media} picture, audio, video or PDF source(s) skipped: circles codes text only.")
    return raw_sources


def _read_text_sources(
    root: ET.Element,
    files: _Archive,
    variables: dict[str, str],
    notes: dict[str, str],
    linked: dict[str, list[str]],
    warnings: list[str],
) -> tuple[dict[str, Source], dict[str, str], dict[str, list[_Selection]]]:
    """The sources by id, source GUID -> id, and the selections of each source."""
    sources: dict[str, Source] = {}
    guid_to_id: dict[str, str] = {}
    selections: dict[str, list[_Selection]] = {}
    raw_sources = _text_source_elements(root, warnings)
    fallback_ids = _unique_ids(
        [n or _norm_guid(e.get("guid")) for e, n in raw_sources], [_norm_guid(e.get("guid")) for e, _ in raw_sources]
    )
    for (element, source_name), fallback in zip(raw_sources, fallback_ids, strict=True):
        guid = _norm_guid(element.get("guid"))
        source_name = source_name or guid
        text_and_encoding = _source_text(element, source_name, files, warnings)
        if text_and_encoding is None:
            dropped = len(_children(element, "PlainTextSelection"))
            if dropped:
                warnings.append(f"{dropped} selection(s) of skipped source {source_name!r} dropped.")
            continue
        text, encoding = text_and_encoding
        if len(text.strip()) < _NEAR_EMPTY:
            warnings.append(
                f"Source {source_name!r} has only {len(text.strip())} character(s) of text besides spaces; check that "
                "it was exported with its text (an empty transcript, or a picture saved as text?)."
            )
        _, block, _ = _split_block(_text_of(_first(element, "Description")))
        source_id = block.get("id") if block and isinstance(block.get("id"), str) else fallback
        if source_id in sources:
            new = f"{source_id} ({guid[:8]})"
            warnings.append(f"Two sources have id {source_id!r}; the second ({source_name!r}) is now {new!r}.")
            source_id = new
        attributes = _variable_values(element, variables, warnings)
        sources[source_id] = Source(source_id, source_name, text, attributes, None, encoding)
        guid_to_id[guid] = source_id
        selections[source_id] = _read_selections(element, notes, linked)
    return sources, guid_to_id, selections


def _segment_rows(
    selections: dict[str, list[_Selection]],
    sources: dict[str, Source],
    convention: str,
    code_ids: dict[str, str],
    users: dict[str, str],
    warnings: list[str],
) -> list[dict[str, object]]:
    """The rows of the segment table: the selections with a known code, positions converted to code points."""
    rows = []
    unknown_codes = annotations = 0
    for source_id, found in selections.items():
        text = sources[source_id].text
        units = _units_at(text, convention)
        for selection in found:
            if not selection.code_guid:
                annotations += 1
                continue
            if selection.code_guid not in code_ids:
                unknown_codes += 1
                continue
            if selection.whole:
                start, end = 0, len(text)
            else:
                (start, end), ok = _to_python_lenient(units, np.array([selection.start, selection.end]))
                if not ok.all() or start > end:
                    warnings.append(
                        f"Selection {selection.start}-{selection.end} of source {source_id!r} does not fit its text "
                        f"({int(units[-1])} {convention} units); skipped."
                    )
                    continue
            rows.append(
                {
                    "source_id": source_id,
                    "start": int(start),
                    "end": int(end),
                    "code_id": code_ids[selection.code_guid],
                    "coder": users.get(selection.user_guid, "unknown"),
                    "memo": selection.memo,
                }
            )
    if unknown_codes:
        warnings.append(f"{unknown_codes} coding(s) refer to codes that are not in the codebook; skipped.")
    if annotations:
        warnings.append(f"{annotations} selection(s) without a code (annotations) skipped.")
    return rows


def _read_selections(element: ET.Element, notes: dict[str, str], linked: dict[str, list[str]]) -> list[_Selection]:
    found = []

    def memo_of(*elements: ET.Element, guid: str) -> str:
        memo = _text_of(_first(elements[0], "Description"))
        if memo:
            return memo
        texts = [
            notes[g]
            for e in elements
            for r in _children(e, "NoteRef")
            if (g := _norm_guid(r.get("targetGUID"))) in notes
        ]
        return "\n\n".join(texts + linked.get(guid, []))

    for selection in _children(element, "PlainTextSelection"):
        guid = _norm_guid(selection.get("guid"))
        try:
            start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
        except ValueError:
            continue
        codings = _children(selection, "Coding")
        fallback_user = _norm_guid(selection.get("creatingUser") or selection.get("modifyingUser"))
        if not codings:
            found.append(_Selection(guid, start, end, "", fallback_user, ""))
        for coding in codings:
            ref = _first(coding, "CodeRef")
            user = _norm_guid(coding.get("creatingUser")) or fallback_user
            memo = memo_of(selection, coding, guid=guid)
            found.append(
                _Selection(guid, start, end, _norm_guid(ref.get("targetGUID") if ref is not None else ""), user, memo)
            )
    for coding in _children(element, "Coding"):
        ref = _first(coding, "CodeRef")
        code = _norm_guid(ref.get("targetGUID") if ref is not None else "")
        found.append(_Selection("", 0, 0, code, _norm_guid(coding.get("creatingUser")), memo_of(coding, guid=""), True))
    return found


def _case_variables(
    root: ET.Element,
    variables: dict[str, str],
    guid_to_id: dict[str, str],
    sources: dict[str, Source],
    warnings: list[str],
) -> None:
    """Add the variables of the ``Cases`` each source belongs to; a source's own value wins."""
    from_cases: dict[str, dict[str, str]] = {}
    for case in _items(root, "Cases", "Case"):
        values = _variable_values(case, variables, warnings)
        for ref in _children(case, "SourceRef"):
            source_id = guid_to_id.get(_norm_guid(ref.get("targetGUID")))
            if source_id is None:
                continue
            current = from_cases.setdefault(source_id, {})
            for key, value in values.items():
                if key in current and current[key] != value:
                    warnings.append(
                        f"Source {source_id!r} belongs to cases with different values of {key!r} "
                        f"({current[key]!r}, {value!r}); kept the first."
                    )
                    continue
                current[key] = value
    for source_id, values in from_cases.items():
        source = sources[source_id]
        for key, value in values.items():
            if key in source.attributes and source.attributes[key] != value:
                warnings.append(
                    f"Source {source_id!r}: {key!r} is {source.attributes[key]!r} on the source and {value!r} on its "
                    "case; kept the source's."
                )
            else:
                source.attributes[key] = value


def _choose_convention(
    description: dict[str, object],
    origin: str | None,
    sources: dict[str, Source],
    selections: dict[str, list[_Selection]],
    warnings: list[str],
) -> tuple[str, str]:
    measured = []
    for source_id, found in selections.items():
        positioned = [s for s in found if not s.whole and s.code_guid]
        if positioned:
            starts = np.array([s.start for s in positioned], dtype=np.int64)
            ends = np.array([s.end for s in positioned], dtype=np.int64)
            measured.append((sources[source_id].text, starts, ends))
    declared = description.get("offsets")
    if isinstance(declared, str) and declared in CONVENTIONS:
        chosen, reason = declared, "declared in the project description by circles"
    else:
        chosen = _convention_for_origin(origin)
        reason = f"origin {origin!r}"
    if chosen is None:
        if not measured:
            return "python", f"origin {origin!r} unknown and no selections to measure: python"
        detected, why, tied = _detect(measured, None)
        _warn_tie(tied, detected, warnings)
        if "maxqda" in (origin or "").lower():
            why = f"origin {origin!r} (MAXQDA's counting is not documented); {why}"
        else:
            why = f"origin {origin!r} unknown; {why}"
        return detected, why
    invalid = 0
    for text, starts, ends in measured:
        units = _units_at(text, chosen)
        s, s_ok = _to_python_lenient(units, starts)
        e, e_ok = _to_python_lenient(units, ends)
        invalid += int((~(s_ok & e_ok & (s <= e))).sum())
    if invalid:
        detected, why, tied = _detect(measured, chosen)
        _warn_tie(tied, detected, warnings)
        warnings.append(
            f"{invalid} selection(s) do not fit the texts when counted as {chosen!r} ({reason}); the convention was "
            f"detected instead: {detected!r}."
        )
        return detected, f"{reason} did not fit; {why}"
    return chosen, reason


def _warn_tie(tied: list[str], chosen: str, warnings: list[str]) -> None:
    if tied:
        warnings.append(
            f"Offset convention ambiguous: {', '.join(map(repr, tied))} fit the selections as well as {chosen!r} but "
            "place some of them elsewhere; check a few quotes."
        )
