"""Reading, validating, writing and printing codebooks.

A codebook file is YAML::

    name: demo
    dimensions: [need, barrier, aspiration, fear, provider view]
    codes:
      - id: ASP01
        name: Stop drinking
        dimension: aspiration
        theme: health
        definition: ...
        include: ...
        exclude: ...
        example: "I want to stop drinking. Not cut down, stop."
        colour: "#2CA02C"

or CSV (or an Excel sheet) with one row per code and the same column names (``id, name, dimension, theme,
parent, definition, include, exclude, example, colour``). A CSV holds the codes only: its name is the file
stem and its dimensions are the ``dimensions`` given to :func:`read_codebook` (default
:data:`~circles.qualitative.model.DIMENSIONS`).

Rules checked on reading, all reported together with the line (YAML, CSV) or sheet row (Excel) and the code id:

* ``id``, ``name`` and ``dimension`` are required; ids are unique (ignoring case);
* ``dimension`` is one of the declared dimensions (matched ignoring case and written as declared);
* ``parent`` names another code, in the same dimension, and parents form no cycle;
* ``colour`` is ``#RRGGBB`` (written in upper case; ``#808080`` when left blank);
* there are no unknown keys or columns (with a "Did you mean" hint).

Every YAML scalar is read as text (``no``, ``1.10`` and ``2010-07-13`` stay as written); text is stripped of
surrounding whitespace and a blank ``theme`` or ``parent`` is ``None``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from circles.errors import CodingError, SourceError
from circles.ingest.accounting import ROW_ID
from circles.io.readers import detect_encoding, read_source
from circles.io.writers import atomic_path
from circles.qualitative.model import DIMENSIONS, Code, Codebook
from circles.validation import key_lines, suggest

__all__ = [
    "FIELDS",
    "REQUIRED_FIELDS",
    "DEFAULT_COLOUR",
    "read_codebook",
    "validate_codebook",
    "write_codebook",
    "codebook_table",
    "codebook_markdown",
]

#: Keys of a code in YAML, columns of a CSV codebook, in this order.
FIELDS: tuple[str, ...] = tuple(Code.__dataclass_fields__)
#: Keys every code must have.
REQUIRED_FIELDS: tuple[str, ...] = ("id", "name", "dimension")
#: Colour of a code whose colour is left blank.
DEFAULT_COLOUR = "#808080"
_TOP_KEYS = ("name", "dimensions", "codes")
_OPTIONAL_NONE = ("theme", "parent")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_YAML_SUFFIXES = (".yaml", ".yml")
_TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")
_KEPT_TAGS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")


class _TextLoader(yaml.SafeLoader):
    """A safe YAML loader whose plain scalars are text or null: no booleans, numbers or dates."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEPT_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Dumper(yaml.SafeDumper):
    """Safe YAML dumper that writes text with line breaks as literal blocks (``|``)."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data and data == data.strip() and "\r" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


@dataclass
class _Record:
    """One code as read, before checking: raw values and where they came from."""

    values: dict[str, Any]
    where: str  # "line 12" or "row 5"
    key_where: dict[str, str] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------- reading


def read_codebook(path: str | Path, *, dimensions: Sequence[str] | None = None, name: str | None = None) -> Codebook:
    """Read and validate a codebook from YAML (``.yaml``, ``.yml``), CSV (``.csv``, ``.tsv``) or Excel (``.xlsx``).

    Parameters
    ----------
    path : path-like
        The codebook file.
    dimensions : sequence of str, optional
        The dimensions codes may belong to. A YAML file's own ``dimensions`` take precedence; a CSV has none,
        so this (default :data:`~circles.qualitative.model.DIMENSIONS`) applies.
    name : str, optional
        The codebook's name when the file gives none (CSV always; YAML without ``name``); default the file stem.

    Returns
    -------
    Codebook
        Codes in file order, colours in upper case, dimensions spelled as declared.

    Raises
    ------
    CodingError
        Listing every problem with its line (or sheet row), code id and field, and what to do.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> text = '''
    ... name: mini
    ... codes:
    ...   - {id: B1, name: Support only 9 to 5, dimension: barrier, colour: "#d62728"}
    ...   - {id: B1a, name: No evening support, dimension: barrier, parent: B1}
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "mini.yaml"
    ...     _ = path.write_text(text)
    ...     book = read_codebook(path)
    >>> book.ids, book.code("B1").colour, book.code("B1a").parent
    (('B1', 'B1a'), '#D62728', 'B1')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES + _TABLE_SUFFIXES:
        raise CodingError(
            f"{path}: unknown codebook type {suffix!r}; write the codebook as YAML (.yaml) or CSV (.csv)."
        )
    if not path.exists():
        raise CodingError(f"{path}: no such codebook file.")
    if suffix in _YAML_SUFFIXES:
        records, declared, file_name, problems = _read_yaml(path)
    else:
        records, problems = _read_table(path)
        declared, file_name = None, None
    dims = declared if declared is not None else tuple(dimensions) if dimensions is not None else DIMENSIONS
    book_name = file_name or name or path.stem
    return _build(records, dims, book_name, str(path), problems)


def validate_codebook(codebook: Codebook) -> Codebook:
    """Check a codebook built in Python by the rules :func:`read_codebook` applies; return it normalised.

    Raises
    ------
    CodingError
        Listing every problem with the code's position (``code 1`` is the first) and id.

    Examples
    --------
    >>> book = Codebook((Code("N1", "Someone to talk to", "Need", colour="#aabbcc"),))
    >>> fixed = validate_codebook(book)
    >>> fixed.code("N1").dimension, fixed.code("N1").colour
    ('need', '#AABBCC')
    >>> validate_codebook(Codebook((Code("N1", "x", "needs"),)))
    Traceback (most recent call last):
    ...
    circles.errors.CodingError: Invalid codebook 'codebook':
      code 1, code 'N1', field 'dimension': 'needs' is not a dimension of this codebook. Did you mean 'need'? \
Dimensions: need, barrier, aspiration, fear, provider view.
    """
    records = [_Record({k: getattr(c, k) for k in FIELDS}, f"code {i}") for i, c in enumerate(codebook.codes, 1)]
    return _build(records, codebook.dimensions, codebook.name, repr(codebook.name), [])


def _read_yaml(path: Path) -> tuple[list[_Record], tuple[str, ...] | None, str | None, list[str]]:
    try:
        _encoding, text = detect_encoding(path.read_bytes(), str(path))
    except OSError as exc:
        raise CodingError(f"{path}: cannot read the file ({exc.strerror}).") from None
    except SourceError as exc:
        raise CodingError(str(exc)) from None
    try:
        data = yaml.load(text, Loader=_TextLoader)  # a SafeLoader subclass: safe
        lines = key_lines(text, _TextLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CodingError(f"{path}{where}: not valid YAML ({problem}). Check the indentation and quotes.") from None
    if not isinstance(data, dict):
        raise CodingError(f"{path}: a codebook is a YAML mapping with the keys name, dimensions and codes.")
    problems: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(
                f"line {lines.get((key,), '?')}, {key!r}: unknown key.{suggest(str(key), _TOP_KEYS)} "
                f"A codebook has the keys {', '.join(_TOP_KEYS)}."
            )
    book_name = data.get("name")
    if book_name is not None and not isinstance(book_name, str):
        problems.append(f"line {lines.get(('name',))}, name: the codebook's name must be text.")
        book_name = None
    declared: tuple[str, ...] | None = None
    if data.get("dimensions") is not None:
        dims = data["dimensions"]
        line = lines.get(("dimensions",))
        if not isinstance(dims, list) or not all(isinstance(d, str) and d.strip() for d in dims):
            problems.append(f"line {line}, dimensions: give a list of dimension names, e.g. [need, barrier].")
        else:
            declared = tuple(d.strip() for d in dims)
    codes = data.get("codes")
    line = lines.get(("codes",))
    if codes is None:
        problems.append(f"line {line or 1}, codes: the codebook has no codes; add a list under 'codes:'.")
        codes = []
    elif not isinstance(codes, list):
        problems.append(f"line {line}, codes: give a list of codes, each starting with '- id: ...'.")
        codes = []
    records = []
    for i, item in enumerate(codes):
        where = f"line {lines.get(('codes', i), '?')}"
        if not isinstance(item, dict):
            problems.append(f"{where}: each code is a mapping with keys such as id, name, dimension.")
            continue
        key_where = {str(k): f"line {lines.get(('codes', i, k), '?')}" for k in item}
        records.append(_Record({str(k): v for k, v in item.items()}, where, key_where))
    return records, declared, book_name, problems


def _read_table(path: Path) -> tuple[list[_Record], list[str]]:
    try:
        table = read_source(path, expected=FIELDS)
    except SourceError as exc:
        if "no header row" not in str(exc):
            raise CodingError(str(exc)) from None
        raise CodingError(
            f"{path}: no header row naming the codebook's columns ({', '.join(FIELDS)}) in the first lines. "
            "Add a header row with at least id, name and dimension."
        ) from None
    is_excel = table.info.get("format") == "xlsx"
    unit = "row" if is_excel else "line"
    header_at = table.info.get("header_row") if is_excel else table.info.get("header_line")
    problems: list[str] = []
    columns: dict[str, str] = {}
    for column in table.info.get("columns", []):
        folded = column.strip().casefold()
        if folded in FIELDS:
            columns[column] = folded
        else:
            problems.append(
                f"{unit} {header_at}, column {column!r}: unknown column.{suggest(column, FIELDS)} "
                f"Codebook columns: {', '.join(FIELDS)}."
            )
    for repeated in table.info.get("repeated_columns", []):
        problems.append(f"{unit} {header_at}, column {repeated!r}: the column is repeated; keep one.")
    for q in table.quarantine.itertuples(index=False):
        if q.reason != "empty_row":
            problems.append(str(q.message))
    records = []
    for row in table.frame.to_dict("records"):
        where = f"{unit} {str(row[ROW_ID]).rsplit(':', 1)[1]}"
        values = {fieldname: row[column] for column, fieldname in columns.items()}
        records.append(_Record(values, where))
    return records, problems


# ----------------------------------------------------------------------------------------------- checking


def _text(value: Any) -> str | None:
    """A value read from a file as stripped text (``None`` as ``""``), or ``None`` when it is not text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return None


def _build(records: list[_Record], dimensions: Sequence[str], name: str, source: str, problems: list[str]) -> Codebook:
    """Check raw records and build the :class:`Codebook`; raise one :class:`CodingError` listing every problem."""
    problems = list(problems)
    dims, folded_dims = _check_dimensions(dimensions, problems)
    codes, wheres, broken = _build_codes(records, dims, folded_dims, problems)
    by_id = {c.id: (c, where) for c, where in zip(codes, wheres, strict=True)}
    _check_parents(by_id, broken, problems)
    _check_cycles(by_id, problems)
    if problems:
        raise CodingError(f"Invalid codebook {source}:\n  " + "\n  ".join(problems))
    return Codebook(tuple(codes), dims, name)


def _check_dimensions(dimensions: Sequence[str], problems: list[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The dimensions stripped, and folded name -> dimension; blank and repeated names added to ``problems``."""
    dims = tuple(d.strip() for d in dimensions)
    folded_dims: dict[str, str] = {}
    for d in dims:
        if not d:
            problems.append("dimensions: a dimension name is blank.")
        elif d.casefold() in folded_dims:
            problems.append(f"dimensions: {d!r} is declared twice; declare each dimension once.")
        folded_dims.setdefault(d.casefold(), d)
    return dims, folded_dims


def _record_values(record: _Record, raw_id: str | None, label: str, problems: list[str]) -> tuple[dict[str, Any], bool]:
    """A record's fields as stripped text, and whether one of them has a problem (added to ``problems``)."""
    values: dict[str, Any] = {}
    bad = False
    for key, value in record.values.items():
        key_label = record.key_where.get(key, record.where) + (f", code {raw_id!r}" if raw_id else "")
        if key not in FIELDS:
            problems.append(
                f"{key_label}, {key!r}: unknown field.{suggest(key, FIELDS)} Code fields: {', '.join(FIELDS)}."
            )
            bad = True
            continue
        text = _text(value)
        if text is None:
            problems.append(f"{key_label}, field {key!r}: give text, not {type(value).__name__}.")
            bad = True
            continue
        values[key] = text
    for key in REQUIRED_FIELDS:
        if not values.get(key) and not (key in record.values and key not in values):  # not already reported
            problems.append(f"{label}, field {key!r}: missing; every code needs an id, a name and a dimension.")
            bad = True
    return values, bad


def _build_codes(
    records: list[_Record], dims: tuple[str, ...], folded_dims: dict[str, str], problems: list[str]
) -> tuple[list[Code], list[str], set[str]]:
    """The valid codes, where each was read, and the ids of codes with a problem of their own."""
    codes: list[Code] = []
    wheres: list[str] = []
    seen: dict[str, tuple[str, str]] = {}  # folded id -> (id, where)
    broken: set[str] = set()  # ids of codes with a problem of their own (their sub-codes are not blamed)
    for record in records:
        raw_id = _text(record.values.get("id"))
        label = f"{record.where}, code {raw_id!r}" if raw_id else record.where
        values, bad = _record_values(record, raw_id, label, problems)
        if bad or not all(values.get(k) for k in REQUIRED_FIELDS):
            if raw_id:
                seen.setdefault(raw_id.casefold(), (raw_id, record.where))
                broken.add(raw_id)
            continue
        code_id = values["id"]
        if code_id.casefold() in seen:
            first_id, first_where = seen[code_id.casefold()]
            same = "" if first_id == code_id else f" (as {first_id!r}; ids are compared ignoring case)"
            problems.append(
                f"{label}, field 'id': duplicate id, first used at {first_where}{same}. Give each code its own id."
            )
            continue
        seen[code_id.casefold()] = (code_id, record.where)
        dimension = folded_dims.get(values["dimension"].casefold())
        if dimension is None:
            problems.append(
                f"{label}, field 'dimension': {values['dimension']!r} is not a dimension of this codebook."
                f"{suggest(values['dimension'], dims)} Dimensions: {', '.join(dims)}."
            )
            broken.add(code_id)
            continue
        colour = values.get("colour") or DEFAULT_COLOUR
        if not _COLOUR.fullmatch(colour):
            problems.append(
                f"{label}, field 'colour': {colour!r} is not a colour; write it as #RRGGBB, e.g. '#1F77B4'."
            )
            broken.add(code_id)
            continue
        for key in _OPTIONAL_NONE:
            values[key] = values.get(key) or None
        values.update(dimension=dimension, colour=colour.upper())
        codes.append(Code(**values))
        wheres.append(label)
    return codes, wheres, broken


def _check_parents(by_id: dict[str, tuple[Code, str]], broken: set[str], problems: list[str]) -> None:
    """Add to ``problems`` each parent that is not a code, or is in another dimension."""
    for code, where in by_id.values():
        if code.parent is None:
            continue
        if code.parent not in by_id:
            if code.parent in broken:
                continue  # the parent exists but has its own problem, reported above
            problems.append(
                f"{where}, field 'parent': there is no code {code.parent!r}.{suggest(code.parent, by_id)} "
                "Name the id of another code, or leave parent blank."
            )
        elif by_id[code.parent][0].dimension != code.dimension:
            parent = by_id[code.parent][0]
            problems.append(
                f"{where}, field 'parent': the code is in dimension {code.dimension!r} but its parent "
                f"{parent.id!r} is in {parent.dimension!r}; a sub-code belongs to its parent's dimension."
            )


def _check_cycles(by_id: dict[str, tuple[Code, str]], problems: list[str]) -> None:
    """Add to ``problems`` each cycle of parents, once."""
    reported: set[frozenset[str]] = set()
    for code_id, (code, where) in by_id.items():
        chain = [code_id]
        current = code.parent
        while current in by_id and current not in chain:
            chain.append(current)
            current = by_id[current][0].parent
        if current == code_id and frozenset(chain) not in reported:
            reported.add(frozenset(chain))
            loop = " → ".join(repr(c) for c in [*chain, code_id])
            problems.append(
                f"{where}, field 'parent': the parents form a cycle ({loop}); one of these codes must have "
                "another parent or none."
            )


# ----------------------------------------------------------------------------------------------- writing


def write_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write a codebook as YAML (``.yaml``/``.yml``) or CSV (``.csv``), atomically; return the path.

    The codebook is validated first. YAML keeps the name, the dimensions and every code (keys left out when
    blank). CSV keeps the codes only (UTF-8 with a byte order mark so that Excel shows accents, LF line ends);
    read it back with the same ``dimensions`` (and ``name``) to get an equal :class:`Codebook`. Reading a
    written file gives back an equal codebook.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> book = Codebook((Code("F1", "Relapse", "fear", theme="health", colour="#FF7F0E"),), name="mini")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     yaml_back = read_codebook(write_codebook(book, pathlib.Path(folder) / "mini.yaml"))
    ...     csv_back = read_codebook(write_codebook(book, pathlib.Path(folder) / "mini.csv"))
    >>> yaml_back == book, csv_back == book
    (True, True)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    codebook = validate_codebook(codebook)
    if suffix in _YAML_SUFFIXES:
        codes = []
        for code in codebook.codes:
            item = {k: getattr(code, k) for k in FIELDS}
            codes.append({k: v for k, v in item.items() if k in REQUIRED_FIELDS or k == "colour" or v})
        document = {"name": codebook.name, "dimensions": list(codebook.dimensions), "codes": codes}
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, indent=2)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    elif suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(FIELDS)
        for code in codebook.codes:
            writer.writerow(["" if getattr(code, k) is None else getattr(code, k) for k in FIELDS])
        with atomic_path(path) as tmp:
            tmp.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    else:
        raise CodingError(f"{path}: a codebook is written as .yaml or .csv, not {suffix!r}.")
    return path


# ----------------------------------------------------------------------------------------------- printing


def _ordered(codebook: Codebook) -> list[tuple[Code, int, str | None]]:
    """Codes in printing order with their depth and the theme they are grouped under.

    Dimensions in declared order; within one, themes in order of first appearance among its top-level codes
    (no theme last); within a theme, top-level codes in file order, each followed by its sub-codes depth-first.
    A sub-code is grouped under its top-level code's theme.
    """
    out: list[tuple[Code, int, str | None]] = []

    def visit(code: Code, depth: int, theme: str | None) -> None:
        out.append((code, depth, theme))
        for child in codebook.children(code.id):
            visit(child, depth + 1, theme)

    for dimension in codebook.dimensions:
        roots = [
            c for c in codebook.codes if c.dimension == dimension and (c.parent is None or c.parent not in codebook)
        ]
        themes = list(dict.fromkeys(c.theme for c in roots if c.theme is not None))
        for theme in [*themes, None]:
            for root in (c for c in roots if c.theme == theme):
                visit(root, 0, theme)
    return out


def codebook_table(codebook: Codebook) -> pd.DataFrame:
    """The codes in printing order: by dimension, then theme, each code followed by its sub-codes.

    Columns: ``dimension, theme, level`` (0 for a top-level code, 1 for its sub-codes, ...) and then the
    :class:`~circles.qualitative.model.Code` fields ``id, name, parent, definition, include, exclude, example,
    colour``. Blank themes and parents are ``""``.

    Examples
    --------
    >>> book = Codebook((
    ...     Code("B2", "Only 9 to 5", "barrier", theme="access to services"),
    ...     Code("A1", "Stop drinking", "aspiration", theme="health"),
    ...     Code("B1", "Help only at crisis point", "barrier", theme="access to services"),
    ...     Code("B1a", "Waiting lists", "barrier", parent="B1"),
    ... ))
    >>> codebook_table(book)[["dimension", "id", "level"]].values.tolist()
    [['barrier', 'B2', 0], ['barrier', 'B1', 0], ['barrier', 'B1a', 1], ['aspiration', 'A1', 0]]
    """
    columns = ["dimension", "theme", "level", "id", "name", "parent", "definition", "include", "exclude"]
    columns += ["example", "colour"]
    rows = [
        {
            **{k: getattr(code, k) for k in FIELDS},
            "theme": code.theme or "",
            "parent": code.parent or "",
            "level": depth,
        }
        for code, depth, _theme in _ordered(codebook)
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["level"] = frame["level"].astype("int64")
    return frame


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    """Text with Markdown's inline special characters escaped, line breaks kept as spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


def codebook_markdown(codebook: Codebook) -> str:
    """The codebook as Markdown for a workshop pack: one ``##`` section per dimension, ``###`` per theme.

    Each code shows its id and name (sub-codes indented under their parent's name), colour, definition,
    what to include and exclude, and the example as a block quote. A dimension without codes says so.

    Examples
    --------
    >>> book = Codebook((Code("F1", "Relapse", "fear", theme="health", definition="Fear of drinking again.",
    ...                       example="Three months dry and then one bad day."),), name="Demo")
    >>> text = codebook_markdown(book)
    >>> print(text[text.index("## Fear"):].strip())
    ## Fear
    <BLANKLINE>
    ### Health
    <BLANKLINE>
    **F1 Relapse** (colour #808080)
    <BLANKLINE>
    Fear of drinking again.
    <BLANKLINE>
    > Three months dry and then one bad day.
    <BLANKLINE>
    ## Provider view
    <BLANKLINE>
    *No codes.*
    """
    ordered = _ordered(codebook)
    lines = [f"# {_md(codebook.name)}", ""]
    counts = ", ".join(f"{sum(c.dimension == d for c in codebook.codes)} {d}" for d in codebook.dimensions)
    lines += [f"{len(codebook)} codes: {counts}.", ""]
    for dimension in codebook.dimensions:
        lines += [f"## {_md(_title(dimension))}", ""]
        rows = [(code, depth, theme) for code, depth, theme in ordered if code.dimension == dimension]
        if not rows:
            lines += ["*No codes.*", ""]
            continue
        current: object = object()
        for code, depth, theme in rows:
            if theme != current:
                lines += [f"### {_md(_title(theme)) if theme else 'No theme'}", ""]
                current = theme
            parent = f" (under {_md(code.parent or '')})" if depth else ""
            lines += [f"**{_md(code.id)} {_md(code.name)}**{parent} (colour {code.colour})", ""]
            if code.definition:
                lines += [_md(code.definition), ""]
            guidance = [f"- Include: {_md(code.include)}" if code.include else ""]
            guidance += [f"- Exclude: {_md(code.exclude)}" if code.exclude else ""]
            if any(guidance):
                lines += [g for g in guidance if g] + [""]
            if code.example:
                lines += [f"> {_md(code.example)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
