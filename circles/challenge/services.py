"""Service directories for the Challenge stage: which services meet the needs found in the workshops, and when.

A :class:`ServiceDirectory` holds tidy tables (one :class:`pandas.DataFrame` each):

=================  ===========================================================================================
table              columns
=================  ===========================================================================================
``organisations``  ``id, name, description``
``services``       ``id, organisation_id, name, description, status`` (``active``, ``inactive``, ``defunct``,
                   ``temporarily closed``; a blank status counts as active)
``locations``      ``id, name, postcode``
``service_locations``  ``service_id, location_id`` (where a service is delivered)
``schedules``      ``service_id, weekday`` (0 Monday … 6 Sunday), ``opens_at, closes_at`` (``"HH:MM"``,
                   ``opens_at < closes_at``; ``"24:00"`` is the end of the day, so 24/7 is seven rows of
                   ``00:00``–``24:00``; an overnight session is two rows, split at midnight)
``eligibility``    ``service_id, text``
``taxonomy``       ``service_id, scheme, term`` (e.g. ``("LGA services", "Alcohol misuse")``)
``needs``          ``service_id, code_id`` (the codebook codes a service meets, of any dimension)
=================  ===========================================================================================

Text cells are ``str`` (``""`` when blank), in object columns; ``weekday`` is ``int64``. Link tables
(``service_locations``, ``schedules``, ``eligibility``, ``taxonomy``, ``needs``) are kept sorted so that two
directories holding the same facts compare equal with :meth:`ServiceDirectory.equals`.

Sources
-------
:func:`read_services_yaml`
    A hand-written directory (see ``pipelines/demo_services.yaml``).
:func:`import_open_referral`
    Open Referral UK v1 CSV tables (``organizations``, ``services``, ``locations``, ``physical_addresses``,
    ``service_at_locations``, ``regular_schedules``, ``eligibilitys``/``eligibility``, ``taxonomies``,
    ``service_taxonomys``/``service_taxonomies``; other tables such as ``contacts`` are ignored).
:func:`import_hsds`
    HSDS 3.0 / Open Referral UK 3.0 CSV packages (``organization``, ``service``, ``location``, ``address``,
    ``service_at_location``, ``schedule``, ``taxonomy``, ``taxonomy_term``, ``attribute``; table names singular
    or plural). :func:`export_hsds` writes one, with a Frictionless ``datapackage.json``.

In both standards a service meets a code when it is tagged with a taxonomy term whose vocabulary (ORUK
``taxonomies.vocabulary``; HSDS ``taxonomy_term.taxonomy`` or the name of its ``taxonomy``) is ``circles``
(any case); the term's ``code`` (or, when blank, its ``name``) is the code id. HSDS ``attribute`` rows with
``label`` ``circles`` and the code id in ``value`` also count.

Analysis (pure functions): :func:`hours_table`, :func:`needs_met`, :func:`need_coverage`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from circles.errors import CirclesError
from circles.io.writers import atomic_path, write_csv
from circles.qualitative.model import Codebook
from circles.validation import suggest

__all__ = [
    "DirectoryError",
    "ServiceDirectory",
    "TABLES",
    "WEEKDAYS",
    "read_services_yaml",
    "import_open_referral",
    "import_hsds",
    "export_hsds",
    "validate_directory",
    "hours_table",
    "needs_met",
    "need_coverage",
]


class DirectoryError(CirclesError):
    """A service directory (YAML, Open Referral UK or HSDS tables) is invalid: bad time, missing key, unknown id."""


#: Tidy table -> its columns. ``weekday`` is the only integer column.
TABLES: dict[str, tuple[str, ...]] = {
    "organisations": ("id", "name", "description"),
    "services": ("id", "organisation_id", "name", "description", "status"),
    "locations": ("id", "name", "postcode"),
    "service_locations": ("service_id", "location_id"),
    "schedules": ("service_id", "weekday", "opens_at", "closes_at"),
    "eligibility": ("service_id", "text"),
    "taxonomy": ("service_id", "scheme", "term"),
    "needs": ("service_id", "code_id"),
}
_SORTED = {"service_locations", "schedules", "eligibility", "taxonomy", "needs"}
#: iCalendar day codes, Monday first (index = ``weekday``).
WEEKDAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = {
    **{code: i for i, code in enumerate(WEEKDAYS)},
    **{name: i for i, name in enumerate(("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"))},
    **{
        name: i for i, name in enumerate(("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"))
    },
    "TUES": 1,
    "WEDS": 2,
    "THUR": 3,
    "THURS": 3,
}
_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
_VOCABULARY = "circles"
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$")


def _empty(table: str) -> pd.DataFrame:
    return _tidy(pd.DataFrame(columns=list(TABLES[table])), table)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _tidy(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Columns in order, text as ``str`` in object columns, link tables sorted and de-duplicated."""
    columns = TABLES[table]
    out = pd.DataFrame(index=range(len(frame)))
    for column in columns:
        values = frame[column].tolist() if column in frame.columns else [""] * len(frame)
        if column == "weekday":
            out[column] = pd.Series([int(v) for v in values], dtype="int64")
        else:
            out[column] = pd.Series([_text(v) for v in values], dtype=object)
    if table in _SORTED and len(out):
        out = out.drop_duplicates().sort_values(list(columns), kind="stable").reset_index(drop=True)
    return out


@dataclass(eq=False)
class ServiceDirectory:
    """Organisations, services, locations, opening hours, eligibility, taxonomy terms and codes met.

    Build one with :func:`read_services_yaml`, :func:`import_open_referral`, :func:`import_hsds` or directly;
    the constructor tidies every table (see the module docstring). ``where`` maps a table to the origin of
    each row (``"services.csv row 3"``) for error messages; it is not compared by :meth:`equals`.

    Examples
    --------
    >>> import pandas as pd
    >>> d = ServiceDirectory(
    ...     services=pd.DataFrame({"id": ["s1"], "name": ["Drop-in"]}),
    ...     schedules=pd.DataFrame({"service_id": ["s1"], "weekday": [0], "opens_at": ["09:00"],
    ...                             "closes_at": ["17:00"]}),
    ... )
    >>> d.services.loc[0, "status"], list(d.schedules.columns)
    ('', ['service_id', 'weekday', 'opens_at', 'closes_at'])
    >>> d.equals(ServiceDirectory(services=d.services, schedules=d.schedules))
    True
    """

    organisations: pd.DataFrame = field(default_factory=lambda: _empty("organisations"))
    services: pd.DataFrame = field(default_factory=lambda: _empty("services"))
    locations: pd.DataFrame = field(default_factory=lambda: _empty("locations"))
    service_locations: pd.DataFrame = field(default_factory=lambda: _empty("service_locations"))
    schedules: pd.DataFrame = field(default_factory=lambda: _empty("schedules"))
    eligibility: pd.DataFrame = field(default_factory=lambda: _empty("eligibility"))
    taxonomy: pd.DataFrame = field(default_factory=lambda: _empty("taxonomy"))
    needs: pd.DataFrame = field(default_factory=lambda: _empty("needs"))
    where: dict[str, list[str]] = field(default_factory=dict, repr=False)

    columns: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for table in TABLES:
            frame = getattr(self, table)
            origins = self.where.get(table)
            if table in _SORTED and origins is not None and len(origins) == len(frame):
                self.where[table] = _sorted_origin(frame, origins, table)
            setattr(self, table, _tidy(frame, table))

    def equals(self, other: ServiceDirectory) -> bool:
        """True when every table holds the same rows in the same order, with the same types."""
        return all(getattr(self, t).equals(getattr(other, t)) for t in TABLES)

    def locate(self, table: str, row: int) -> str:
        """Where row ``row`` (0-based) of ``table`` came from, e.g. ``"services.csv row 3"``."""
        origins = self.where.get(table)
        if origins is not None and len(origins) == len(getattr(self, table)) and row < len(origins):
            return origins[row]  # (a table replaced by one of another length loses its origins)
        return f"{table} row {row + 1}"

    def label(self, table: str, column: str) -> str:
        """How the source names a tidy column, e.g. ``"column 'organization_id'"`` or ``"key 'organisation'"``."""
        return self.columns.get(table, {}).get(column, f"column {column!r}")


def _sorted_origin(frame: pd.DataFrame, origins: list[str], table: str) -> list[str]:
    """The origin of each row of ``_tidy(frame, table)``, in its order (the first origin of a duplicate)."""
    columns = TABLES[table]
    keys = [
        tuple((int(row[c]) if c == "weekday" else _text(row[c])) if c in frame.columns else "" for c in columns)
        for _, row in frame.iterrows()
    ]
    first: dict[tuple[Any, ...], str] = {}
    for key, where in zip(keys, origins, strict=True):
        first.setdefault(key, where)
    return [first[key] for key in _tidy(frame, table).itertuples(index=False, name=None)]


# ---------------------------------------------------------------------------------------------- shared helpers
class _Problems:
    """Collects every problem of a source, then raises one :class:`DirectoryError` listing them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def check(self) -> None:
        if not self.items:
            return
        shown = self.items[:25]
        more = f"\n  ... and {len(self.items) - 25} more" if len(self.items) > 25 else ""
        noun = "problem" if len(self.items) == 1 else "problems"
        raise DirectoryError(f"{self.source}: {len(self.items)} {noun}:\n  - " + "\n  - ".join(shown) + more)


def _parse_time(value: Any, *, closing: bool) -> str:
    """``"9:00"``, ``"09:00:00"``, ``"09:00:00Z"`` -> ``"09:00"``; a closing ``"23:59"`` -> ``"24:00"``.

    Raises ``ValueError`` with a reason when the value is not a time of day.
    """
    text = _text(value)
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day; write it as HH:MM, e.g. '09:00' or '17:30'")
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = int(match.group(3) or 0)
    if hours > 24 or minutes > 59 or seconds > 59 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"{text!r} is not a time of day (hours 00-24, minutes 00-59; '24:00' is midnight)")
    if closing and (hours, minutes) == (23, 59):
        return "24:00"
    return f"{hours:02d}:{minutes:02d}"


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


def _intervals(days: Iterable[int], opens: str, closes: str) -> list[tuple[int, str, str]]:
    """Rows ``(weekday, opens_at, closes_at)`` for one session on ``days``, split at midnight when overnight.

    ``closes == "00:00"`` means midnight at the end of the day; ``"00:00"``-``"00:00"`` is the whole day.
    Raises ``ValueError`` when the session is empty.
    """
    if closes == "00:00":
        closes = "24:00"
    if opens == "24:00":
        raise ValueError("a session cannot open at '24:00'; write '00:00'")
    if opens == closes:
        raise ValueError(f"opens and closes at the same time ({opens})")
    rows: list[tuple[int, str, str]] = []
    for day in days:
        if opens < closes:
            rows.append((day, opens, closes))
        else:  # overnight: until midnight, then from midnight on the next day
            rows.append((day, opens, "24:00"))
            if closes != "00:00":
                rows.append(((day + 1) % 7, "00:00", closes))
    return rows


def _parse_days(value: Any) -> list[int]:
    """``"MO,TU"``, ``"Mon-Fri"``, ``["Sat", "Sun"]``, ``"weekdays"``, ``"daily"``, ``1`` (ISO: 1 Monday) -> weekdays.

    Raises ``ValueError`` naming the bad day.
    """
    if isinstance(value, list):
        items: list[Any] = value
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        items = re.split(r"[,;\s]+", _text(value))
    days: list[int] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if not 1 <= item <= 7:
                raise ValueError(f"day {item} is not 1 (Monday) to 7 (Sunday)")
            days.append(item - 1)
            continue
        word = _text(item).upper()
        if not word:
            continue
        if word.isdigit():
            days.extend(_parse_days(int(word)))
        elif word in ("DAILY", "EVERYDAY", "ALL", "24/7"):
            days.extend(range(7))
        elif word in ("WEEKDAYS", "WEEKDAY"):
            days.extend(range(5))
        elif word in ("WEEKENDS", "WEEKEND"):
            days.extend((5, 6))
        elif "-" in word:
            first, _, last = word.partition("-")
            if first not in _DAY_NAMES or last not in _DAY_NAMES:
                raise ValueError(f"{_text(item)!r} is not a range of days such as 'Mon-Fri'")
            start, end = _DAY_NAMES[first], _DAY_NAMES[last]
            days.extend((start + k) % 7 for k in range((end - start) % 7 + 1))
        elif word in _DAY_NAMES:
            days.append(_DAY_NAMES[word])
        else:
            hint = suggest(word.title(), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "weekdays", "daily"])
            raise ValueError(f"{_text(item)!r} is not a day (MO..SU, Mon..Sun, Mon-Fri, weekdays, daily).{hint}")
    if not days:
        raise ValueError("no day given")
    return sorted(set(days))


def _codebook(codebook: Codebook | str | Path) -> Codebook:
    if isinstance(codebook, Codebook):
        return codebook
    from circles.qualitative.codebook import read_codebook

    return read_codebook(codebook)


# ---------------------------------------------------------------------------------------------- validation
def validate_directory(directory: ServiceDirectory, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Check ids, links, times and (given a codebook) code ids; return the directory or raise one error.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory to check.
    codebook : Codebook or path, optional
        When given, every ``needs.code_id`` must be one of its codes.

    Returns
    -------
    ServiceDirectory
        ``directory`` itself.

    Raises
    ------
    DirectoryError
        Listing every problem with the file and row (or YAML line) and the column (or key).

    Examples
    --------
    >>> import pandas as pd
    >>> d = ServiceDirectory(services=pd.DataFrame({"id": ["s1"], "name": ["Drop-in"], "organisation_id": ["o9"]}))
    >>> validate_directory(d)
    Traceback (most recent call last):
    ...
    circles.challenge.services.DirectoryError: service directory: 1 problem:
      - services row 1, column 'organisation_id': organisation 'o9' is not in the organisations.
    """
    problems = _Problems("service directory")

    def add(table: str, row: int, column: str, message: str) -> None:
        problems.add(f"{directory.locate(table, row)}, {directory.label(table, column)}: {message}")

    ids: dict[str, set[str]] = {}
    for table, noun in (("organisations", "organisation"), ("services", "service"), ("locations", "location")):
        frame = getattr(directory, table)
        seen: dict[str, int] = {}
        for i, value in enumerate(frame["id"].tolist()):
            if not value:
                add(table, i, "id", f"the {noun} has no id.")
            elif value in seen:
                add(table, i, "id", f"{noun} id {value!r} is used twice (also {directory.locate(table, seen[value])}).")
            else:
                seen[value] = i
        ids[table] = set(seen)
    services = directory.services
    described = zip(services["name"], services["organisation_id"], services["status"], strict=True)
    for i, (name, org, status) in enumerate(described):
        if not name:
            add("services", i, "name", "the service has no name.")
        if org and org not in ids["organisations"]:
            hint = suggest(org, ids["organisations"])
            add("services", i, "organisation_id", f"organisation {org!r} is not in the organisations.{hint}")
        if status and status.lower() not in _STATUSES:
            add("services", i, "status", f"status {status!r} is not one of {', '.join(_STATUSES)}.")
    for table in ("service_locations", "schedules", "eligibility", "taxonomy", "needs"):
        frame = getattr(directory, table)
        for i, service_id in enumerate(frame["service_id"].tolist()):
            if service_id not in ids["services"]:
                hint = suggest(service_id, ids["services"])
                add(table, i, "service_id", f"service {service_id!r} is not in the services.{hint}")
    for i, location_id in enumerate(directory.service_locations["location_id"].tolist()):
        if location_id not in ids["locations"]:
            hint = suggest(location_id, ids["locations"])
            add("service_locations", i, "location_id", f"location {location_id!r} is not in the locations.{hint}")
    schedules = directory.schedules
    times = zip(schedules["weekday"], schedules["opens_at"], schedules["closes_at"], strict=True)
    for i, (day, opens, closes) in enumerate(times):
        if not 0 <= day <= 6:
            add("schedules", i, "weekday", f"weekday {day} is not 0 (Monday) to 6 (Sunday).")
        good = True
        for column, value in (("opens_at", opens), ("closes_at", closes)):
            if not re.fullmatch(r"\d\d:\d\d", value) or _parse_time(value, closing=False) != value:
                add("schedules", i, column, f"{value!r} is not a time HH:MM between 00:00 and 24:00.")
                good = False
        if good and not opens < closes:
            add("schedules", i, "closes_at", f"closes at {closes}, not after it opens at {opens}.")
    book = _codebook(codebook) if codebook is not None else None
    for i, code in enumerate(directory.needs["code_id"].tolist()):
        if not code:
            add("needs", i, "code_id", "no code id.")
        elif book is not None and code not in book:
            hint = suggest(code, book.ids)
            add("needs", i, "code_id", f"code {code!r} is not in the codebook {book.name!r}.{hint}")
    problems.check()
    return directory


def _time_or_problem(value: Any, closing: bool, problems: _Problems, where: str) -> str | None:
    try:
        return _parse_time(value, closing=closing)
    except ValueError as error:
        problems.add(f"{where}: {error}.")
        return None


# ---------------------------------------------------------------------------------------------- YAML
_INT = "tag:yaml.org,2002:int"


class _Loader(yaml.SafeLoader):
    """Safe YAML with ``__line__`` in every mapping; ``17:00`` stays text (no YAML 1.1 base-60 numbers)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":int", ":float", ":timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping = {loader.construct_object(k, deep=True): loader.construct_object(v, deep=True) for k, v in node.value}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

_YAML_KEYS = {
    "top": ("name", "description", "organisations", "locations", "services"),
    "organisations": ("id", "name", "description"),
    "locations": ("id", "name", "postcode"),
    "services": (
        "id",
        "organisation",
        "name",
        "description",
        "status",
        "locations",
        "hours",
        "eligibility",
        "taxonomy",
        "meets",
    ),
    "hours": ("days", "opens", "closes"),
    "taxonomy": ("scheme", "term"),
}


def read_services_yaml(path: str | Path, *, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Read a hand-written service directory from YAML.

    The file has ``organisations`` (``id, name, description``), ``locations`` (``id, name, postcode``) and
    ``services``; each service has ``id, organisation, name, description, status`` (default ``active``),
    ``locations`` (ids), ``hours`` (``"24/7"`` or a list of ``{days, opens, closes}``; days as ``Mon-Fri``,
    ``[Sat, Sun]``, ``weekdays``, ``daily``; times ``"HH:MM"``, a closing time before the opening time runs
    past midnight), ``eligibility`` (text or a list), ``taxonomy`` (``{scheme, term}`` items) and ``meets``
    (codebook code ids). See ``pipelines/demo_services.yaml``.

    Parameters
    ----------
    path : path-like
        The YAML file.
    codebook : Codebook or path, optional
        When given, every code in ``meets`` must be in it.

    Returns
    -------
    ServiceDirectory

    Raises
    ------
    DirectoryError
        Listing every problem with its line and key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> text = '''
    ... organisations: [{id: bwd, name: Blackburn with Darwen Council}]
    ... services:
    ...   - {id: housing, organisation: bwd, name: Housing Options,
    ...      hours: [{days: Mon-Fri, opens: 09:00, closes: 17:00}], meets: [NEE02]}
    ...   - {id: police, name: Police, hours: 24/7}
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "services.yaml"
    ...     _ = path.write_text(text)
    ...     d = read_services_yaml(path)
    >>> len(d.schedules), d.schedules.loc[0, "closes_at"], d.needs.values.tolist()
    (12, '17:00', [['housing', 'NEE02']])
    """
    path = Path(path)
    if not path.exists():
        raise DirectoryError(f"{path}: no such service directory file.")
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Loader)
    except yaml.YAMLError as error:
        raise DirectoryError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}: expected a mapping with 'organisations', 'locations' and 'services'.")
    problems = _Problems(str(path))
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    where: dict[str, list[str]] = {t: [] for t in TABLES}

    def unknown_keys(record: dict[str, Any], kind: str, at: str) -> None:
        for key in record:
            if key != "__line__" and key not in _YAML_KEYS[kind]:
                hint = suggest(str(key), _YAML_KEYS[kind])
                problems.add(f"{at}: unknown key {key!r}.{hint}")

    def as_list(value: Any) -> list[Any]:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    unknown_keys(data, "top", f"{path.name} line 1")
    for kind in ("organisations", "locations", "services"):
        items = data.get(kind) or []
        if not isinstance(items, list):
            problems.add(f"{path.name}: '{kind}' must be a list.")
            continue
        for index, record in enumerate(items):
            if not isinstance(record, dict):
                problems.add(f"{path.name}: {kind}[{index}] must be a mapping with id and name.")
                continue
            at = f"{path.name} line {record['__line__']} ({kind}[{index}] {_text(record.get('id'))!r})"
            unknown_keys(record, kind, at)
            if kind != "services":
                rows[kind].append({c: record.get(c) for c in TABLES[kind]})
                where[kind].append(at)
                continue
            service_id = _text(record.get("id"))
            rows["services"].append(
                {
                    "id": service_id,
                    "organisation_id": record.get("organisation"),
                    "name": record.get("name"),
                    "description": record.get("description"),
                    "status": record.get("status", "active"),
                }
            )
            where["services"].append(at)
            for location in as_list(record.get("locations")):
                rows["service_locations"].append({"service_id": service_id, "location_id": location})
                where["service_locations"].append(at)
            for text in as_list(record.get("eligibility")):
                rows["eligibility"].append({"service_id": service_id, "text": text})
                where["eligibility"].append(at)
            for term in as_list(record.get("taxonomy")):
                if not isinstance(term, dict):
                    problems.add(f"{at}, key 'taxonomy': write each term as {{scheme: ..., term: ...}}.")
                    continue
                unknown_keys(term, "taxonomy", f"{at}, key 'taxonomy'")
                rows["taxonomy"].append(
                    {"service_id": service_id, "scheme": term.get("scheme"), "term": term.get("term")}
                )
                where["taxonomy"].append(at)
            for code in as_list(record.get("meets")):
                rows["needs"].append({"service_id": service_id, "code_id": code})
                where["needs"].append(at)
            hours = record.get("hours")
            sessions = (
                [{"days": "daily", "opens": "00:00", "closes": "24:00", "__line__": record["__line__"]}]
                if (_text(hours).lower() == "24/7")
                else as_list(hours)
            )
            for session in sessions:
                if not isinstance(session, dict):
                    problems.add(f"{at}, key 'hours': write '24/7' or a list of {{days, opens, closes}}.")
                    continue
                session_at = f"{path.name} line {session['__line__']} (service {service_id!r})"
                unknown_keys(session, "hours", f"{session_at}, key 'hours'")
                opens = _time_or_problem(session.get("opens"), False, problems, f"{session_at}, key 'opens'")
                closes = _time_or_problem(session.get("closes"), True, problems, f"{session_at}, key 'closes'")
                try:
                    days = _parse_days(session.get("days"))
                except ValueError as error:
                    problems.add(f"{session_at}, key 'days': {error}")
                    continue
                if opens is None or closes is None:
                    continue
                try:
                    for day, start, end in _intervals(days, opens, closes):
                        rows["schedules"].append(
                            {"service_id": service_id, "weekday": day, "opens_at": start, "closes_at": end}
                        )
                        where["schedules"].append(session_at)
                except ValueError as error:
                    problems.add(f"{session_at}, key 'closes': {error}.")
    problems.check()
    columns = {
        "services": {"organisation_id": "key 'organisation'"},
        "service_locations": {"service_id": "key 'id'", "location_id": "key 'locations'"},
        "schedules": {"opens_at": "key 'opens'", "closes_at": "key 'closes'", "weekday": "key 'days'"},
        "eligibility": {"service_id": "key 'id'"},
        "taxonomy": {"service_id": "key 'id'"},
        "needs": {"service_id": "key 'id'", "code_id": "key 'meets'"},
    }
    columns = {t: {c: columns.get(t, {}).get(c, f"key {c!r}") for c in TABLES[t]} for t in TABLES}
    directory = ServiceDirectory(
        **{t: pd.DataFrame(rows[t], columns=list(TABLES[t])) for t in TABLES}, where=where, columns=columns
    )
    return validate_directory(directory, codebook)


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

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise DirectoryError(f"{path}: cannot read this CSV table ({error}); save it as UTF-8 CSV.") from error
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        self.frame = frame.map(_unneutralise) if len(frame) else frame
        self.rows: list[dict[str, str]] = self.frame.to_dict("records")

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


def _unneutralise(value: Any) -> Any:
    """Undo :func:`circles.io.writers.neutralise_formulas` (``"'=x"`` -> ``"=x"``) so exports read back unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in _TRIGGERS:
        return value[1:]
    return value


def _find_tables(folder: Path) -> dict[str, _Table]:
    if not folder.is_dir():
        raise DirectoryError(f"{folder}: no such folder of service directory tables.")
    files = {p.stem.lower(): p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".csv"}
    found: dict[str, _Table] = {}
    for table, names in _ALIASES.items():
        present = [files[n] for n in names if n in files]
        if len(present) > 1:
            raise DirectoryError(
                f"{folder}: tables {', '.join(p.name for p in present)} are the same table; keep one of them."
            )
        if present:
            found[table] = _Table(present[0])
    if "services" not in found:
        hint = suggest("services", list(files))
        raise DirectoryError(
            f"{folder}: no services table (service.csv or services.csv); found {', '.join(files) or 'no CSV files'}."
            + hint
        )
    return found


def _get(row: dict[str, str], *columns: str) -> str:
    """The first non-blank value among ``columns``."""
    for column in columns:
        value = _text(row.get(column))
        if value:
            return value
    return ""


def _import_tables(folder: str | Path, standard: str, codebook: Codebook | str | Path | None) -> ServiceDirectory:
    folder = Path(folder)
    tables = _find_tables(folder)
    problems = _Problems(f"{folder} ({standard})")
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    where: dict[str, list[str]] = {t: [] for t in TABLES}
    columns: dict[str, dict[str, str]] = {t: {} for t in TABLES}

    def put(table: str, at: str, **values: Any) -> None:
        rows[table].append(values)
        where[table].append(at)

    # organisations
    if "organisations" in tables:
        table = tables["organisations"]
        table.require("id", "name")
        for i, row in enumerate(table.rows):
            put("organisations", table.where(i), id=row["id"], name=row["name"], description=row.get("description"))
    # services (+ eligibility_description)
    table = tables["services"]
    table.require("id", "name")
    org_column = next((c for c in ("organization_id", "organisation_id") if table.has(c)), "organization_id")
    columns["services"]["organisation_id"] = f"column {org_column!r}"
    for i, row in enumerate(table.rows):
        put(
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
                put("eligibility", table.where(i), service_id=row["id"], text=line)
    columns["eligibility"]["text"] = "column 'eligibility_description'"
    service_ids = {_text(r["id"]) for r in rows["services"]}
    # locations and their postcodes
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
            put("locations", table.where(i), id=row["id"], name=row.get("name"), postcode=code)
    # services at locations
    at_location: dict[str, str] = {}
    if "service_at_locations" in tables:
        table = tables["service_at_locations"]
        table.require("service_id", "location_id")
        for i, row in enumerate(table.rows):
            at_location[_text(row.get("id"))] = _text(row["service_id"])
            put("service_locations", table.where(i), service_id=row["service_id"], location_id=row["location_id"])
    # opening hours
    if "schedules" in tables:
        table = tables["schedules"]
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
            freq = _text(row.get("freq")).upper()
            if freq not in ("", "WEEKLY", "DAILY"):
                warnings.warn(f"{at}: schedule with freq {freq!r} is not weekly; left out.", stacklevel=3)
                continue
            opens = _time_or_problem(opens_text, False, problems, f"{at}, column 'opens_at'")
            closes = _time_or_problem(closes_text, True, problems, f"{at}, column 'closes_at'")
            day_column = "byday" if _text(row.get("byday")) else "weekday"
            day_value = "daily" if freq == "DAILY" and not _text(row.get(day_column)) else row.get(day_column)
            try:
                days = _parse_days(day_value)
            except ValueError as error:
                problems.add(f"{at}, column {day_column!r}: {error}.")
                continue
            if opens is None or closes is None:
                continue
            try:
                for day, start, end in _intervals(days, opens, closes):
                    put("schedules", at, service_id=service_id, weekday=day, opens_at=start, closes_at=end)
            except ValueError as error:
                problems.add(f"{at}, column 'closes_at': {error}.")
    # eligibility (ORUK v1 table; the UK profile keeps it)
    if "eligibility" in tables:
        table = tables["eligibility"]
        table.require("service_id")
        text_column = next((c for c in ("eligibility", "text", "description") if table.has(c)), "eligibility")
        table.require(text_column)
        columns["eligibility"]["text"] = f"column {text_column!r}"
        for i, row in enumerate(table.rows):
            put("eligibility", table.where(i), service_id=row["service_id"], text=row[text_column])
    # taxonomy terms: HSDS 3.0 taxonomy_term (+ taxonomy = vocabularies), or ORUK v1 taxonomies (= terms)
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

    def tag(service_id: str, term_id: str, at: str, column: str) -> None:
        if term_id not in terms:
            hint = suggest(term_id, terms)
            problems.add(f"{at}, column {column!r}: taxonomy term {term_id!r} is not in the taxonomy terms.{hint}")
            return
        scheme, name, term_at = terms[term_id]
        if scheme.lower() == _VOCABULARY:
            put("needs", f"{at} -> {term_at}", service_id=service_id, code_id=name)
        else:
            put("taxonomy", f"{at} -> {term_at}", service_id=service_id, scheme=scheme, term=name)

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
                put("needs", table.where(i), service_id=link, code_id=row["value"])
    columns["needs"]["code_id"] = "column 'code' (or 'name') of the taxonomy term"
    problems.check()
    directory = ServiceDirectory(
        **{t: pd.DataFrame(rows[t], columns=list(TABLES[t])) for t in TABLES},
        where=where,
        columns={t: {c: columns[t].get(c, f"column {c!r}") for c in TABLES[t]} for t in TABLES},
    )
    return validate_directory(directory, codebook)


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
    >>> d.schedules.values.tolist()
    [['s1', 0, '09:30', '12:00'], ['s1', 2, '09:30', '12:00']]
    """
    return _import_tables(folder, "Open Referral UK v1", codebook)


def import_hsds(folder: str | Path, *, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Import an HSDS 3.0 (or Open Referral UK 3.0 profile) CSV package from a folder.

    Reads ``organization``, ``service`` (required; ``eligibility_description`` one eligibility per line),
    ``location`` with ``address`` (postcode from a physical ``postal_code``), ``service_at_location``,
    ``schedule`` (``freq``/``byday``/``opens_at``/``closes_at``; ``valid_from``/``valid_to`` are not applied),
    ``taxonomy_term`` (vocabulary in ``taxonomy``, or the ``name`` of the ``taxonomy`` it points to by
    ``taxonomy_id``) and ``attribute`` (``link_id`` a service, ``taxonomy_term_id``; or ``label`` ``circles``
    with the code id in ``value``). Names singular or plural; absent tables are empty; a ``datapackage.json``
    is not needed; other tables and columns are ignored. Terms of the ``circles`` vocabulary become ``needs``.

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
    ...     _ = (root / "service.csv").write_text("id,name\\ns1,Key worker\\n")
    ...     _ = (root / "taxonomy_term.csv").write_text("id,code,name,taxonomy\\nt1,NEE04,Key worker,circles\\n")
    ...     _ = (root / "attribute.csv").write_text("id,link_id,link_type,taxonomy_term_id\\na1,s1,service,t1\\n")
    ...     d = import_hsds(root)
    >>> d.needs.values.tolist()
    [['s1', 'NEE04']]
    """
    return _import_tables(folder, "HSDS 3.0", codebook)


# ---------------------------------------------------------------------------------------------- HSDS export
def _field(name: str, kind: str = "string", required: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": kind}
    if required:
        spec["constraints"] = {"required": True}
    return spec


def _fk(column: str, resource: str) -> dict[str, Any]:
    return {"fields": column, "reference": {"resource": resource, "fields": "id"}}


def _clock(hhmm: str) -> str:
    """``"09:00"`` -> ``"09:00:00"``; ``"24:00"`` -> ``"23:59:59"`` (ISO times stop at 23:59:59)."""
    return "23:59:59" if hhmm == "24:00" else f"{hhmm}:00"


def export_hsds(directory: ServiceDirectory, folder: str | Path) -> Path:
    """Write an HSDS 3.0 CSV package (``organization``, ``service``, ``location``, ``address``,
    ``service_at_location``, ``schedule``, ``taxonomy_term``, ``attribute``) with a Frictionless
    ``datapackage.json``; return the path of ``datapackage.json``.

    Eligibility goes in ``service.eligibility_description`` (one per line); taxonomy terms and codes met go in
    ``taxonomy_term`` (codes with ``taxonomy`` ``circles`` and the code id as ``code``) linked to services by
    ``attribute``; opening hours are weekly ``schedule`` rows, one per service and session (days in
    ``byday``), times ``HH:MM:SS`` with midnight at the end of the day written ``23:59:59``.
    :func:`import_hsds` reads the package back to an equal directory.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory (it is validated first).
    folder : path-like
        The folder to write; created if needed. Files are written atomically.

    Returns
    -------
    Path
        ``folder / "datapackage.json"``.

    Examples
    --------
    >>> import pandas as pd, pathlib, tempfile
    >>> d = ServiceDirectory(
    ...     services=pd.DataFrame({"id": ["s1"], "name": ["Police"], "status": ["active"]}),
    ...     schedules=pd.DataFrame({"service_id": ["s1"] * 7, "weekday": range(7), "opens_at": ["00:00"] * 7,
    ...                             "closes_at": ["24:00"] * 7}),
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     package = export_hsds(d, folder)
    ...     print((pathlib.Path(folder) / "schedule.csv").read_text().splitlines()[1])
    ...     import_hsds(folder).equals(d)
    s1-schedule-1,s1,WEEKLY,"MO,TU,WE,TH,FR,SA,SU",00:00:00,23:59:59
    True
    """
    validate_directory(directory)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    d = directory
    eligibility = d.eligibility.groupby("service_id", sort=False)["text"].agg("\n".join).to_dict()
    organization = pd.DataFrame(
        {"id": d.organisations["id"], "name": d.organisations["name"], "description": d.organisations["description"]}
    )
    service = pd.DataFrame(
        {
            "id": d.services["id"],
            "organization_id": d.services["organisation_id"],
            "name": d.services["name"],
            "description": d.services["description"],
            "status": d.services["status"],
            "eligibility_description": [eligibility.get(s, "") for s in d.services["id"]],
        }
    )
    location = pd.DataFrame({"id": d.locations["id"], "location_type": "physical", "name": d.locations["name"]})
    with_postcode = d.locations[d.locations["postcode"] != ""]
    address = pd.DataFrame(
        {
            "id": [f"{x}-address" for x in with_postcode["id"]],
            "location_id": with_postcode["id"].tolist(),
            "postal_code": with_postcode["postcode"].tolist(),
            "country": "GB",
            "address_type": "physical",
        },
        columns=["id", "location_id", "postal_code", "country", "address_type"],
    )
    links = d.service_locations
    service_at_location = pd.DataFrame(
        {
            "id": [f"{s}-at-{x}" for s, x in zip(links["service_id"], links["location_id"], strict=True)],
            "service_id": links["service_id"].tolist(),
            "location_id": links["location_id"].tolist(),
        },
        columns=["id", "service_id", "location_id"],
    )
    schedule_rows: list[dict[str, str]] = []
    for service_id, sessions in d.schedules.groupby("service_id", sort=False):
        grouped = sessions.groupby(["opens_at", "closes_at"], sort=True)["weekday"].agg(sorted)
        for (opens, closes), days in grouped.items():
            schedule_rows.append(
                {
                    "id": f"{service_id}-schedule-{len(schedule_rows) + 1}",
                    "service_id": str(service_id),
                    "freq": "WEEKLY",
                    "byday": ",".join(WEEKDAYS[day] for day in days),
                    "opens_at": _clock(str(opens)),
                    "closes_at": _clock(str(closes)),
                }
            )
    schedule = pd.DataFrame(schedule_rows, columns=["id", "service_id", "freq", "byday", "opens_at", "closes_at"])
    term_ids: dict[tuple[str, str], str] = {}
    term_rows: list[dict[str, str]] = []
    attribute_rows: list[dict[str, str]] = []
    tags = [(s, _VOCABULARY, c) for s, c in zip(d.needs["service_id"], d.needs["code_id"], strict=True)]
    tags += list(zip(d.taxonomy["service_id"], d.taxonomy["scheme"], d.taxonomy["term"], strict=True))
    for service_id, scheme, term in tags:
        key = (scheme, term)
        if key not in term_ids:
            term_ids[key] = f"{_VOCABULARY}-{term}" if scheme == _VOCABULARY else f"term-{len(term_ids) + 1}"
            is_code = scheme == _VOCABULARY
            term_rows.append({"id": term_ids[key], "code": term if is_code else "", "name": term, "taxonomy": scheme})
        attribute_rows.append(
            {
                "id": f"attribute-{len(attribute_rows) + 1}",
                "link_id": service_id,
                "link_type": "service",
                "link_entity": "service",
                "taxonomy_term_id": term_ids[key],
            }
        )
    taxonomy_term = pd.DataFrame(term_rows, columns=["id", "code", "name", "taxonomy"])
    attribute = pd.DataFrame(attribute_rows, columns=["id", "link_id", "link_type", "link_entity", "taxonomy_term_id"])
    resources = [
        ("organization", organization, [], {"name": True}),
        ("service", service, [_fk("organization_id", "organization")], {"name": True}),
        ("location", location, [], {}),
        ("address", address, [_fk("location_id", "location")], {"location_id": True}),
        (
            "service_at_location",
            service_at_location,
            [_fk("service_id", "service"), _fk("location_id", "location")],
            {"service_id": True, "location_id": True},
        ),
        ("schedule", schedule, [_fk("service_id", "service")], {}),
        ("taxonomy_term", taxonomy_term, [], {"name": True}),
        (
            "attribute",
            attribute,
            [_fk("link_id", "service"), _fk("taxonomy_term_id", "taxonomy_term")],
            {"link_id": True, "taxonomy_term_id": True},
        ),
    ]
    times = {"opens_at", "closes_at"}
    package: dict[str, Any] = {
        "name": "circles-service-directory",
        "title": "Service directory (HSDS 3.0 tables, written by circles)",
        "profile": "tabular-data-package",
        "resources": [],
    }
    for name, frame, foreign, required in resources:
        write_csv(frame, folder / f"{name}.csv")
        fields_ = [_field("id", required=True)] + [
            _field(c, "time" if c in times else "string", required.get(c, False)) for c in frame.columns if c != "id"
        ]
        schema: dict[str, Any] = {"fields": fields_, "primaryKey": ["id"]}
        if foreign:
            schema["foreignKeys"] = foreign
        package["resources"].append(
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    target = folder / "datapackage.json"
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------- analysis
def hours_table(directory: ServiceDirectory, *, evening_from: str = "17:00") -> pd.DataFrame:
    """Opening hours per service: hours a week, days open, evenings, weekends, 24/7.

    Sessions that overlap on the same day are merged before counting.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory.
    evening_from : str, default ``"17:00"``
        A service is open in the evening when it is open at any time after this, on any day.

    Returns
    -------
    DataFrame
        One row per service, in directory order: ``service_id, service_name, hours_known`` (it has a
        schedule), ``hours_per_week`` (float; NaN when unknown), ``days_open`` (0-7), ``evening_hours`` (hours a
        week after ``evening_from``), ``evenings``, ``weekends`` (open on Saturday or Sunday), ``always_open``
        (24/7) and ``out_of_hours`` (evenings or weekends).

    Examples
    --------
    >>> import pandas as pd
    >>> d = ServiceDirectory(
    ...     services=pd.DataFrame({"id": ["gp"], "name": ["GP"]}),
    ...     schedules=pd.DataFrame({"service_id": ["gp"] * 5, "weekday": range(5), "opens_at": ["08:00"] * 5,
    ...                             "closes_at": ["18:30"] * 5}),
    ... )
    >>> hours_table(d)[["hours_per_week", "evening_hours", "evenings", "weekends"]].values.tolist()
    [[52.5, 7.5, True, False]]
    """
    evening = _minutes(_parse_time(evening_from, closing=False))
    sessions: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for service_id, day, opens, closes in directory.schedules.itertuples(index=False, name=None):
        sessions.setdefault(service_id, {}).setdefault(int(day), []).append((_minutes(opens), _minutes(closes)))
    records = []
    for service_id, name in zip(directory.services["id"], directory.services["name"], strict=True):
        days = sessions.get(service_id, {})
        merged: dict[int, list[tuple[int, int]]] = {}
        for day, spans in days.items():
            out: list[tuple[int, int]] = []
            for start, end in sorted(spans):
                if out and start <= out[-1][1]:
                    out[-1] = (out[-1][0], max(out[-1][1], end))
                else:
                    out.append((start, end))
            merged[day] = out
        minutes = sum(end - start for spans in merged.values() for start, end in spans)
        late = sum(max(0, end - max(start, evening)) for spans in merged.values() for start, end in spans)
        known = bool(merged)
        evenings = late > 0
        weekends = any(day in merged for day in (5, 6))
        records.append(
            {
                "service_id": service_id,
                "service_name": name,
                "hours_known": known,
                "hours_per_week": minutes / 60 if known else float("nan"),
                "days_open": len(merged),
                "evening_hours": late / 60 if known else float("nan"),
                "evenings": evenings,
                "weekends": weekends,
                "always_open": known and all(merged.get(day) == [(0, 1440)] for day in range(7)),
                "out_of_hours": evenings or weekends,
            }
        )
    columns = ["service_id", "service_name", "hours_known", "hours_per_week", "days_open", "evening_hours"]
    columns += ["evenings", "weekends", "always_open", "out_of_hours"]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({"days_open": "int64", "hours_per_week": "float64", "evening_hours": "float64"}).astype(
        {c: bool for c in ("hours_known", "evenings", "weekends", "always_open", "out_of_hours")}
    )


def _active(directory: ServiceDirectory, active_only: bool) -> set[str]:
    services = directory.services
    keep = services["status"].str.lower().isin(["", "active"]) if active_only else services["id"].notna()
    return set(services.loc[keep, "id"])


def needs_met(
    directory: ServiceDirectory,
    codebook: Codebook | str | Path,
    *,
    active_only: bool = True,
    evening_from: str = "17:00",
) -> pd.DataFrame:
    """Which services meet which codes, with whether each service is open out of hours.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory.
    codebook : Codebook or path
        The codebook whose codes the directory's ``needs`` name.
    active_only : bool, default True
        Leave out services whose status is not ``active`` (a blank status counts as active).
    evening_from : str, default ``"17:00"``
        Passed to :func:`hours_table`.

    Returns
    -------
    DataFrame
        ``code_id, code_name, dimension, service_id, service_name, organisation, out_of_hours``; codes in
        codebook order, services in directory order.

    Raises
    ------
    DirectoryError
        When a code met is not in the codebook (naming the file, row and column it came from).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.qualitative.model import Code, Codebook
    >>> book = Codebook((Code("NEE02", "Practical help with money and housing", "need"),))
    >>> d = ServiceDirectory(services=pd.DataFrame({"id": ["housing"], "name": ["Housing Options"]}),
    ...                      needs=pd.DataFrame({"service_id": ["housing"], "code_id": ["NEE02"]}))
    >>> needs_met(d, book).values.tolist()
    [['NEE02', 'Practical help with money and housing', 'need', 'housing', 'Housing Options', '', False]]
    """
    book = _codebook(codebook)
    validate_directory(directory, book)
    hours = hours_table(directory, evening_from=evening_from).set_index("service_id")
    organisations = dict(zip(directory.organisations["id"], directory.organisations["name"], strict=True))
    services = directory.services.set_index("id")
    order = {s: i for i, s in enumerate(directory.services["id"])}
    active = _active(directory, active_only)
    records = []
    for service_id, code_id in directory.needs.itertuples(index=False, name=None):
        if service_id not in active:
            continue
        code = book.code(code_id)
        records.append(
            {
                "code_id": code_id,
                "code_name": code.name,
                "dimension": code.dimension,
                "service_id": service_id,
                "service_name": services.loc[service_id, "name"],
                "organisation": organisations.get(services.loc[service_id, "organisation_id"], ""),
                "out_of_hours": bool(hours.loc[service_id, "out_of_hours"]),
                "_order": (book.ids.index(code_id), order[service_id]),
            }
        )
    columns = ["code_id", "code_name", "dimension", "service_id", "service_name", "organisation", "out_of_hours"]
    records.sort(key=lambda r: r["_order"])
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({c: object for c in columns[:-1]}).astype({"out_of_hours": bool})


def need_coverage(
    directory: ServiceDirectory,
    codebook: Codebook | str | Path,
    *,
    duplication_threshold: int = 3,
    dimensions: Sequence[str] | None = None,
    active_only: bool = True,
    evening_from: str = "17:00",
) -> pd.DataFrame:
    """Per code of the codebook: how many services meet it, whether it is unmet, duplicated or only 9 to 5.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory.
    codebook : Codebook or path
        The codebook; every code is listed (in codebook order), met or not.
    duplication_threshold : int, default 3
        A code met by at least this many services has status ``"possible duplication"``.
    dimensions : sequence of str, optional
        Only codes of these dimensions (e.g. ``["need", "aspiration"]``); default all.
    active_only, evening_from
        As for :func:`needs_met`.

    Returns
    -------
    DataFrame
        ``code_id, code_name, dimension, n_services, services`` (names joined by ``"; "``),
        ``n_out_of_hours, out_of_hours_services, status`` (``"unmet"``, ``"met"``, ``"possible duplication"``)
        and ``out_of_hours_gap`` (met, but by no service open in the evening or at weekends).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.qualitative.model import Code, Codebook
    >>> book = Codebook((Code("NEE01", "Someone to talk to out of hours", "need"),
    ...                  Code("NEE02", "Practical help with money and housing", "need")))
    >>> d = ServiceDirectory(services=pd.DataFrame({"id": ["housing"], "name": ["Housing Options"]}),
    ...                      needs=pd.DataFrame({"service_id": ["housing"], "code_id": ["NEE02"]}))
    >>> need_coverage(d, book)[["code_id", "n_services", "status", "out_of_hours_gap"]].values.tolist()
    [['NEE01', 0, 'unmet', False], ['NEE02', 1, 'met', True]]
    """
    if duplication_threshold < 2:
        raise DirectoryError(f"duplication_threshold must be at least 2, not {duplication_threshold}.")
    book = _codebook(codebook)
    met = needs_met(directory, book, active_only=active_only, evening_from=evening_from)
    wanted = None if dimensions is None else {x.lower() for x in dimensions}
    records = []
    for code in book.codes:
        if wanted is not None and code.dimension.lower() not in wanted:
            continue
        rows = met[met["code_id"] == code.id]
        late = rows[rows["out_of_hours"]]
        n = len(rows)
        status = "unmet" if n == 0 else "possible duplication" if n >= duplication_threshold else "met"
        records.append(
            {
                "code_id": code.id,
                "code_name": code.name,
                "dimension": code.dimension,
                "n_services": n,
                "services": "; ".join(rows["service_name"]),
                "n_out_of_hours": len(late),
                "out_of_hours_services": "; ".join(late["service_name"]),
                "status": status,
                "out_of_hours_gap": n > 0 and len(late) == 0,
            }
        )
    columns = ["code_id", "code_name", "dimension", "n_services", "services", "n_out_of_hours"]
    columns += ["out_of_hours_services", "status", "out_of_hours_gap"]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({"n_services": "int64", "n_out_of_hours": "int64", "out_of_hours_gap": bool})
