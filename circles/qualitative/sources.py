"""Reading sources to code: workshop notes, transcripts, Word documents and survey responses.

Cutting sources into units (:func:`units`, :func:`all_units`) is done by :mod:`circles.qualitative.text_units`
and re-anchoring segments when a source changes (:func:`reanchor`) by :mod:`circles.qualitative.anchoring`; both
are re-exported here.

Sources
-------
:func:`read_sources` reads a file or a folder of files (in name order):

``.txt``, ``.md``
    Workshop notes and transcripts. The encoding (UTF-8, UTF-8 with BOM, Windows-1252) is detected by
    :func:`circles.io.readers.detect_encoding`; the BOM is dropped and the text is otherwise kept exactly as read
    (line ends untouched), so that offsets stay valid. A leading block of ``- Key: value`` lines (``- Date:
    2010-07-13``, ``- Where: ...``) gives the source's attributes: the first run of such lines, starting within
    :data:`ATTRIBUTE_SEARCH_LINES` lines of the top and before any speaker turn (a key given twice is an error).
``.docx``
    Word documents (python-docx): body paragraphs and table cells in document order, one line each, joined with
    ``"\\n"``. Headers, footers, comments and document properties are not read. Heading styles leave no mark in
    the text, so a Word heading is a unit like any paragraph (and ``Session 2: barriers`` reads as a speaker).
``.csv``, ``.tsv``, ``.xlsx``
    Survey responses: one source per row with text in ``text_column``, read through
    :func:`circles.io.readers.read_source` (encodings, delimiters, title rows). Other columns become attributes.
    Rows whose text is blank are left out (they hold nothing to code).

A file's :attr:`~circles.qualitative.model.Source.id` is its stem, slugified (``"Parents Workshop.md"`` →
``"parents-workshop"``); a response's is ``"<stem>#<row id>"``, the row id being the ``id_column`` value or the
file's line (CSV) or sheet row (Excel) number. Ids are unique: two files whose stems give the same id are an
error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from circles.errors import SourceError
from circles.ingest.accounting import ROW_ID
from circles.io.readers import detect_encoding, read_source
from circles.qualitative.anchoring import reanchor
from circles.qualitative.model import NOTE_SUFFIXES, TABLE_SUFFIXES, Source
from circles.qualitative.text_units import (
    ABBREVIATIONS,
    ATTRIBUTE_SEARCH_LINES,
    MAX_SPEAKER_CHARS,
    MAX_SPEAKER_WORDS,
    NON_SPEAKER_LABELS,
    NOT_IN_SPEAKER_LABEL,
    UNIT_COLUMNS,
    UNITS,
    _attribute_block,
    _lines,
    all_units,
    units,
)
from circles.validation import suggest

__all__ = [
    "NOTE_SUFFIXES",
    "TABLE_SUFFIXES",
    "read_sources",
    "slugify",
    # re-exported from circles.qualitative.text_units and circles.qualitative.anchoring
    "UNITS",
    "UNIT_COLUMNS",
    "ABBREVIATIONS",
    "NON_SPEAKER_LABELS",
    "NOT_IN_SPEAKER_LABEL",
    "MAX_SPEAKER_WORDS",
    "MAX_SPEAKER_CHARS",
    "ATTRIBUTE_SEARCH_LINES",
    "units",
    "all_units",
    "reanchor",
]

_SUFFIXES = (*NOTE_SUFFIXES, ".docx", *TABLE_SUFFIXES)


# ----------------------------------------------------------------------------------------------- reading


def slugify(name: str) -> str:
    """A source id from a file stem: accents dropped, lower case, runs of other characters as ``-``.

    Letters of other scripts and ``_`` are kept; the result is ``""`` when nothing is left.

    Examples
    --------
    >>> slugify("01 Parents' Workshop (Café)")
    '01-parents-workshop-cafe'
    >>> slugify("02_children_young_people_workshop")
    '02_children_young_people_workshop'
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^\w]+", "-", plain).strip("-_")


def read_sources(
    path: str | Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    attributes: Mapping[str, Any] | str | Path | None = None,
    sheet: str | None = None,
) -> list[Source]:
    """Read notes, transcripts, Word documents or survey responses from a file or a folder.

    Parameters
    ----------
    path : path-like
        A file, or a folder whose files (not sub-folders; hidden files and Word's ``~$`` lock files skipped) are
        read in name order. Every file must be a type circles reads (see the module description).
    text_column : str, optional
        For ``.csv``/``.xlsx``: the column holding the responses (required for those files). Matched exactly or
        ignoring case and surrounding spaces.
    id_column : str, optional
        For ``.csv``/``.xlsx``: a column of unique response ids (default: the line or sheet row number).
    attributes : mapping or path-like, optional
        Extra attributes, added to (and overriding) those a file gives itself. Either ``{key: value}`` for every
        source, or per file ``{file: {key: value}}``, or a CSV/Excel table with a ``file`` column and one
        column per attribute (blank cells add nothing). Files are named by file name, stem or source id.
    sheet : str, optional
        Excel sheet of survey responses (default: the first).

    Returns
    -------
    list of Source
        In file order, then row order.

    Raises
    ------
    SourceError
        Naming the file (and line or row) and what to do: unreadable or empty file, unknown type, missing text
        column (with the nearest names), a repeated or blank id, two files with the same id, attributes naming
        an unknown file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     note = pathlib.Path(folder) / "Parents workshop.md"
    ...     text = "# Workshop\\r\\n\\r\\n- Date: 2010-07-13\\r\\n\\r\\nParent A: Café.\\r\\n"
    ...     _ = note.write_bytes(text.encode("cp1252"))
    ...     [source] = read_sources(folder, attributes={"Ward": "Bastwell"})
    >>> source.id, source.encoding, source.attributes
    ('parents-workshop', 'cp1252', {'Date': '2010-07-13', 'Ward': 'Bastwell'})
    >>> source.text[-7:]
    'Café.\\r\\n'
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder.")
    table_path = Path(attributes).resolve() if isinstance(attributes, str | Path) else None
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and not p.name.startswith((".", "~$")) and p.resolve() != table_path
        )
        unknown = [p.name for p in files if p.suffix.lower() not in _SUFFIXES]
        if unknown:
            raise SourceError(
                f"{path}: cannot read {', '.join(unknown)} as source{'s' if len(unknown) > 1 else ''} "
                f"(circles reads {', '.join(_SUFFIXES)}). Move {'them' if len(unknown) > 1 else 'it'} out of the "
                "folder, or save as one of those types (Word: .docx; old .doc and .pdf are not read)."
            )
        if not files:
            raise SourceError(f"{path}: the folder holds no sources ({', '.join(_SUFFIXES)}).")
    else:
        files = [path]
    common, per_file = _extra_attributes(attributes, files)

    sources: list[Source] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix in NOTE_SUFFIXES:
            read = [_read_note(file)]
        elif suffix == ".docx":
            read = [_read_docx(file)]
        elif suffix in TABLE_SUFFIXES:
            read = _read_responses(file, text_column, id_column, sheet)
        elif suffix == ".doc":
            raise SourceError(f"{file}: old Word .doc files are not read; save it as .docx (Word: File > Save As).")
        else:
            raise SourceError(f"{file}: unknown file type {suffix!r}; circles reads {', '.join(_SUFFIXES)}.")
        extra = {**common, **per_file.get(file, {})}
        sources.extend(_with(s, extra) for s in read)

    seen: dict[str, Source] = {}
    for source in sources:
        if source.id in seen:
            first = seen[source.id]
            raise SourceError(
                f"{source.path}: its source id {source.id!r} is also the id of {first.path} (ids come from file "
                "names, ignoring case, accents and punctuation). Rename one of the files."
            )
        seen[source.id] = source
    return sources


def _with(source: Source, extra: dict[str, str]) -> Source:
    if not extra:
        return source
    return Source(source.id, source.name, source.text, {**source.attributes, **extra}, source.path, source.encoding)


def _file_id(path: Path) -> str:
    slug = slugify(path.stem)
    if not slug:
        raise SourceError(f"{path}: cannot make a source id from the file name; rename it with letters or digits.")
    return slug


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file ({exc.strerror}).") from None


def _read_note(path: Path) -> Source:
    encoding, text = detect_encoding(_read_bytes(path), str(path))
    if not text.strip():
        raise SourceError(f"{path}: the file is empty. Add the notes, or move the file out of the folder.")
    return Source(_file_id(path), path.name, text, _attributes(text, "notes", path), str(path), encoding)


def _docx_lines(container: Any) -> Iterable[str]:
    """Text of each paragraph in a python-docx container, tables cell by cell (merged cells once), in order."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            done: set[int] = set()
            for row in item.rows:
                for cell in row.cells:
                    if id(cell._tc) in done:
                        continue
                    done.add(id(cell._tc))
                    yield from _docx_lines(cell)
        else:
            yield item.text


def _read_docx(path: Path) -> Source:
    try:
        import docx
    except ImportError:  # pragma: no cover - python-docx is a dependency
        raise SourceError(f"{path}: reading Word documents needs python-docx (pip install python-docx).") from None
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for files that are not .docx
        raise SourceError(
            f"{path}: cannot open it as a Word document ({type(exc).__name__}: {exc}). Open it in Word and save it "
            "again as .docx."
        ) from None
    text = "\n".join(_docx_lines(document))
    if not text.strip():
        raise SourceError(f"{path}: the document has no text. Add the notes, or move the file out of the folder.")
    return Source(_file_id(path), path.name, text, _attributes(text, "docx", path), str(path), None)


def _resolve_column(wanted: str, present: list[str], file: Path, what: str) -> str:
    if wanted in present:
        return wanted
    folded = {c.strip().casefold(): c for c in present}
    if wanted.strip().casefold() in folded:
        return folded[wanted.strip().casefold()]
    raise SourceError(
        f"{file}: no {what} column {wanted!r}.{suggest(wanted, present)} Columns: {', '.join(present)}. "
        f"Pass the name of the column that holds the {'responses' if what == 'text' else 'ids'}."
    )


def _row_unit(info: dict[str, Any]) -> str:
    """How a table's records are numbered: by sheet ``row`` (Excel) or by ``line`` (CSV)."""
    return "row" if info.get("format") == "xlsx" else "line"


def _columns_of(path: Path, sheet: str | None) -> list[str]:
    table = read_source(path, sheet=sheet)
    return [c for c in table.frame.columns if c not in ("source_file", ROW_ID)]


def _read_responses(path: Path, text_column: str | None, id_column: str | None, sheet: str | None) -> list[Source]:
    if text_column is None:
        raise SourceError(
            f"{path}: survey responses need text_column= naming the column that holds the text. "
            f"Columns in the first row: {', '.join(_columns_of(path, sheet))}."
        )
    expected = [text_column] + ([id_column] if id_column else [])
    try:
        table = read_source(path, expected=expected, sheet=sheet)
    except SourceError as exc:
        if "no header row" not in str(exc):
            raise
        present = _columns_of(path, sheet)
        folded = {p.strip().casefold() for p in present}
        missing = next((c for c in expected if c.strip().casefold() not in folded), None)
        if missing is not None:
            _resolve_column(missing, present, path, "text" if missing == text_column else "id")  # raises
        raise
    present = [c for c in table.frame.columns if c not in ("source_file", ROW_ID)]
    text_col = _resolve_column(text_column, present, path, "text")
    id_col = _resolve_column(id_column, present, path, "id") if id_column else None
    for column in (text_col, id_col):
        if column is not None and column in table.info.get("repeated_columns", []):
            raise SourceError(f"{path}: the column {column!r} is repeated in the header; rename one copy.")
    bad = table.quarantine[table.quarantine["reason"] != "empty_row"]
    problems = [str(m) for m in bad["message"]]
    if problems:
        raise SourceError(
            f"{path}: {len(problems)} row(s) cannot be read, so their responses would be lost: "
            + " ".join(problems[:5])
            + (" ..." if len(problems) > 5 else "")
            + " Fix the file and read it again."
        )
    unit = _row_unit(table.info)
    stem = _file_id(path)
    attribute_columns = [c for c in present if c not in (text_col, id_col)]
    sources: list[Source] = []
    seen: dict[str, str] = {}
    for record in table.frame.to_dict("records"):
        number = str(record[ROW_ID]).rsplit(":", 1)[1]
        text = str(record[text_col])
        if id_col is not None:
            row_id = str(record[id_col]).strip()
            if not row_id:
                raise SourceError(f"{path}, {unit} {number}, column {id_col!r}: the id is blank; give every row an id.")
            if row_id in seen:
                raise SourceError(
                    f"{path}, {unit} {number}, column {id_col!r}: id {row_id!r} is also on {unit} {seen[row_id]}; "
                    "ids must be unique."
                )
            seen[row_id] = number
        else:
            row_id = number
        if not text.strip():
            continue
        attributes = {c: str(record[c]) for c in attribute_columns}
        sources.append(
            Source(f"{stem}#{row_id}", f"{path.name}#{row_id}", text, attributes, str(path), table.info.get("encoding"))
        )
    return sources


def _extra_attributes(
    attributes: Mapping[str, Any] | str | Path | None, files: list[Path]
) -> tuple[dict[str, str], dict[Path, dict[str, str]]]:
    """Attributes for every source, and per file, from the ``attributes`` argument of :func:`read_sources`."""
    if attributes is None:
        return {}, {}
    if isinstance(attributes, str | Path):
        table_file = Path(attributes)
        if not table_file.exists():
            raise SourceError(f"{table_file}: no such attributes file.")
        table = read_source(table_file, expected=["file"])
        present = [c for c in table.frame.columns if c not in ("source_file", ROW_ID)]
        file_col = _resolve_column("file", present, table_file, "file")
        rows: dict[str, dict[str, str]] = {}
        for record in table.frame.to_dict("records"):
            key = str(record[file_col]).strip()
            where = f"{table_file}, {_row_unit(table.info)} {str(record[ROW_ID]).rsplit(':', 1)[1]}"
            if not key:
                raise SourceError(f"{where}, column {file_col!r}: the file name is blank.")
            if key in rows:
                raise SourceError(f"{where}, column {file_col!r}: {key!r} is named twice; give one row per file.")
            rows[key] = {c: str(record[c]).strip() for c in present if c != file_col and str(record[c]).strip()}
        per_key: Mapping[str, Any] = rows
        origin = str(table_file)
    elif isinstance(attributes, Mapping):
        values = list(attributes.values())
        if values and all(isinstance(v, Mapping) for v in values):
            per_key, origin = attributes, "attributes"
        elif all(not isinstance(v, Mapping) for v in values):
            return {str(k): "" if v is None else str(v) for k, v in attributes.items()}, {}
        else:
            raise SourceError(
                "attributes: give either {key: value} for every source or {file: {key: value}} per file, not a mix."
            )
    else:
        raise SourceError(f"attributes: give a mapping or the path of a CSV file, not {type(attributes).__name__}.")

    names: dict[str, Path] = {}
    for file in files:
        for name in (file.name, file.stem, slugify(file.stem)):
            names.setdefault(name.casefold(), file)
    per_file: dict[Path, dict[str, str]] = {}
    for key, values in per_key.items():
        file = names.get(str(key).strip().casefold())
        if file is None:
            raise SourceError(
                f"{origin}: attributes for {key!r}, which is not among the files read."
                f"{suggest(str(key), [f.name for f in files])} Files: {', '.join(f.name for f in files)}."
            )
        per_file.setdefault(file, {}).update({str(k): "" if v is None else str(v) for k, v in values.items()})
    return {}, per_file


def _attributes(text: str, kind: str, path: Path) -> dict[str, str]:
    """The attributes of a note's ``- Key: value`` block; a key given twice is an error."""
    attributes: dict[str, str] = {}
    lines: dict[str, int] = {}
    for i, key, value in _attribute_block(text, _lines(text), kind):
        if key in attributes:
            raise SourceError(
                f"{path}, line {i + 1}: the attribute {key!r} is also given on line {lines[key]}; keep one of them."
            )
        attributes[key], lines[key] = value, i + 1
    return attributes
