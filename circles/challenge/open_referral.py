"""Open Referral CSV tables: the reader shared by Open Referral UK v1 and HSDS 3.0, and the ORUK v1 import.

:func:`import_open_referral` reads Open Referral UK v1 CSV tables (``organizations``, ``services``,
``locations``, ``physical_addresses``, ``service_at_locations``, ``regular_schedules``,
``eligibilitys``/``eligibility``, ``taxonomies``, ``service_taxonomys``/``service_taxonomies``; other tables such
as ``contacts`` are ignored). :func:`circles.challenge.hsds.import_hsds` reads HSDS 3.0 packages with the same
reader (``_import_tables``): the two standards name their tables and columns differently but hold the same facts.

A service meets a code when it is tagged with a taxonomy term whose vocabulary (ORUK ``taxonomies.vocabulary``;
HSDS ``taxonomy_term.taxonomy`` or the name of its ``taxonomy``) is ``circles`` (any case); the term's ``code``
(or, when blank, its ``name``) is the code id. HSDS ``attribute`` rows with ``label`` ``circles`` and the code id
in ``value`` also count.
"""

from __future__ import annotations

import json
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from circles.challenge.directory import (
    _VOCABULARY,
    FREQS,
    DirectoryError,
    ServiceDirectory,
    _parse_byday,
    _parse_date,
    _parse_days,
    _parse_numbers,
    _Problems,
    _Rows,
    _text,
    _time_or_problem,
    validate_directory,
)
from circles.challenge.schedules import _Overnight, rule_rows
from circles.qualitative.model import Codebook
from circles.validation import suggest

__all__ = ["ImportReport", "NAMESPACE", "hsds_uuid", "import_open_referral", "import_directory_report"]

#: The uuid5 namespace of the ids :func:`circles.challenge.hsds.export_hsds` writes (a fixed, random UUID).
NAMESPACE = uuid.UUID("7c1f3b52-8a4e-5d2b-9e61-0c3f6a9b1d24")
#: Written for required text the directory lacks; read back as blank.
NOT_RECORDED = "not recorded"
#: The taxonomy whose terms keep the source id of exported records; the terms of eligibility (UK profile).
_SOURCE_SCHEME = "circles source id"
_ELIGIBILITY_SCHEME = "circles eligibility"


def hsds_uuid(table: str, source_id: str) -> str:
    """The stable HSDS id of a record: ``uuid5(NAMESPACE, f"{table}:{source_id}")``.

    Examples
    --------
    >>> hsds_uuid("service", "s1") == hsds_uuid("service", "s1") != hsds_uuid("location", "s1")
    True
    """
    return str(uuid.uuid5(NAMESPACE, f"{table}:{source_id}"))


#: The organisation of services that have none (HSDS requires ``service.organization_id``).
PLACEHOLDER_ORGANISATION = hsds_uuid("organization", "")


@dataclass
class ImportReport:
    """What an import read and what it left out, per file.

    ``read`` maps each file read to its rows; ``skipped_tables`` lists the files (``.csv`` in the folder, or
    resources of its ``datapackage.json``) not read; ``skipped_columns`` maps a file read to its columns not read
    (a file with no rows reports none).
    """

    read: dict[str, int] = field(default_factory=dict)
    skipped_tables: list[str] = field(default_factory=list)
    skipped_columns: dict[str, list[str]] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        """One sentence per table or column left out, e.g. ``"contacts.csv: table not read."``."""
        lines = [f"{name}: table not read." for name in self.skipped_tables]
        for name, columns in self.skipped_columns.items():
            if columns:
                lines.append(f"{name}: columns not read: {', '.join(columns)}.")
        return lines


# ---------------------------------------------------------------------------------------------- CSV tables
_ALIASES: dict[str, tuple[str, ...]] = {
    "organisations": ("organization", "organizations", "organisation", "organisations"),
    "services": ("service", "services"),
    "locations": ("location", "locations"),
    "addresses": ("address", "addresses", "physical_address", "physical_addresses"),
    "service_at_locations": ("service_at_location", "service_at_locations"),
    "schedules": ("schedule", "schedules", "regular_schedule", "regular_schedules"),
    "eligibility": ("eligibility", "eligibilities", "eligibilitys"),
    "taxonomy_terms": ("taxonomy_term", "taxonomy_terms"),
    "taxonomies": ("taxonomy", "taxonomies"),
    "service_taxonomies": ("service_taxonomy", "service_taxonomies", "service_taxonomys"),
    "attributes": ("attribute", "attributes"),
}
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class _Table:
    """One CSV table: text cells (``""`` when blank), lower-case column names, and where each row came from."""

    def __init__(self, path: Path, frame: pd.DataFrame | None = None) -> None:
        self.path = path
        self.name = path.name
        if frame is None:
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            except pd.errors.EmptyDataError:
                frame = pd.DataFrame()
            except (pd.errors.ParserError, UnicodeDecodeError) as error:
                raise DirectoryError(f"{path}: cannot read this CSV table ({error}); save it as UTF-8 CSV.") from error
            frame = frame.map(_unneutralise) if len(frame) else frame
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        self.frame = frame
        self.used: set[str] = set()
        self.rows: list[dict[str, str]] = [_Row(r, self.used) for r in frame.to_dict("records")]

    def unused(self) -> list[str]:
        """The columns no row was asked for (none when the table has no rows)."""
        return [c for c in self.frame.columns if c not in self.used] if self.rows else []

    def where(self, index: int) -> str:
        """``"services.csv row 3"`` (rows counted from 1 under the header, which is line 1)."""
        return f"{self.name} row {index + 1}"

    def require(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            hints = "".join(suggest(c, self.frame.columns) for c in missing)
            raise DirectoryError(
                f"{self.path}: no column {', '.join(repr(c) for c in missing)} "
                f"(columns: {', '.join(self.frame.columns)}).{hints}"
            )

    def has(self, column: str) -> bool:
        return column in self.frame.columns


class _Row(dict[str, Any]):
    """A row that notes each column asked for (so the columns never read can be reported)."""

    def __init__(self, values: dict[str, Any], used: set[str]) -> None:
        super().__init__(values)
        self._used = used

    def __getitem__(self, key: str) -> Any:
        self._used.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._used.add(key)
        return super().get(key, default)


def _unneutralise(value: Any) -> Any:
    """Undo :func:`circles.io.writers.neutralise_formulas` (``"'=x"`` -> ``"=x"``) so exports read back unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in _TRIGGERS:
        return value[1:]
    return value


def _table_of(name: str) -> str | None:
    """The internal table of a file stem or resource name (``"addresses"`` -> ``"addresses"``), or None."""
    return next((table for table, names in _ALIASES.items() if name.lower() in names), None)


def _from_descriptor(folder: Path, descriptor: Path) -> tuple[dict[str, Path], list[str]]:
    """The file of each table named by the resources of ``datapackage.json``, and the resources not read."""
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8-sig"))
        resources = package["resources"]
        named = [(str(r["name"]), r.get("path")) for r in resources]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise DirectoryError(
            f"{descriptor}: not a data package descriptor ({error!r}); fix it, or delete it to read the tables "
            "by their file names."
        ) from error
    paths: dict[str, Path] = {}
    skipped: list[str] = []
    for name, path in named:
        table = _table_of(name)
        if not isinstance(path, str) or Path(path).is_absolute() or ".." in Path(path).parts:
            raise DirectoryError(
                f"{descriptor}, resource {name!r}: path {path!r} is not a file in this folder; give its file name."
            )
        if table is None:
            skipped.append(path)
        elif not (folder / path).is_file():
            raise DirectoryError(f"{descriptor}, resource {name!r}: its file {path!r} is not in {folder}.")
        elif table in paths:
            raise DirectoryError(f"{descriptor}: resources {paths[table].name} and {path} are the same table.")
        else:
            paths[table] = folder / path
    return paths, skipped


def _find_tables(folder: Path) -> tuple[dict[str, _Table], list[str]]:
    """The tables of ``folder`` (by ``datapackage.json`` when present, else by file name) and the files not read."""
    if not folder.is_dir():
        raise DirectoryError(f"{folder}: no such folder of service directory tables.")
    csvs = [p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".csv"]
    if (folder / "datapackage.json").is_file():
        paths, skipped = _from_descriptor(folder, folder / "datapackage.json")
        named = {p.name for p in paths.values()} | set(skipped)
        skipped += [p.name for p in csvs if p.name not in named]
    else:
        files = {p.stem.lower(): p for p in csvs}
        paths = {}
        for table, names in _ALIASES.items():
            present = [files[n] for n in names if n in files]
            if len(present) > 1:
                raise DirectoryError(
                    f"{folder}: tables {', '.join(p.name for p in present)} are the same table; keep one of them, "
                    "or add a datapackage.json saying which file is which table."
                )
            if present:
                paths[table] = present[0]
        skipped = [p.name for p in csvs if p not in paths.values()]
    if "services" not in paths:
        hint = suggest("services", [p.stem for p in csvs])
        raise DirectoryError(
            f"{folder}: no services table (service.csv or services.csv); "
            f"found {', '.join(p.name for p in csvs) or 'no CSV files'}." + hint
        )
    return {table: _Table(path) for table, path in paths.items()}, skipped


def _get(row: dict[str, str], *columns: str) -> str:
    """The first non-blank value among ``columns``."""
    for column in columns:
        value = _text(row.get(column))
        if value:
            return value
    return ""


def _import_tables(
    folder: str | Path, standard: str, codebook: Codebook | str | Path | None
) -> tuple[ServiceDirectory, ImportReport]:
    """Read the Open Referral tables of ``folder`` (either standard) into a checked directory, and a report."""
    folder = Path(folder)
    tables, skipped = _find_tables(folder)
    directory = _read_all(tables, f"{folder} ({standard})", codebook)
    report = ImportReport(
        read={t.name: len(t.rows) for t in tables.values()},
        skipped_tables=skipped,
        skipped_columns={t.name: t.unused() for t in tables.values()},
    )
    return directory, report


def _read_all(tables: dict[str, _Table], source: str, codebook: Codebook | str | Path | None) -> ServiceDirectory:
    """The checked directory of these tables (CSV files or HSDS JSON); ``source`` names them in errors."""
    problems = _Problems(source)
    out = _Rows()
    _read_organisations(tables, out)
    service_ids = _read_services(tables["services"], out)
    _read_locations(tables, out)
    at_location = _read_service_locations(tables, out)
    if "schedules" in tables:
        _read_schedules(tables["schedules"], at_location, out, problems)
    _read_eligibility(tables, out)
    terms = _read_terms(tables)
    _read_tags(tables, terms, service_ids, out, problems)
    out.columns["needs"]["code_id"] = "column 'code' (or 'name') of the taxonomy term"
    problems.check()
    _restore_ids(tables, terms, out)
    return validate_directory(out.directory("column"), codebook)


def _restore_ids(tables: dict[str, _Table], terms: dict[str, tuple[str, str, str]], out: _Rows) -> None:
    """Put back the source ids kept as ``circles source id`` terms, and blank what an export wrote as placeholders."""
    source: dict[str, str] = {}
    if "attributes" in tables:
        for row in tables["attributes"].rows:
            scheme, name, _ = terms.get(_text(row.get("taxonomy_term_id")), ("", "", ""))
            if scheme == _SOURCE_SCHEME:
                source[_text(row.get("link_id"))] = name
    kept = [(r, w) for r, w in zip(out.rows["organisations"], out.where["organisations"], strict=True)]
    kept = [(r, w) for r, w in kept if _text(r["id"]) != PLACEHOLDER_ORGANISATION]
    out.rows["organisations"], out.where["organisations"] = [r for r, _ in kept], [w for _, w in kept]
    for rows in out.rows.values():
        for row in rows:
            for column in ("id", "service_id", "organisation_id", "location_id"):
                value = _text(row.get(column))
                if column == "organisation_id" and value == PLACEHOLDER_ORGANISATION:
                    row[column] = ""
                elif value in source:
                    row[column] = source[value]
            if _text(row.get("description")) == NOT_RECORDED:
                row["description"] = ""


def import_directory_report(
    folder: str | Path,
    *,
    standard: Literal["hsds", "open_referral"] = "hsds",
    codebook: Codebook | str | Path | None = None,
) -> tuple[ServiceDirectory, ImportReport]:
    """Import an HSDS 3.0 or Open Referral UK v1 folder as :func:`~circles.challenge.hsds.import_hsds` or
    :func:`import_open_referral` do, with an :class:`ImportReport` of the files and columns read and left out.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = pathlib.Path(folder)
    ...     _ = (root / "services.csv").write_text("id,name,fax\\ns1,Drop-in,0123\\n")
    ...     _ = (root / "contacts.csv").write_text("id,name\\nc1,Ann\\n")
    ...     d, report = import_directory_report(root)
    >>> report.read, report.skipped_tables, report.skipped_columns
    ({'services.csv': 1}, ['contacts.csv'], {'services.csv': ['fax']})
    """
    if standard not in ("hsds", "open_referral"):
        raise DirectoryError(f"standard {standard!r} is not 'hsds' or 'open_referral'.")
    name = "HSDS 3.0" if standard == "hsds" else "Open Referral UK v1"
    return _import_tables(folder, name, codebook)


def _read_organisations(tables: dict[str, _Table], out: _Rows) -> None:
    if "organisations" in tables:
        table = tables["organisations"]
        table.require("id", "name")
        for i, row in enumerate(table.rows):
            out.put("organisations", table.where(i), id=row["id"], name=row["name"], description=row.get("description"))


def _read_services(table: _Table, out: _Rows) -> set[str]:
    """The services (with HSDS ``eligibility_description``, one eligibility a line); return their ids."""
    table.require("id", "name")
    org_column = next((c for c in ("organization_id", "organisation_id") if table.has(c)), "organization_id")
    out.columns["services"]["organisation_id"] = f"column {org_column!r}"
    for i, row in enumerate(table.rows):
        out.put(
            "services",
            table.where(i),
            id=row["id"],
            organisation_id=row.get(org_column),
            name=row["name"],
            description=row.get("description"),
            status=row.get("status", "").lower(),
        )
        for line in _text(row.get("eligibility_description")).splitlines():
            if line.strip():
                out.put("eligibility", table.where(i), service_id=row["id"], text=line)
    out.columns["eligibility"]["text"] = "column 'eligibility_description'"
    return {_text(r["id"]) for r in out.rows["services"]}


def _read_locations(tables: dict[str, _Table], out: _Rows) -> None:
    """Locations, with the postcode of their physical address (ORUK ``physical_addresses``, HSDS ``address``)."""
    postcodes: dict[str, str] = {}
    if "addresses" in tables:
        table = tables["addresses"]
        table.require("location_id")
        for row in table.rows:
            kind = _text(row.get("address_type")).lower()
            code = _get(row, "postal_code", "postcode")
            if code and kind in ("", "physical") and _text(row["location_id"]) not in postcodes:
                postcodes[_text(row["location_id"])] = code
    if "locations" in tables:
        table = tables["locations"]
        table.require("id")
        for i, row in enumerate(table.rows):
            code = _get(row, "postcode", "postal_code") or postcodes.get(_text(row["id"]), "")
            out.put("locations", table.where(i), id=row["id"], name=row.get("name"), postcode=code)


def _read_service_locations(tables: dict[str, _Table], out: _Rows) -> dict[str, str]:
    """Services at locations; return the service of each ``service_at_location`` id."""
    at_location: dict[str, str] = {}
    if "service_at_locations" in tables:
        table = tables["service_at_locations"]
        table.require("service_id", "location_id")
        for i, row in enumerate(table.rows):
            at_location[_text(row.get("id"))] = _text(row["service_id"])
            out.put("service_locations", table.where(i), service_id=row["service_id"], location_id=row["location_id"])
    return at_location


def _read_schedules(table: _Table, at_location: dict[str, str], out: _Rows, problems: _Problems) -> None:
    """Opening hours of services, each schedule's recurrence rule kept; hours of locations and organisations are
    left out.

    ``freq`` (blank, ``WEEKLY``, ``DAILY``, ``MONTHLY``; another is left out with a warning), ``interval``,
    ``byday`` (or ORUK ``weekday``), ``bymonthday``, ``byweekno``, ``dtstart``, ``until``, ``count``,
    ``valid_from`` and ``valid_to`` go into the tidy rule columns (:func:`circles.challenge.schedules.rule_rows`).
    """
    table.require("opens_at", "closes_at")
    for i, row in enumerate(table.rows):
        at = table.where(i)
        opens_text, closes_text = _text(row.get("opens_at")), _text(row.get("closes_at"))
        service_id = _text(row.get("service_id"))
        if not service_id and _text(row.get("service_at_location_id")):
            link = _text(row.get("service_at_location_id"))
            if link not in at_location:
                problems.add(f"{at}, column 'service_at_location_id': {link!r} is not in service_at_location.")
                continue
            service_id = at_location[link]
        if not service_id:
            continue  # the hours of a location or organisation, not of a service
        if not opens_text and not closes_text:
            continue  # hours given only as free text (description), e.g. "by appointment"
        freq = _text(row.get("freq")).upper() or "WEEKLY"
        if freq not in FREQS:
            # stacklevel: here, _import_tables, import_hsds / import_open_referral, then the caller's line
            warnings.warn(f"{at}: schedule with freq {freq!r} is not weekly, daily or monthly; left out.", stacklevel=4)
            continue
        opens = _time_or_problem(opens_text, False, problems, f"{at}, column 'opens_at'")
        closes = _time_or_problem(closes_text, True, problems, f"{at}, column 'closes_at'")
        days = _schedule_days(row, freq, at, problems)
        parts = _schedule_parts(row, at, problems)
        if opens is None or closes is None or days is None or parts is None:
            continue
        try:
            rules = rule_rows(opens, closes, days=days, freq=freq, **parts)
        except _Overnight as error:
            warnings.warn(f"{at}: {error}; left out.", stacklevel=4)
            continue
        except ValueError as error:
            problems.add(f"{at}, column 'closes_at': {error}.")
            continue
        for rule in rules:
            out.put("schedules", at, service_id=service_id, **rule)


def _schedule_days(row: dict[str, str], freq: str, at: str, problems: _Problems) -> list[tuple[int, int]] | None:
    """The ``(ordinal, weekday)`` days of a schedule row (``byday``, else ORUK ``weekday``); ``None`` on a problem."""
    column = "byday" if _text(row.get("byday")) else "weekday"
    value = _text(row.get(column))
    try:
        if any(c.isdigit() for c in value) and column == "byday":
            return _parse_byday(value)  # ordinals: 1MO, -1FR
        if value:
            return [(0, day) for day in _parse_days(value)]
    except ValueError as error:
        problems.add(f"{at}, column {column!r}: {error}.")
        return None
    if freq == "WEEKLY" and not _text(row.get("dtstart")) and not _text(row.get("bymonthday")):
        problems.add(f"{at}, column 'byday': no day given; write the days, e.g. 'MO,WE'.")
        return None
    return []


def _schedule_parts(row: dict[str, str], at: str, problems: _Problems) -> dict[str, Any] | None:
    """``interval, count, bymonthday, byweekno`` and the dates of a schedule row, checked; ``None`` on a problem."""
    parts: dict[str, Any] = {}
    found = len(problems.items)
    for column, default in (("interval", 1), ("count", 0)):
        text = _text(row.get(column))
        try:
            number = float(text) if text else default
        except ValueError:
            number = float("nan")
        if number != number or not float(number).is_integer() or (number < 1 and text):
            problems.add(f"{at}, column {column!r}: {text!r} is not a whole number of at least 1.")
        else:
            parts[column] = int(number)
    for column, limit, what in (("bymonthday", 31, "day of the month"), ("byweekno", 53, "week of the year")):
        try:
            parts[column] = ",".join(str(n) for n in _parse_numbers(row.get(column), limit, what))
        except ValueError as error:
            problems.add(f"{at}, column {column!r}: {error}.")
    for column in ("dtstart", "until", "valid_from", "valid_to"):
        try:
            parts[column] = _parse_date(row.get(column))
        except ValueError as error:
            problems.add(f"{at}, column {column!r}: {error}.")
    return parts if len(problems.items) == found else None


def _read_eligibility(tables: dict[str, _Table], out: _Rows) -> None:
    """The ORUK v1 eligibility table (the UK profile keeps it)."""
    if "eligibility" in tables:
        table = tables["eligibility"]
        table.require("service_id")
        text_column = next((c for c in ("eligibility", "text", "description") if table.has(c)), "eligibility")
        table.require(text_column)
        out.columns["eligibility"]["text"] = f"column {text_column!r}"
        for i, row in enumerate(table.rows):
            out.put("eligibility", table.where(i), service_id=row["service_id"], text=row[text_column])


def _read_terms(tables: dict[str, _Table]) -> dict[str, tuple[str, str, str]]:
    """Taxonomy terms by id: ``(scheme, term, where)``.

    From HSDS 3.0 ``taxonomy_term`` (with ``taxonomy`` = vocabularies), or ORUK v1 ``taxonomies`` (= terms).
    """
    terms: dict[str, tuple[str, str, str]] = {}  # term id -> (scheme, term, where)
    vocabularies: dict[str, str] = {}
    term_table = tables.get("taxonomy_terms")
    if term_table is not None and "taxonomies" in tables:
        vocab = tables["taxonomies"]
        vocab.require("id", "name")
        vocabularies = {_text(r["id"]): _text(r["name"]) for r in vocab.rows}
    elif term_table is None:
        term_table = tables.get("taxonomies")
    if term_table is not None:
        term_table.require("id")
        for i, row in enumerate(term_table.rows):
            scheme = _get(row, "taxonomy", "vocabulary") or vocabularies.get(_text(row.get("taxonomy_id")), "")
            name = _get(row, "code", "name") if scheme.lower() == _VOCABULARY else _get(row, "name", "code")
            terms[_text(row["id"])] = (scheme, name, term_table.where(i))
    return terms


def _read_tags(
    tables: dict[str, _Table],
    terms: dict[str, tuple[str, str, str]],
    service_ids: set[str],
    out: _Rows,
    problems: _Problems,
) -> None:
    """Services tagged with terms (ORUK v1 ``service_taxonomies``, HSDS 3.0 ``attribute``): codes met, or taxonomy."""

    def tag(service_id: str, term_id: str, at: str, column: str) -> None:
        if term_id not in terms:
            hint = suggest(term_id, terms)
            problems.add(f"{at}, column {column!r}: taxonomy term {term_id!r} is not in the taxonomy terms.{hint}")
            return
        scheme, name, term_at = terms[term_id]
        if scheme == _SOURCE_SCHEME:
            return  # the source id of an exported record (see _restore_ids)
        if scheme == _ELIGIBILITY_SCHEME:
            out.put("eligibility", f"{at} -> {term_at}", service_id=service_id, text=name)
        elif scheme.lower() == _VOCABULARY:
            out.put("needs", f"{at} -> {term_at}", service_id=service_id, code_id=name)
        else:
            out.put("taxonomy", f"{at} -> {term_at}", service_id=service_id, scheme=scheme, term=name)

    if "service_taxonomies" in tables:
        table = tables["service_taxonomies"]
        table.require("service_id", "taxonomy_id")
        for i, row in enumerate(table.rows):
            tag(_text(row["service_id"]), _text(row["taxonomy_id"]), table.where(i), "taxonomy_id")
    if "attributes" in tables:
        table = tables["attributes"]
        table.require("link_id")
        for i, row in enumerate(table.rows):
            entity = _get(row, "link_entity").lower()
            link = _text(row["link_id"])
            if (entity and entity not in ("service", "services")) or link not in service_ids:
                continue  # an attribute of an organisation, location or other record
            if _text(row.get("taxonomy_term_id")):
                tag(link, _text(row["taxonomy_term_id"]), table.where(i), "taxonomy_term_id")
            elif _text(row.get("label")).lower() == _VOCABULARY and _text(row.get("value")):
                out.put("needs", table.where(i), service_id=link, code_id=row["value"])


def import_open_referral(folder: str | Path, *, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Import Open Referral UK v1 CSV tables from a folder.

    Reads ``organizations``, ``services`` (required), ``locations`` with ``physical_addresses`` (postcode from
    ``postal_code``), ``service_at_locations``, ``regular_schedules`` (``byday`` iCalendar codes such as
    ``MO,TU``, or ``weekday`` 1 Monday … 7 Sunday; ``freq`` blank, ``WEEKLY`` or ``DAILY``; rows linked by
    ``service_at_location_id`` are attributed to that service; location-only rows are left out),
    ``eligibilitys``/``eligibility`` (``eligibility`` column), ``taxonomies`` (``vocabulary``) and
    ``service_taxonomys``/``service_taxonomies``. Table names may be singular or plural; absent tables are empty;
    other tables and columns are ignored. Terms of the ``circles`` vocabulary become ``needs``.

    Parameters
    ----------
    folder : path-like
        The folder of ``.csv`` files.
    codebook : Codebook or path, optional
        When given, every code met must be in it.

    Returns
    -------
    ServiceDirectory

    Raises
    ------
    DirectoryError
        Naming the file, the row (counted from 1 under the header) and the column of each problem.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = pathlib.Path(folder)
    ...     _ = (root / "services.csv").write_text("id,name,status\\ns1,Drop-in,active\\n")
    ...     _ = (root / "regular_schedules.csv").write_text(
    ...         "id,service_id,byday,opens_at,closes_at\\nr1,s1,\\"MO,WE\\",09:30:00,12:00:00\\n")
    ...     d = import_open_referral(root)
    >>> d.schedules.iloc[:, :4].values.tolist()  # service_id, weekday, opens_at, closes_at
    [['s1', 0, '09:30', '12:00'], ['s1', 2, '09:30', '12:00']]
    """
    return _import_tables(folder, "Open Referral UK v1", codebook)[0]
