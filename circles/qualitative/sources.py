"""Reading sources to code, cutting them into units, and re-anchoring segments when a source changes.

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

Units
-----
:func:`units` cuts a source into paragraphs, speaker turns or sentences, each with code-point offsets such that
``source.text[start:end] == text``. Units never start or end with whitespace, never overlap and come in text
order.

*Paragraphs* are runs of lines between blank lines. In notes and Word documents a speaker line (below) always
starts a new paragraph, Markdown heading lines (``# ...`` to ``###### ...``) and the attribute block are not
units, and in a Word document every line (Word paragraph) is a paragraph. A survey response has no headings,
attribute block or speaker labels (``GP: never heard back`` is what the respondent wrote).

*Turns* are what one speaker says. A speaker line is a line that starts with a short label and a colon,
``Parent A: ...``, ``Facilitator: ...``, ``Mr Khan: ...``, ``Young people's worker: ...``: up to
:data:`MAX_SPEAKER_WORDS` words and :data:`MAX_SPEAKER_CHARS` characters, starting with a capital letter, with text
after the colon on the same line, no verb or pronoun among the words (``The problem is: ...`` is not a label,
see :data:`NOT_IN_SPEAKER_LABEL`) and not a note label such as ``Note:``, ``NB:``, ``Action:`` or ``Date:`` (see
:data:`NON_SPEAKER_LABELS`). The label and colon are not part of the unit: the turn's text starts after them and
the label is in the ``speaker`` column. Paragraphs without a label continue the turn of the speaker before them
(a long answer in several paragraphs); a heading ends a turn. Text outside any turn (a notice, a list of actions
after a heading) gives one unit per paragraph with speaker ``""``. A survey response is one turn.

*Sentences* are split within paragraphs by a simple rule: a sentence ends at ``.``, ``!``, ``?``, ``...`` or
``…`` (and any closing quotes or brackets) followed by white space and a character that is not a lower-case
letter, except after a common abbreviation (``Mr.``, ``Dr.``, ``e.g.``, ``etc.``: :data:`ABBREVIATIONS`), a single
capital initial (``J. Smith``) or a list number at the start of a line (``1. Offer ...``). A line starting with a
list marker (``-``, ``*``, ``•``, ``1.``, ``2)``) starts a new sentence. Numbers such as ``3.5`` are never split.
Sentences carry the speaker of their turn.

Re-anchoring
------------
:func:`reanchor` finds each coded segment again after its source has been edited, by its quote and the context
around it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from circles.errors import CodingError, SourceError
from circles.ingest.accounting import ROW_ID
from circles.io.readers import detect_encoding, read_source
from circles.qualitative.model import CONTEXT, SEGMENT_COLUMNS, Source
from circles.validation import suggest

__all__ = [
    "UNITS",
    "UNIT_COLUMNS",
    "NOTE_SUFFIXES",
    "TABLE_SUFFIXES",
    "ABBREVIATIONS",
    "NON_SPEAKER_LABELS",
    "NOT_IN_SPEAKER_LABEL",
    "MAX_SPEAKER_WORDS",
    "MAX_SPEAKER_CHARS",
    "ATTRIBUTE_SEARCH_LINES",
    "read_sources",
    "slugify",
    "units",
    "all_units",
    "reanchor",
]

UnitKind = Literal["sentence", "turn", "paragraph"]
#: The kinds of unit :func:`units` cuts.
UNITS: tuple[str, ...] = ("sentence", "turn", "paragraph")
#: Columns of a unit table.
UNIT_COLUMNS = ["source_id", "unit_id", "start", "end", "text", "speaker"]
#: File types read as notes (one source per file, text as read).
NOTE_SUFFIXES: tuple[str, ...] = (".txt", ".md")
#: File types read as survey responses (one source per row).
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".xlsx", ".xlsm")
_SUFFIXES = (*NOTE_SUFFIXES, ".docx", *TABLE_SUFFIXES)
#: Words after which a full stop does not end a sentence (compared ignoring case, without the final stop).
ABBREVIATIONS: frozenset[str] = frozenset(
    "mr mrs ms mx dr prof rev revd st sr jr cllr capt sgt insp supt col gen hon rt no nos vs etc e.g eg i.e ie cf "
    "approx appt dept govt inc ltd co nb n.b p.s ps pp vol fig ref tel ext mins hrs yrs wk wks "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split()
)
#: Labels before a colon that mark a note, not a speaker (compared ignoring case and a final stop).
NON_SPEAKER_LABELS: frozenset[str] = frozenset(
    (
        "note notes nb n.b ps p.s action actions agreed decision decisions summary example examples e.g eg i.e ie "
        "update re subject date time venue location present attendees apologies purpose theme themes outcome "
        "outcomes issue issues risk risks quote comment comments feedback todo tip warning important source sources"
    ).split()
    + ["key point", "key points", "next steps", "to do", "follow up"]
)
#: Words that never occur in a speaker label: verbs, pronouns and question words make ``X is: ...`` a sentence.
NOT_IN_SPEAKER_LABEL: frozenset[str] = frozenset(
    "is are was were be been being am has have had do does did will would can could should must may might shall "
    "i we you they he she it its this that these those there here what why how when where which who whom "
    "said says say asked asks told tells want wanted need needed but if so because "
    "not no yes my our your their his her".split()
)
#: Most words in a speaker label.
MAX_SPEAKER_WORDS = 4
#: Most characters in a speaker label.
MAX_SPEAKER_CHARS = 40
#: The attribute block (``- Key: value`` lines) must start within this many lines of the top of a note.
ATTRIBUTE_SEARCH_LINES = 20

_EOL = re.compile(r"\r\n|\r|\n")
_HEADING = re.compile(r" {0,3}#{1,6}(?=[ \t]|$)")
_ATTRIBUTE = re.compile(r"[ \t]*[-*][ \t]+(?P<key>[^\W\d_][^:]{0,39}?)[ \t]*:(?!//)[ \t]*(?P<value>.*?)[ \t]*$")
_SPEAKER = re.compile(r"[ \t]*(?P<label>[^\W\d_][\w'’.&/-]*(?:[ \t]+[\w'’.&/-]+){0,5}?)[ \t]*:[ \t]+(?=\S)")
_SENTENCE_END = re.compile(r"(?:\.{2,}|…+|[.!?]+)[\"'”’»)\]]*")
_CLOSERS = "\"'”’»)]"
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+\S")
_TOKEN_BEFORE = re.compile(r"[^\W_][\w.]*$")


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


# ----------------------------------------------------------------------------------------------- lines


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every line, line end excluded; ``\\r\\n``, ``\\r`` and ``\\n`` end lines."""
    out, pos = [], 0
    for m in _EOL.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _kind(source: Source) -> str:
    """``"response"`` (a survey row), ``"docx"`` or ``"notes"`` (text files, and sources built in code)."""
    suffix = Path(source.path).suffix.lower() if source.path else ""
    if suffix in TABLE_SUFFIXES:
        return "response"
    return "docx" if suffix == ".docx" else "notes"


def _speaker(text: str, start: int, end: int) -> re.Match[str] | None:
    """The speaker label at the start of a line, if the line is a speaker turn."""
    m = _SPEAKER.match(text, start, end)
    if m is None:
        return None
    label = m.group("label")
    words = label.split()
    if (
        not label[0].isupper()
        or len(label) > MAX_SPEAKER_CHARS
        or len(words) > MAX_SPEAKER_WORDS
        or label.casefold().rstrip(".") in NON_SPEAKER_LABELS
        or any(w.casefold().strip("'’.") in NOT_IN_SPEAKER_LABEL for w in words)
    ):
        return None
    return m


def _attribute_block(text: str, lines: list[tuple[int, int]], kind: str) -> list[tuple[int, str, str]]:
    """``(line index, key, value)`` of each line of the leading ``- Key: value`` block.

    The block is the first run of consecutive ``- Key: value`` lines that starts within
    :data:`ATTRIBUTE_SEARCH_LINES` lines of the top and before any speaker turn. Survey responses have none.
    """
    if kind == "response":
        return []
    first = None
    for i, (s, e) in enumerate(lines[:ATTRIBUTE_SEARCH_LINES]):
        if _ATTRIBUTE.match(text, s, e):
            first = i
            break
        if _speaker(text, s, e):
            return []
    if first is None:
        return []
    block = []
    for i in range(first, len(lines)):
        m = _ATTRIBUTE.match(text, *lines[i])
        if m is None:
            break
        block.append((i, m.group("key").strip(), m.group("value")))
    return block


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


# ----------------------------------------------------------------------------------------------- units


@dataclass
class _Span:
    start: int
    end: int
    speaker: str = ""
    labelled: bool = False  # starts with a speaker label
    after_break: bool = False  # a heading or the attribute block stands between it and the paragraph before


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(source: Source) -> list[_Span]:
    text, kind = source.text, _kind(source)
    lines = _lines(text)
    block = {i for i, _key, _value in _attribute_block(text, lines, kind)}
    paragraphs: list[_Span] = []
    current: _Span | None = None
    pending_break = False

    def close() -> None:
        nonlocal current
        if current is not None:
            current.start, current.end = _trim(text, current.start, current.end)
            if current.start < current.end:
                paragraphs.append(current)
        current = None

    for i, (s, e) in enumerate(lines):
        if kind != "response" and (i in block or _HEADING.match(text, s, e)):
            close()
            pending_break = True
            continue
        if not text[s:e].strip():
            close()
            continue
        label = _speaker(text, s, e) if kind != "response" else None
        if label is not None or kind == "docx" or current is None:
            close()
            current = _Span(
                label.end() if label else s,
                e,
                label.group("label") if label else "",
                label is not None,
                pending_break,
            )
            pending_break = False
        else:
            current.end = e
    close()
    return paragraphs


def _turns(source: Source, paragraphs: list[_Span]) -> list[_Span]:
    """Merge paragraphs into turns; set each paragraph's speaker to its turn's."""
    if _kind(source) == "response":
        return [_Span(paragraphs[0].start, paragraphs[-1].end)] if paragraphs else []
    turns: list[_Span] = []
    for p in paragraphs:
        if not p.labelled and turns and turns[-1].speaker and not p.after_break:
            turns[-1].end = p.end
            p.speaker = turns[-1].speaker
        else:
            turns.append(_Span(p.start, p.end, p.speaker))
    return turns


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` (no surrounding white space) into sentences; see the module description."""
    cuts: set[int] = set()
    line_starts = [start] + [m.end() for m in _EOL.finditer(text, start, end)]
    for ls in line_starts[1:]:
        if _LIST_ITEM.match(text, ls, end):
            cuts.add(_trim(text, ls, end)[0])
    for m in _SENTENCE_END.finditer(text, start, end):
        nxt = m.end()
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt == m.end() or nxt >= end or text[nxt].islower():
            continue
        if m.group(0).rstrip(_CLOSERS) == ".":
            token_match = _TOKEN_BEFORE.search(text, max(start, m.start() - 20), m.start())
            token = token_match.group(0).lstrip(".") if token_match else ""
            if token.casefold() in ABBREVIATIONS or (len(token) == 1 and token.isupper()):
                continue
            if token.isdigit() and token_match is not None:
                line_start = max(ls for ls in line_starts if ls <= token_match.start())
                if not text[line_start : token_match.start()].strip(" \t-*•"):
                    continue  # "1." opening a list item
        cuts.add(nxt)
    out = []
    bounds = [start, *sorted(c for c in cuts if start < c < end), end]
    for a, b in zip(bounds, bounds[1:], strict=False):
        a, b = _trim(text, a, b)
        if a < b:
            out.append((a, b))
    return out


def _frame(rows: list[tuple[str, int, int, int, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    for column in ("unit_id", "start", "end"):
        frame[column] = frame[column].astype("int64")
    for column in ("source_id", "text", "speaker"):
        frame[column] = frame[column].astype(object)
    return frame


def units(source: Source, unit: UnitKind = "sentence") -> pd.DataFrame:
    """Cut a source into sentences, speaker turns or paragraphs (see the module description).

    Parameters
    ----------
    source : Source
    unit : {"sentence", "turn", "paragraph"}

    Returns
    -------
    pandas.DataFrame
        Columns ``source_id, unit_id`` (1, 2, ... within the source), ``start, end`` (code points into
        ``source.text``, with ``source.text[start:end] == text``), ``text`` and ``speaker`` (``""`` when unknown).

    Raises
    ------
    CodingError
        If ``unit`` is not one of :data:`UNITS`.

    Examples
    --------
    >>> src = Source("w1", "w1.md", "# Workshop\\n\\nParent A: Support is 9 to 5. Mr. Khan agreed.\\n"
    ...              "It gets worse at night...\\n\\n## Next\\nFacilitator: Thanks 😊.")
    >>> units(src, "turn")[["unit_id", "speaker", "text"]].values.tolist()
    [[1, 'Parent A', 'Support is 9 to 5. Mr. Khan agreed.\\nIt gets worse at night...'], \
[2, 'Facilitator', 'Thanks 😊.']]
    >>> units(src, "sentence")["text"].tolist()
    ['Support is 9 to 5.', 'Mr. Khan agreed.', 'It gets worse at night...', 'Thanks 😊.']
    >>> row = units(src, "sentence").iloc[-1]
    >>> src.text[row.start : row.end] == row.text
    True
    """
    _check_unit(unit)
    return _frame(_unit_rows(source, unit))


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise CodingError(f"unit {unit!r}: units are {', '.join(UNITS)}.{suggest(str(unit), UNITS)}")


def _unit_rows(source: Source, unit: str) -> list[tuple[str, int, int, int, str, str]]:
    text = source.text
    paragraphs = _paragraphs(source)
    turns = _turns(source, paragraphs)
    if unit == "paragraph":
        spans = [(p.start, p.end, p.speaker) for p in paragraphs]
    elif unit == "turn":
        spans = [(t.start, t.end, t.speaker) for t in turns]
    else:
        spans = [(a, b, p.speaker) for p in paragraphs for a, b in _sentences(text, p.start, p.end)]
    return [(source.id, i, a, b, text[a:b], who) for i, (a, b, who) in enumerate(spans, 1)]


def all_units(sources: Iterable[Source], unit: UnitKind = "sentence") -> pd.DataFrame:
    """The units of several sources, one table in source order.

    Examples
    --------
    >>> table = all_units([Source("a", "a", "One. Two."), Source("b", "b", "Three?")], "sentence")
    >>> table[["source_id", "unit_id", "text"]].values.tolist()
    [['a', 1, 'One.'], ['a', 2, 'Two.'], ['b', 1, 'Three?']]
    """
    _check_unit(unit)
    return _frame([row for source in sources for row in _unit_rows(source, unit)])


# ----------------------------------------------------------------------------------------------- re-anchoring


def _context_score(text: str, start: int, end: int, before: str, after: str) -> int:
    """Characters of the recorded context that still stand beside ``text[start:end]`` (max ``len(before + after)``)."""
    score = 0
    for a, b in zip(reversed(before), reversed(text[max(0, start - len(before)) : start]), strict=False):
        if a != b:
            break
        score += 1
    for a, b in zip(after, text[end : end + len(after)], strict=False):
        if a != b:
            break
        score += 1
    return score


def _occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Exact occurrences of ``quote`` (overlapping ones too); failing those, matches ignoring white space changes."""
    found, i = [], text.find(quote)
    while i != -1:
        found.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    if found or not quote.split():
        return found
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def reanchor(
    segments: pd.DataFrame, sources: Iterable[Source] | Mapping[str, Source]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find coded segments again in sources that changed since they were coded.

    A segment whose ``quote`` still stands at ``start:end`` with its recorded ``before``/``after`` context is kept
    as it is. Otherwise every occurrence of the quote in the source is a candidate (failing exact ones, matches
    that differ only in white space, e.g. line ends changed from CRLF to LF); the candidate with the most of its
    recorded context still beside it wins, and among equals the one nearest the old ``start``. Its offsets,
    ``quote``, ``before`` and ``after`` are updated.

    Parameters
    ----------
    segments : pandas.DataFrame
        A segment table (:data:`~circles.qualitative.model.SEGMENT_COLUMNS`; other columns are kept).
    sources : iterable of Source, or mapping of id to Source
        The sources as they are now.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The re-anchored segments (those found, in their order), and the lost ones with a ``reason`` column:
        the source is missing, no quote was recorded, or the quote is no longer in the source.

    Raises
    ------
    CodingError
        If the segment table lacks a column it needs.

    Examples
    --------
    >>> from circles.qualitative.model import make_segments
    >>> old = Source("n", "n", "Relapse. I've been here before.")
    >>> seg = make_segments([{"source_id": "n", "start": 0, "end": 7, "code_id": "FEA01", "coder": "jb"}], {"n": old})
    >>> new = Source("n", "n", "Parent D: Relapse. I've been here before.")
    >>> found, lost = reanchor(seg, [new])
    >>> found.loc[0, ["quote", "before"]].tolist(), int(found.loc[0, "start"]), len(lost)
    (['Relapse', 'Parent D: '], 10, 0)
    """
    needed = ["source_id", "start", "end", "quote", "before", "after"]
    missing = [c for c in needed if c not in segments.columns]
    if missing:
        raise CodingError(
            f"segment table: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"a segment table has the columns {', '.join(SEGMENT_COLUMNS)}."
        )
    by_id = dict(sources) if isinstance(sources, Mapping) else {s.id: s for s in sources}
    segments = segments.reset_index(drop=True)
    kept: list[Any] = []
    updates: dict[Any, tuple[int, int, str, str, str]] = {}
    reasons: dict[Any, str] = {}
    for index, row in zip(segments.index, segments[needed].itertuples(index=False), strict=True):
        source = by_id.get(row.source_id)
        if source is None:
            reasons[index] = f"the source {row.source_id!r} is not among the sources given"
            continue
        quote = "" if pd.isna(row.quote) else str(row.quote)
        before = "" if pd.isna(row.before) else str(row.before)
        after = "" if pd.isna(row.after) else str(row.after)
        if not quote:
            reasons[index] = "no quote was recorded, so the segment cannot be found again"
            continue
        text, start, end = source.text, int(row.start), int(row.end)
        if text[start:end] == quote and _context_score(text, start, end, before, after) == len(before) + len(after):
            kept.append(index)
            continue
        candidates = _occurrences(text, quote)
        if not candidates:
            reasons[index] = f"the quote is no longer in source {row.source_id!r}"
            continue
        a, b = max(candidates, key=lambda c: (_context_score(text, c[0], c[1], before, after), -abs(c[0] - start)))
        kept.append(index)
        updates[index] = (a, b, text[a:b], text[max(0, a - CONTEXT) : a], text[b : b + CONTEXT])

    found = segments.loc[kept].copy()
    for index, (a, b, quote, before, after) in updates.items():
        found.loc[index, ["quote", "before", "after"]] = [quote, before, after]
        found.loc[index, "start"] = a
        found.loc[index, "end"] = b
    lost = segments.loc[list(reasons)].copy()
    lost["reason"] = pd.Series(reasons, dtype=object)
    for frame in (found, lost):
        for column in ("start", "end"):
            frame[column] = frame[column].astype(np.int64)
    return found.reset_index(drop=True), lost.reset_index(drop=True)
