"""The service directory model: tidy tables, their checks, and the parsing of opening hours shared by every source.

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

Every source builds one (:mod:`circles.challenge.directory_yaml`, :mod:`circles.challenge.open_referral`,
:mod:`circles.challenge.hsds`); :func:`validate_directory` checks the ids, links, times and codes of any of them.
The private helpers below (times, days, sessions, the problem list) are shared by those modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from circles.errors import CirclesError
from circles.qualitative.model import Codebook
from circles.validation import suggest

__all__ = ["DirectoryError", "ServiceDirectory", "TABLES", "WEEKDAYS", "validate_directory"]


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

    Build one with :func:`~circles.challenge.directory_yaml.read_services_yaml`,
    :func:`~circles.challenge.open_referral.import_open_referral`, :func:`~circles.challenge.hsds.import_hsds` or
    directly; the constructor tidies every table (see the module docstring). ``where`` maps a table to the origin of
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


def _time_or_problem(value: Any, closing: bool, problems: _Problems, where: str) -> str | None:
    try:
        return _parse_time(value, closing=closing)
    except ValueError as error:
        problems.add(f"{where}: {error}.")
        return None


class _Rows:
    """The tidy rows a source has given so far, where each came from, and how the source names each column."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.where: dict[str, list[str]] = {t: [] for t in TABLES}
        self.columns: dict[str, dict[str, str]] = {t: {} for t in TABLES}

    def put(self, table: str, at: str, **values: Any) -> None:
        self.rows[table].append(values)
        self.where[table].append(at)

    def directory(self, word: str) -> ServiceDirectory:
        """The directory of these rows; a column without a source name is called ``f"{word} {column!r}"``."""
        return ServiceDirectory(
            **{t: pd.DataFrame(self.rows[t], columns=list(TABLES[t])) for t in TABLES},
            where=self.where,
            columns={t: {c: self.columns[t].get(c, f"{word} {c!r}") for c in TABLES[t]} for t in TABLES},
        )


# ---------------------------------------------------------------------------------------------- validation
#: Reports one problem: ``(table, row, column, message)``.
_Add = Callable[[str, int, str, str], None]


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
    circles.challenge.directory.DirectoryError: service directory: 1 problem:
      - services row 1, column 'organisation_id': organisation 'o9' is not in the organisations.
    """
    problems = _Problems("service directory")

    def add(table: str, row: int, column: str, message: str) -> None:
        problems.add(f"{directory.locate(table, row)}, {directory.label(table, column)}: {message}")

    ids = _check_ids(directory, add)
    _check_services(directory, ids, add)
    _check_links(directory, ids, add)
    _check_schedules(directory, add)
    _check_codes(directory, codebook, add)
    problems.check()
    return directory


def _check_ids(directory: ServiceDirectory, add: _Add) -> dict[str, set[str]]:
    """Every organisation, service and location has an id used once; return the ids of each table."""
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
    return ids


def _check_services(directory: ServiceDirectory, ids: dict[str, set[str]], add: _Add) -> None:
    """Every service has a name, a known organisation (or none) and a known status (or none)."""
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


def _check_links(directory: ServiceDirectory, ids: dict[str, set[str]], add: _Add) -> None:
    """Every link table names known services, and every service location a known location."""
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


def _check_schedules(directory: ServiceDirectory, add: _Add) -> None:
    """Every session is on a weekday 0-6, at times ``HH:MM``, and closes after it opens."""
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


def _check_codes(directory: ServiceDirectory, codebook: Codebook | str | Path | None, add: _Add) -> None:
    """Every code met has an id and (given a codebook) is one of its codes."""
    book = _codebook(codebook) if codebook is not None else None
    for i, code in enumerate(directory.needs["code_id"].tolist()):
        if not code:
            add("needs", i, "code_id", "no code id.")
        elif book is not None and code not in book:
            hint = suggest(code, book.ids)
            add("needs", i, "code_id", f"code {code!r} is not in the codebook {book.name!r}.{hint}")
