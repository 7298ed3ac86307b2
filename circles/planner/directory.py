"""Process 1 and 2 of the planner: service registration (the directory) and identifying potential services.

The directory is imported from any format the pipeline reads (HSDS 3.0 / Open Referral UK CSV or JSON, Open
Referral UK v1, YAML), with each service's codes met, taxonomy terms, site postcode (geocoded to a grid
reference) and hours (evenings, weekends, from the same RFC 5545 schedules the Challenge stage reads).

A plain-language issue finds services by the codebook needs it maps to **or** the HSDS taxonomy terms it names;
the results can be limited to services open in the evenings or at weekends and to those within a distance of a
postcode, nearest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import PlannerError
from circles.planner.audit import record
from circles.planner.issues import FamilyIssue
from circles.planner.models import Service, User
from circles.planner.places import Gazetteer, Place, default_gazetteer

__all__ = ["DirectoryImport", "ServiceMatch", "import_directory", "search_services"]


@dataclass(frozen=True)
class DirectoryImport:
    """What :func:`import_directory` did: services added, updated and left as they were (not in the file)."""

    added: int
    updated: int
    kept: int
    without_site: int


@dataclass(frozen=True)
class ServiceMatch:
    """A service found for an issue: why it matched and how far it is (km, when a postcode was given)."""

    service: Service
    matched_by: tuple[str, ...]
    distance_km: float | None


def import_directory(
    session: Session,
    user: User | None,
    path: str | Path,
    *,
    gazetteer: Gazetteer | None = None,
    period: tuple[str, str] | None = None,
) -> DirectoryImport:
    """Add or update the planner's services from a directory file or folder (services not in it are kept).

    Only an admin may change the directory (``user`` None: the command line, run by whoever holds the database).
    """
    from circles.challenge.coverage import hours_table
    from circles.challenge.services import read_any_directory

    if user is not None and user.role != "admin":
        from circles.planner.records import Forbidden

        raise Forbidden("Only an admin changes the service directory.")
    directory, _report = read_any_directory(Path(path))
    gazetteer = gazetteer or default_gazetteer()
    hours = hours_table(directory, period=period).set_index("service_id")
    organisations = dict(zip(directory.organisations["id"], directory.organisations["name"], strict=True))
    codes = directory.needs.groupby("service_id")["code_id"].agg(list).to_dict()
    terms = directory.taxonomy.groupby("service_id")["term"].agg(list).to_dict()
    site = _service_sites(directory)
    added = updated = without_site = 0
    for row in directory.services.itertuples(index=False):
        if row.status not in ("", "active"):
            continue
        service = session.get(Service, row.id)
        if service is None:
            service = Service(id=row.id)
            session.add(service)
            added += 1
        else:
            updated += 1
        place = gazetteer.locate(site.get(row.id, ""))
        without_site += place is None
        known = row.id in hours.index and bool(hours.loc[row.id, "hours_known"])
        service.name = row.name
        service.organisation = organisations.get(row.organisation_id, "")
        service.description = row.description
        service.codes = sorted(set(codes.get(row.id, [])))
        service.taxonomy = sorted(set(terms.get(row.id, [])))
        service.postcode = place.postcode if place else ""
        service.easting = place.easting if place else None
        service.northing = place.northing if place else None
        service.hours = _hours_text(directory, row.id) if known else "hours not known"
        service.evenings = known and bool(hours.loc[row.id, "evenings"])
        service.weekends = known and bool(hours.loc[row.id, "weekends"])
    session.flush()
    kept = len(session.scalars(select(Service.id)).all()) - added - updated
    record(session, user, "directory.import", "directory", "", f"{Path(path).name}: {added} added, {updated} updated")
    return DirectoryImport(added, updated, kept, without_site)


def _service_sites(directory) -> dict[str, str]:
    """The first located site's postcode of each service."""
    postcodes = dict(zip(directory.locations["id"], directory.locations["postcode"], strict=True))
    sites: dict[str, str] = {}
    for link in directory.service_locations.itertuples(index=False):
        if postcodes.get(link.location_id) and link.service_id not in sites:
            sites[link.service_id] = postcodes[link.location_id]
    return sites


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day_span(days: list[int]) -> str:
    """Days as a reader says them: ``"Mon to Fri"``, ``"Tue, Thu"``, ``"Mon to Wed, Sat"``."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(f"{_DAYS[r[0]]} to {_DAYS[r[-1]]}" if len(r) > 2 else ", ".join(_DAYS[d] for d in r) for r in runs)


def _hours_text(directory, service_id: str) -> str:
    """Weekly opening hours in plain English, days with the same hours together.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.directory import ServiceDirectory
    >>> d = ServiceDirectory(
    ...     services=pd.DataFrame({"id": ["c"], "name": ["Centre"]}),
    ...     schedules=pd.DataFrame({"service_id": ["c"] * 7, "weekday": [0, 1, 2, 3, 4, 1, 5],
    ...                             "opens_at": ["09:00"] * 5 + ["18:00", "10:00"],
    ...                             "closes_at": ["16:00"] * 5 + ["21:00", "14:00"]}),
    ... )
    >>> _hours_text(d, "c")
    'Mon to Fri 09:00-16:00; Tue 18:00-21:00; Sat 10:00-14:00'
    """
    rows = directory.schedules[directory.schedules["service_id"] == service_id]
    sessions: dict[str, list[int]] = {}
    for r in rows.itertuples(index=False):
        when = f"{r.opens_at}-{r.closes_at}" + ("" if r.freq == "WEEKLY" and r.interval == 1 else " (some weeks)")
        sessions.setdefault(when, []).append(int(r.weekday))
    ordered = sorted(sessions.items(), key=lambda item: (min(item[1]), item[0]))
    return "; ".join(f"{_day_span(days)} {when}" for when, days in ordered)


def search_services(
    session: Session,
    issue: FamilyIssue | None = None,
    *,
    place: Place | None = None,
    within_km: float | None = None,
    evenings: bool = False,
    weekends: bool = False,
) -> list[ServiceMatch]:
    """Services for an issue (by its needs or taxonomy terms), optionally open out of hours and near a place.

    Results are nearest first when a place is given (services with no known site last), else by name.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from circles.planner.issues import default_family_issues
    >>> issue = default_family_issues().find("worklessness")
    >>> issue.needs, issue.taxonomy
    (('NEE07',), ('Community centre',))
    """
    matches = []
    for service in session.scalars(select(Service).order_by(Service.name)):
        why = _why(service, issue)
        if issue is not None and not why:
            continue
        if (evenings and not service.evenings) or (weekends and not service.weekends):
            continue
        distance = place.distance_km(service.easting, service.northing) if place is not None else None
        if within_km is not None and (distance is None or distance > within_km):
            continue
        matches.append(ServiceMatch(service, why, None if distance is None else round(distance, 1)))
    if place is not None:
        matches.sort(key=lambda m: (m.distance_km is None, m.distance_km or 0.0, m.service.name))
    return matches


def _why(service: Service, issue: FamilyIssue | None) -> tuple[str, ...]:
    if issue is None:
        return ()
    names = dict(zip(issue.needs, issue.need_names or issue.needs, strict=False))
    codes = [f"meets the need “{names.get(c, c)}” ({c})" for c in issue.needs if c in (service.codes or [])]
    lowered = {t.casefold() for t in service.taxonomy or []}
    terms = [f"is {t}" for t in issue.taxonomy if t.casefold() in lowered]
    return tuple(codes + terms)


def require_service(session: Session, service_id: str) -> Service:
    service = session.get(Service, str(service_id))
    if service is None:
        raise PlannerError(f"No service {service_id!r} in the directory.")
    return service
