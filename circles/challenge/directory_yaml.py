"""Hand-written service directories in YAML (see ``pipelines/demo_services.yaml``), checked by a pydantic model.

The file is read as YAML whose plain scalars stay text (``17:00`` is not the YAML 1.1 base-60 number 1020) and
validated against :class:`DirectoryFile` with :func:`circles.validation.validate_model`: every unknown key, wrong
type, bad time or bad day is reported at once, each with its line and key path, e.g.::

    services.yaml, line 7, services.0.meetz: unknown key. Did you mean 'meets'?

Checks across records (an id used twice, an unknown organisation, location or code) follow in
:func:`circles.challenge.directory.validate_directory`, naming the line of the record.

Opening hours are a list of sessions ``{days, opens, closes}``, or ``24/7``. A session that is not every week,
or that started or stopped on a known day, says so with optional keys::

    hours:
      - {days: Mon-Fri, opens: "09:00", closes: "17:00"}                        # every week, always
      - {days: Wed, opens: "18:00", closes: "20:00", every: 2 weeks, from: 2025-04-02}  # fortnightly from then
      - {days: Sat, opens: "10:00", closes: "12:00", interval: 2}               # fortnightly (weeks from the period)
      - {days: Tue, opens: "13:00", closes: "15:00", until: 2025-07-22}         # stopped after that day

``every`` takes ``2 weeks``, ``3 weeks``, ``fortnight``, ``other week`` or ``week``; ``interval`` the same as a
number of weeks. ``from`` is the first day (for a fortnightly session it says which weeks: give it, or the weeks
are counted from the start of the period hours are averaged over) and ``until`` the last day (``YYYY-MM-DD``).
They become the HSDS 3.0 ``schedule`` fields ``interval``, ``dtstart`` and ``until`` (see
:mod:`circles.challenge.schedules`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from circles.challenge.directory import (
    TABLES,
    DirectoryError,
    ServiceDirectory,
    _parse_date,
    _parse_days,
    _parse_time,
    _Rows,
    _text,
    validate_directory,
)
from circles.challenge.schedules import rule_rows
from circles.qualitative.model import Codebook
from circles.validation import KeyLines, key_lines, validate_model

__all__ = ["read_services_yaml"]

_INT = "tag:yaml.org,2002:int"


class _Loader(yaml.SafeLoader):
    """Safe YAML in which ``17:00`` stays text (no YAML 1.1 base-60 numbers, floats or timestamps)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":int", ":float", ":timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))


# ---------------------------------------------------------------------------------------------- the model
def _scalar(value: Any) -> Any:
    """A YAML scalar as stripped text (``12`` -> ``"12"``, blank -> ``""``); other values are left to pydantic."""
    if value is None or isinstance(value, str | int | float | bool):
        return _text(value)
    return value


def _as_list(value: Any) -> Any:
    """``None`` -> ``[]``; a single value -> a list of it."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _mappings(value: Any, hint: str) -> Any:
    """A list of mappings (a single mapping is a list of one); else the ``hint`` saying how to write them."""
    items = _as_list(value)
    if not all(isinstance(item, dict) for item in items):
        raise ValueError(hint)
    return items


#: Text: a YAML scalar, written as a string.
Text = Annotated[str, BeforeValidator(_scalar)]
#: Text or a list of them.
Texts = Annotated[list[Text], BeforeValidator(_as_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_EVERY = re.compile(r"^(?:every\s+)?(?:(\d+)(?:\s*weeks?)?|(other)\s+week|(a\s+)?(week|fortnight))$", re.IGNORECASE)


class OpeningSession(_Strict):
    """One session of opening hours, e.g. ``{days: Mon-Fri, opens: "09:00", closes: "17:00"}``.

    ``days`` as ``Mon-Fri``, ``[Sat, Sun]``, ``MO,TU``, ``weekdays``, ``daily`` or ISO numbers (1 Monday); times
    ``"HH:MM"``; a closing time before the opening time runs past midnight. Optional: ``every`` (``2 weeks``,
    ``fortnight``, ``other week``; default every week) or ``interval`` (weeks: 2 is fortnightly), ``from`` (the
    first day, ``YYYY-MM-DD``; it says which weeks a fortnightly session is on) and ``until`` (the last day).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    days: list[int]
    opens: str
    closes: str
    every: int | None = None
    interval: int | None = None
    first: str = Field("", alias="from")
    until: str = ""

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> list[int]:
        return _parse_days(value)

    @field_validator("opens", mode="before")
    @classmethod
    def _opens(cls, value: Any) -> str:
        return _time(value, closing=False)

    @field_validator("closes", mode="before")
    @classmethod
    def _closes(cls, value: Any) -> str:
        return _time(value, closing=True)

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> int | None:
        text = _text(value)
        if not text:
            return None
        match = _EVERY.match(text)
        if not match:
            raise ValueError(f"{text!r} is not how often; write e.g. '2 weeks', 'fortnight' or 'week'.")
        if match.group(1):
            return int(match.group(1))
        return 2 if match.group(2) or match.group(4).lower() == "fortnight" else 1

    @field_validator("first", "until", mode="before")
    @classmethod
    def _date(cls, value: Any) -> str:
        try:
            return _parse_date(value)
        except ValueError as error:
            raise ValueError(f"{error}.") from None

    @model_validator(mode="after")
    def _not_empty(self) -> OpeningSession:
        if self.every is not None and self.interval is not None and self.every != self.interval:
            raise ValueError(f"'every' ({self.every} weeks) and 'interval' ({self.interval}) differ; give one.")
        if (self.interval or self.every or 1) < 1:
            raise ValueError("a session is every 1 week or more ('interval: 1', 'every: 2 weeks').")
        if self.first and self.until and self.until < self.first:
            raise ValueError(f"'until' ({self.until}) is before 'from' ({self.first}).")
        try:
            self.rows()
        except ValueError as error:
            raise ValueError(f"{error}.") from None
        return self

    def rows(self) -> list[dict[str, Any]]:
        """The tidy ``schedules`` rows of the session (weekday, times, rule), split at midnight when overnight."""
        weeks = self.interval or self.every or 1
        days = [(0, day) for day in self.days]
        return rule_rows(self.opens, self.closes, days=days, interval=weeks, dtstart=self.first, until=self.until)


def _time(value: Any, *, closing: bool) -> str:
    try:
        return _parse_time(value, closing=closing)
    except ValueError as error:
        raise ValueError(f"{error}.") from None


class TaxonomyEntry(_Strict):
    """A taxonomy term of a service: ``{scheme: ..., term: ...}``."""

    scheme: Text = ""
    term: Text = ""


class OrganisationEntry(_Strict):
    """An organisation: ``id, name, description``."""

    id: Text
    name: Text = ""
    description: Text = ""


class LocationEntry(_Strict):
    """A location: ``id, name, postcode``."""

    id: Text
    name: Text = ""
    postcode: Text = ""


class ServiceEntry(_Strict):
    """A service: who runs it, where, when, for whom, its taxonomy terms and the codebook codes it meets."""

    id: Text
    organisation: Text = ""
    name: Text
    description: Text = ""
    status: Text = "active"
    locations: Texts = Field(default_factory=list)
    hours: list[OpeningSession] = Field(default_factory=list)
    eligibility: Texts = Field(default_factory=list)
    taxonomy: list[TaxonomyEntry] = Field(default_factory=list)
    meets: Texts = Field(default_factory=list)

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if _text(value).lower() == "24/7":
            return [{"days": "daily", "opens": "00:00", "closes": "24:00"}]
        return _mappings(value, "write '24/7' or a list of {days, opens, closes}")

    @field_validator("taxonomy", mode="before")
    @classmethod
    def _taxonomy(cls, value: Any) -> Any:
        return _mappings(value, "write each term as {scheme: ..., term: ...}")


class DirectoryFile(_Strict):
    """A service directory file: its ``organisations``, ``locations`` and ``services``."""

    name: Text = ""
    description: Text = ""
    organisations: list[OrganisationEntry] = Field(default_factory=list)
    locations: list[LocationEntry] = Field(default_factory=list)
    services: list[ServiceEntry] = Field(default_factory=list)

    @field_validator("organisations", "locations", "services", mode="before")
    @classmethod
    def _blank_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


# ---------------------------------------------------------------------------------------------- reading
#: How the YAML names the tidy columns that are not keys of the same name (for error messages).
_COLUMNS = {
    "services": {"organisation_id": "key 'organisation'"},
    "service_locations": {"service_id": "key 'id'", "location_id": "key 'locations'"},
    "schedules": {
        "opens_at": "key 'opens'",
        "closes_at": "key 'closes'",
        "weekday": "key 'days'",
        "interval": "key 'every' (or 'interval')",
        "dtstart": "key 'from'",
        "until": "key 'until'",
    },
    "eligibility": {"service_id": "key 'id'"},
    "taxonomy": {"service_id": "key 'id'"},
    "needs": {"service_id": "key 'id'", "code_id": "key 'meets'"},
}


def read_services_yaml(path: str | Path, *, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Read a hand-written service directory from YAML.

    The file has ``organisations`` (``id, name, description``), ``locations`` (``id, name, postcode``) and
    ``services``; each service has ``id, organisation, name, description, status`` (default ``active``),
    ``locations`` (ids), ``hours`` (``"24/7"`` or a list of ``{days, opens, closes}``; days as ``Mon-Fri``,
    ``[Sat, Sun]``, ``weekdays``, ``daily``; times ``"HH:MM"``, a closing time before the opening time runs
    past midnight; optional ``every: 2 weeks`` or ``interval: 2``, ``from`` and ``until`` dates, see the module
    docstring), ``eligibility`` (text or a list), ``taxonomy`` (``{scheme, term}`` items) and ``meets``
    (codebook code ids). See ``pipelines/demo_services.yaml`` and :class:`DirectoryFile`.

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
        text = path.read_text(encoding="utf-8-sig")
        data, lines = yaml.load(text, Loader=_Loader), key_lines(text, loader=_Loader)
    except yaml.YAMLError as error:
        raise DirectoryError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}: expected a mapping with 'organisations', 'locations' and 'services'.")
    model = validate_model(DirectoryFile, data, path=path, lines=lines, what="service directory", error=DirectoryError)
    return validate_directory(_tables(model, lines, path.name).directory("key"), codebook)


def _tables(model: DirectoryFile, lines: KeyLines, file: str) -> _Rows:
    """The tidy rows of a validated file, each with its origin ``"<file> line N (services[0] 'id')"``."""
    out = _Rows()
    out.columns = {t: dict(_COLUMNS.get(t, {})) for t in TABLES}
    for kind, records in (("organisations", model.organisations), ("locations", model.locations)):
        for index, record in enumerate(records):
            at = f"{file} line {lines[(kind, index)]} ({kind}[{index}] {record.id!r})"
            out.put(kind, at, **{c: getattr(record, c) for c in TABLES[kind]})
    for index, service in enumerate(model.services):
        _service_rows(service, index, lines, file, out)
    return out


def _service_rows(service: ServiceEntry, index: int, lines: KeyLines, file: str, out: _Rows) -> None:
    """The rows of one service: itself, its locations, eligibility, taxonomy, codes met and opening hours."""
    line = lines[("services", index)]
    at = f"{file} line {line} (services[{index}] {service.id!r})"
    service_id = service.id
    out.put(
        "services",
        at,
        id=service_id,
        organisation_id=service.organisation,
        name=service.name,
        description=service.description,
        status=service.status,
    )
    for location in service.locations:
        out.put("service_locations", at, service_id=service_id, location_id=location)
    for text in service.eligibility:
        out.put("eligibility", at, service_id=service_id, text=text)
    for term in service.taxonomy:
        out.put("taxonomy", at, service_id=service_id, scheme=term.scheme, term=term.term)
    for code in service.meets:
        out.put("needs", at, service_id=service_id, code_id=code)
    hours = ("services", index, "hours")
    for number, session in enumerate(service.hours):
        session_at = f"{file} line {_session_line(lines, hours, number, line)} (service {service_id!r})"
        for rule in session.rows():
            out.put("schedules", session_at, service_id=service_id, **rule)


def _session_line(lines: KeyLines, hours: tuple[Any, ...], number: int, service_line: int) -> int:
    """The line of session ``number`` of ``hours``: the list item, else the single mapping, else (24/7) the service."""
    if (*hours, number) in lines:
        return lines[(*hours, number)]
    keys = [n for key, n in lines.items() if len(key) == len(hours) + 1 and key[: len(hours)] == hours]
    return min(keys, default=service_line)
