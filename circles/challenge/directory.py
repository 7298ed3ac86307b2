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
``schedules``      ``service_id, weekday`` (0 Monday … 6 Sunday; -1 when the rule's ``byday`` or
                   ``bymonthday`` gives the days), ``opens_at, closes_at`` (``"HH:MM"``, ``opens_at < closes_at``;
                   ``"24:00"`` is the end of the day, so 24/7 is seven rows of ``00:00``–``24:00``; an overnight
                   session is two rows, split at midnight), then the recurrence rule (RFC 5545, as HSDS 3.0
                   ``schedule`` gives it): ``freq`` (``WEEKLY``, ``DAILY``, ``MONTHLY``; blank is ``WEEKLY``),
                   ``interval`` (int, 1 = every week/day/month, 2 = fortnightly ...), ``byday`` (on a weekday row
                   blank, or its ordinals such as ``1MO`` or ``-1FR`` for a monthly rule), ``bymonthday``,
                   ``byweekno`` (comma-separated numbers), ``dtstart, until`` (first and last day of the
                   recurrence), ``count`` (int, 0 = no limit), ``valid_from, valid_to`` (dates ``YYYY-MM-DD``)
``eligibility``    ``service_id, text``
``taxonomy``       ``service_id, scheme, term`` (e.g. ``("LGA services", "Alcohol misuse")``)
``needs``          ``service_id, code_id`` (the codebook codes a service meets, of any dimension)
=================  ===========================================================================================

Text cells are ``str`` (``""`` when blank), in object columns; ``weekday``, ``interval`` and ``count`` are ``int64``.
A schedule row with only ``service_id, weekday, opens_at, closes_at`` is weekly, every week, always valid. A rule
is one row per weekday (exactly the same sessions), except a rule with a ``count``, which is one row with
``weekday`` -1 (its count runs over all its days); :mod:`circles.challenge.schedules` expands rules into sessions
over a reference period. Link tables
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
from dateutil.parser import isoparse

from circles.errors import CirclesError
from circles.qualitative.model import Codebook
from circles.validation import suggest

__all__ = ["DirectoryError", "FREQS", "RULE_COLUMNS", "ServiceDirectory", "TABLES", "WEEKDAYS", "validate_directory"]


class DirectoryError(CirclesError):
    """A service directory (YAML, Open Referral UK or HSDS tables) is invalid: bad time, missing key, unknown id."""


#: The recurrence columns of ``schedules`` (RFC 5545 / HSDS 3.0 ``schedule``), after its four weekly columns.
RULE_COLUMNS: tuple[str, ...] = (
    "freq",
    "interval",
    "byday",
    "bymonthday",
    "byweekno",
    "dtstart",
    "until",
    "count",
    "valid_from",
    "valid_to",
)
#: Tidy table -> its columns. ``weekday``, ``interval`` and ``count`` are the integer columns.
TABLES: dict[str, tuple[str, ...]] = {
    "organisations": ("id", "name", "description"),
    "services": ("id", "organisation_id", "name", "description", "status"),
    "locations": ("id", "name", "postcode"),
    "service_locations": ("service_id", "location_id"),
    "schedules": ("service_id", "weekday", "opens_at", "closes_at", *RULE_COLUMNS),
    "eligibility": ("service_id", "text"),
    "taxonomy": ("service_id", "scheme", "term"),
    "needs": ("service_id", "code_id"),
}
_SORTED = {"service_locations", "schedules", "eligibility", "taxonomy", "needs"}
#: Integer columns and their value when blank (``None``: required).
_INTEGERS: dict[str, int | None] = {"weekday": None, "interval": 1, "count": 0}
#: The recurrence frequencies circles computes (RFC 5545 also has SECONDLY ... YEARLY).
FREQS: tuple[str, ...] = ("WEEKLY", "DAILY", "MONTHLY")
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


def _integer(value: Any, table: str, row: int, column: str) -> int:
    """A whole number cell (``2``, ``"2"``, ``2.0``); blank is the column's default; else a DirectoryError."""
    text = _text(value)
    default = _INTEGERS[column]
    if not text and default is not None:
        return default
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if number != number or not number.is_integer():
        raise DirectoryError(f"{table} row {row + 1}, column {column!r}: {text!r} is not a whole number.")
    return int(number)


def _canonical(value: Any, column: str) -> str:
    """A rule cell written one way (``"15,1"`` -> ``"1,15"``, ``"20250401"`` -> ``"2025-04-01"``); kept as it is
    when it cannot be read (:func:`validate_directory` reports it)."""
    try:
        return _CANONICAL[column](value)
    except ValueError:
        return _text(value)


def _tidy(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Columns in order, text as ``str`` in object columns, link tables sorted and de-duplicated."""
    out = _converted(frame, table)
    if table in _SORTED and len(out):
        out = out.drop_duplicates().sort_values(list(TABLES[table]), kind="stable").reset_index(drop=True)
    return out


def _converted(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The columns of ``table`` in order, each cell converted (text, whole numbers, upper-case ``freq``)."""
    columns = TABLES[table]
    out = pd.DataFrame(index=range(len(frame)))
    for column in columns:
        values = frame[column].tolist() if column in frame.columns else [""] * len(frame)
        if column in _INTEGERS:
            numbers = [_integer(v, table, i, column) for i, v in enumerate(values)]
            out[column] = pd.Series(numbers, dtype="int64")
        elif column == "freq":
            out[column] = pd.Series([_text(v).upper() or "WEEKLY" for v in values], dtype=object)
        elif column in _CANONICAL:
            out[column] = pd.Series([_canonical(v, column) for v in values], dtype=object)
        else:
            out[column] = pd.Series([_text(v) for v in values], dtype=object)
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
    >>> d.services.loc[0, "status"], list(d.schedules.columns[:6])
    ('', ['service_id', 'weekday', 'opens_at', 'closes_at', 'freq', 'interval'])
    >>> d.schedules[["freq", "interval", "count", "valid_to"]].to_dict("records")  # weekly, every week, always
    [{'freq': 'WEEKLY', 'interval': 1, 'count': 0, 'valid_to': ''}]
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
    keys = list(_converted(frame, table).itertuples(index=False, name=None))
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


_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


def _parse_byday(value: Any) -> list[tuple[int, int]]:
    """iCalendar ``BYDAY`` -> ``(ordinal, weekday)`` pairs: ``"MO,WE"`` -> ``[(0, 0), (0, 2)]``, ``"1MO,-1FR"`` ->
    ``[(1, 0), (-1, 4)]`` (ordinal 0: every such day; 1 the first, -1 the last of the month).

    Raises ``ValueError`` naming the bad item.
    """
    pairs: set[tuple[int, int]] = set()
    for item in (x for x in re.split(r"[,;\s]+", _text(value).upper()) if x):
        match = _BYDAY.match(item)
        if not match:
            raise ValueError(f"{item!r} is not a day such as 'MO', or (monthly) '1MO' (first) or '-1FR' (last)")
        ordinal = int(match.group(1) or 0)
        if match.group(1) and not 1 <= abs(ordinal) <= 5:
            raise ValueError(f"{item!r}: the week of the month is 1 to 5, or -1 (last) to -5")
        pairs.add((ordinal, WEEKDAYS.index(match.group(2))))
    return sorted(pairs, key=_byday_key)


def _byday_key(pair: tuple[int, int]) -> tuple[int, bool, int]:
    """Order of ``(ordinal, weekday)`` pairs: by weekday, then every, first ... fifth, last ... fifth from last."""
    return pair[1], pair[0] < 0, abs(pair[0])


def _byday_text(pairs: Iterable[tuple[int, int]]) -> str:
    """``[(1, 0), (-1, 4)]`` -> ``"1MO,-1FR"`` (the inverse of :func:`_parse_byday`)."""
    return ",".join(f"{n or ''}{WEEKDAYS[day]}" for n, day in sorted(set(pairs), key=_byday_key))


def _parse_numbers(value: Any, limit: int, what: str) -> list[int]:
    """``"1,15,-1"`` -> ``[-1, 1, 15]``: whole numbers 1 to ``limit`` or -``limit`` to -1; else ``ValueError``."""
    numbers: set[int] = set()
    for item in (x for x in re.split(r"[,;\s]+", _text(value)) if x):
        if not re.fullmatch(r"[+-]?\d+", item) or not 1 <= abs(int(item)) <= limit:
            raise ValueError(f"{item!r} is not a {what} (1 to {limit}, or -1 to -{limit} counting from the end)")
        numbers.add(int(item))
    return sorted(numbers)


def _parse_date(value: Any) -> str:
    """``"2024-01-31"``, ``"20240131"``, ``"2024-01-31T09:00:00Z"`` -> ``"2024-01-31"``; blank -> ``""``.

    Raises ``ValueError`` when the value is not an ISO 8601 date.
    """
    text = _text(value)
    if not text:
        return ""
    try:
        return isoparse(text).date().isoformat()
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. '2025-04-01'") from None


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


#: How each rule column is written in the tidy table.
_CANONICAL: dict[str, Callable[[Any], str]] = {
    "byday": lambda v: _byday_text(_parse_byday(v)),
    "bymonthday": lambda v: ",".join(str(n) for n in _parse_numbers(v, 31, "day of the month")),
    "byweekno": lambda v: ",".join(str(n) for n in _parse_numbers(v, 53, "week of the year")),
    **{c: _parse_date for c in ("dtstart", "until", "valid_from", "valid_to")},
}


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
    """Every session is on a weekday (0-6, or -1 for a rule's days), at times ``HH:MM``, and closes after it opens."""
    schedules = directory.schedules
    times = zip(schedules["weekday"], schedules["opens_at"], schedules["closes_at"], strict=True)
    for i, (day, opens, closes) in enumerate(times):
        if not -1 <= day <= 6:
            add("schedules", i, "weekday", f"weekday {day} is not 0 (Monday) to 6 (Sunday), or -1 (the rule's days).")
        good = True
        for column, value in (("opens_at", opens), ("closes_at", closes)):
            if not re.fullmatch(r"\d\d:\d\d", value) or _parse_time(value, closing=False) != value:
                add("schedules", i, column, f"{value!r} is not a time HH:MM between 00:00 and 24:00.")
                good = False
        if good and not opens < closes:
            add("schedules", i, "closes_at", f"closes at {closes}, not after it opens at {opens}.")
    for i, rule in enumerate(schedules[["weekday", *RULE_COLUMNS]].to_dict("records")):
        for column, message in _rule_problems(rule):
            add("schedules", i, column, message)


def _rule_problems(rule: dict[str, Any]) -> list[tuple[str, str]]:
    """``(column, message)`` for each problem of one schedule row's recurrence rule (RFC 5545 section 3.3.10)."""
    out: list[tuple[str, str]] = []
    freq = rule["freq"]
    if freq not in FREQS:
        out.append(("freq", f"freq {freq!r} is not one of {', '.join(FREQS)}."))
    if rule["interval"] < 1:
        out.append(("interval", f"interval {rule['interval']} is not at least 1 (1 every time, 2 every other ...)."))
    if rule["count"] < 0:
        out.append(("count", f"count {rule['count']} is negative (0 means no limit)."))
    if rule["count"] > 0 and rule["until"]:
        out.append(("count", "give count or until, not both (RFC 5545)."))
    try:
        pairs = _parse_byday(rule["byday"])
        if any(n for n, _ in pairs) and freq != "MONTHLY":
            out.append(("byday", f"{rule['byday']!r}: a week of the month (e.g. '1MO') needs freq MONTHLY."))
        if rule["weekday"] >= 0 and any(day != rule["weekday"] for _, day in pairs):
            out.append(("byday", f"{rule['byday']!r} names a day other than {WEEKDAYS[rule['weekday']]}."))
    except ValueError as error:
        out.append(("byday", f"{error}."))
    for column, limit, what in (("bymonthday", 31, "day of the month"), ("byweekno", 53, "week of the year")):
        try:
            _parse_numbers(rule[column], limit, what)
        except ValueError as error:
            out.append((column, f"{error}."))
    if rule["bymonthday"] and freq == "WEEKLY":
        out.append(("bymonthday", "days of the month need freq MONTHLY (or DAILY), not WEEKLY."))
    has_days = rule["byday"] or rule["bymonthday"] or rule["dtstart"] or freq == "DAILY"
    if rule["weekday"] == -1 and not has_days:
        out.append(("weekday", "no day: give a weekday, or the rule's byday, bymonthday or dtstart."))
    dates: dict[str, str] = {}
    for column in ("dtstart", "until", "valid_from", "valid_to"):
        try:
            dates[column] = _parse_date(rule[column])
        except ValueError as error:
            out.append((column, f"{error}."))
    for first, last in (("valid_from", "valid_to"), ("dtstart", "until")):
        if dates.get(first) and dates.get(last) and dates[first] > dates[last]:
            out.append((last, f"{last} {dates[last]} is before {first} {dates[first]}."))
    return out


def _check_codes(directory: ServiceDirectory, codebook: Codebook | str | Path | None, add: _Add) -> None:
    """Every code met has an id and (given a codebook) is one of its codes."""
    book = _codebook(codebook) if codebook is not None else None
    for i, code in enumerate(directory.needs["code_id"].tolist()):
        if not code:
            add("needs", i, "code_id", "no code id.")
        elif book is not None and code not in book:
            hint = suggest(code, book.ids)
            add("needs", i, "code_id", f"code {code!r} is not in the codebook {book.name!r}.{hint}")
