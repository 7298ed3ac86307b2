"""HSDS 3.0 (and the Open Referral UK 3.0 profile) CSV packages: import, export and validation.

:func:`import_hsds` reads a package with the reader shared with Open Referral UK v1
(:mod:`circles.challenge.open_referral`), honouring its ``datapackage.json`` when there is one.
:func:`export_hsds` writes a package that conforms to the official HSDS 3.0 descriptor (or the UK profile's):
every table and column the descriptor defines, its ``datapackage.json`` the official resources of the tables
written, ids ``string/uuid``. :func:`validate_hsds` checks a folder against the official descriptor, embedded in
``circles/challenge/openreferral/`` (see its README for source, licence and checksums), offline.

Ids: HSDS 3.0 ids are UUIDs. An exported record's id is ``uuid5(NAMESPACE, "<table>:<source id>")`` (stable
from one export to the next); the source id is kept in the standard's own way, as an ``attribute`` linking the
record to a ``taxonomy_term`` of the taxonomy ``circles source id`` whose ``name`` is the source id.
:func:`import_hsds` maps the UUIDs back, so an export reads back to an equal directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from circles.challenge.directory import (
    _VOCABULARY,
    RULE_COLUMNS,
    WEEKDAYS,
    DirectoryError,
    ServiceDirectory,
    validate_directory,
)
from circles.challenge.open_referral import (
    _ELIGIBILITY_SCHEME,
    _SOURCE_SCHEME,
    NAMESPACE,
    NOT_RECORDED,
    PLACEHOLDER_ORGANISATION,
    _import_tables,
    hsds_uuid,
)
from circles.io.writers import atomic_path, write_csv
from circles.qualitative.model import Codebook

__all__ = ["NAMESPACE", "Problem", "import_hsds", "export_hsds", "hsds_descriptor", "validate_hsds"]

Profile = Literal["hsds", "uk"]
_DESCRIPTORS = {"hsds": "hsds-3.0/datapackage.json", "uk": "uk-profile-3.0/datapackage.json"}


def import_hsds(folder: str | Path, *, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Import an HSDS 3.0 (or Open Referral UK 3.0 profile) CSV package from a folder.

    Reads ``organization``, ``service`` (required; ``eligibility_description`` one eligibility per line),
    ``location`` with ``address`` (postcode from a physical ``postal_code``), ``service_at_location``,
    ``schedule``, ``taxonomy_term`` (vocabulary in ``taxonomy``, or the ``name`` of the ``taxonomy`` it points to
    by ``taxonomy_id``) and ``attribute`` (``link_id`` a service, ``taxonomy_term_id``; or ``label`` ``circles``
    with the code id in ``value``). With a ``datapackage.json`` the file of each table is the ``path`` of its
    resource (so ``address.csv`` and ``addresses.csv`` side by side are told apart); without one, names singular
    or plural. Absent tables are empty. Terms of the ``circles`` vocabulary become ``needs``; ids kept as
    ``circles source id`` terms (see the module docstring) replace the UUIDs. Tables and columns not read are
    listed by :func:`circles.challenge.open_referral.import_directory_report`.

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
    return _import_tables(folder, "HSDS 3.0", codebook)[0]


# ---------------------------------------------------------------------------------------------- descriptors
@cache
def _embedded(name: str) -> str:
    return resources.files("circles.challenge").joinpath("openreferral", name).read_text(encoding="utf-8")


def hsds_descriptor(profile: Profile = "hsds") -> dict[str, Any]:
    """The official Tabular Data Package descriptor: HSDS 3.0 (``"hsds"``) or the Open Referral UK profile (``"uk"``).

    A fresh copy of the embedded file (see ``circles/challenge/openreferral/README.md``).

    Examples
    --------
    >>> [r["path"] for r in hsds_descriptor("uk")["resources"] if r["name"] == "address"]
    ['address.csv']
    >>> [r["path"] for r in hsds_descriptor()["resources"] if r["name"] == "address"]
    ['addresses.csv']
    """
    if profile not in _DESCRIPTORS:
        raise DirectoryError(f"profile {profile!r} is not one of {', '.join(_DESCRIPTORS)}; use 'hsds' or 'uk'.")
    return json.loads(_embedded(_DESCRIPTORS[profile]))


def _resources(profile: Profile) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in hsds_descriptor(profile)["resources"]}


# ---------------------------------------------------------------------------------------------- HSDS export
def _clock(hhmm: str) -> str:
    """``"09:00"`` -> ``"09:00:00"``; ``"24:00"`` -> ``"23:59:59"`` (ISO times stop at 23:59:59)."""
    return "23:59:59" if hhmm == "24:00" else f"{hhmm}:00"


def _or_not_recorded(values: pd.Series) -> list[str]:
    return [v or NOT_RECORDED for v in values]


def export_hsds(directory: ServiceDirectory, folder: str | Path, *, profile: Profile = "hsds") -> Path:
    """Write an HSDS 3.0 CSV package that conforms to the official descriptor; return its ``datapackage.json``.

    Tables ``organization``, ``service``, ``location``, ``address``, ``service_at_location``, ``schedule``,
    ``taxonomy``, ``taxonomy_term`` and ``attribute``, each with every column of the official descriptor (blank
    where the directory has nothing) in its file (``services.csv``…; the UK profile's ``address.csv``…), and a
    ``datapackage.json`` holding the official resources of those tables. Ids are uuid5 (see the module
    docstring), the source ids kept as ``circles source id`` terms. Required text the directory lacks is written
    ``not recorded`` (an address's first line is its location's name; a blank service status ``active``; a
    service without organisation belongs to the organisation ``Organisation not recorded``), and read back as
    blank. Eligibility goes in ``service.eligibility_description`` (one per line), or with ``profile="uk"``
    (which has no such column) as terms of the taxonomy ``circles eligibility``. Codes met are terms of the
    taxonomy ``circles`` (the code id in ``code`` and ``name``); opening hours are weekly ``schedule`` rows, one
    per service and session, times ``HH:MM:SS`` with midnight at the end of the day ``23:59:59``.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory (it is validated first).
    folder : path-like
        The folder to write; created if needed. Files are written atomically.
    profile : {"hsds", "uk"}
        HSDS 3.0, or the Open Referral UK profile of it.

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
    ...     schedule = pd.read_csv(pathlib.Path(folder) / "schedules.csv", dtype=str)
    ...     print(schedule.loc[0, ["freq", "byday", "opens_at", "closes_at"]].tolist())
    ...     import_hsds(folder).equals(d), validate_hsds(folder)
    ['WEEKLY', 'MO,TU,WE,TH,FR,SA,SU', '00:00:00', '23:59:59']
    (True, [])
    """
    validate_directory(directory)
    hsds_descriptor(profile)  # an unknown profile is an error before anything is written
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    taxonomy, taxonomy_term, attribute = _hsds_terms(directory, profile)
    frames = {
        "organization": _hsds_organization(directory),
        "service": _hsds_service(directory, profile),
        "location": _hsds_location(directory),
        "address": _hsds_address(directory),
        "service_at_location": _hsds_service_at_location(directory),
        "schedule": _hsds_schedule(directory),
        "program": pd.DataFrame(),  # empty: the descriptor's service.program_id refers to it
        "taxonomy": taxonomy,
        "taxonomy_term": taxonomy_term,
        "attribute": attribute,
    }
    return _write_package(folder, frames, profile)


def _hsds_organization(d: ServiceDirectory) -> pd.DataFrame:
    orgs = d.organisations
    frame = pd.DataFrame(
        {
            "id": [hsds_uuid("organization", x) for x in orgs["id"]],
            "name": orgs["name"].tolist(),
            "description": _or_not_recorded(orgs["description"]),
        },
        columns=["id", "name", "description"],
    )
    if (d.services["organisation_id"] == "").any():
        placeholder = {"id": PLACEHOLDER_ORGANISATION, "name": "Organisation not recorded", "description": NOT_RECORDED}
        frame = pd.concat([frame, pd.DataFrame([placeholder])], ignore_index=True)
    return frame


def _hsds_service(d: ServiceDirectory, profile: Profile) -> pd.DataFrame:
    """The services, with their eligibility in ``eligibility_description`` (one per line; not in the UK profile)."""
    eligibility = d.eligibility.groupby("service_id", sort=False)["text"].agg("\n".join).to_dict()
    services = d.services
    orgs = [hsds_uuid("organization", o) if o else PLACEHOLDER_ORGANISATION for o in services["organisation_id"]]
    frame = pd.DataFrame(
        {
            "id": [hsds_uuid("service", s) for s in services["id"]],
            "organization_id": orgs,
            "name": services["name"].tolist(),
            "description": services["description"].tolist(),
            "status": [s or "active" for s in services["status"]],
        },
        columns=["id", "organization_id", "name", "description", "status"],
    )
    if profile == "hsds":
        frame["eligibility_description"] = [eligibility.get(s, "") for s in services["id"]]
    return frame


def _hsds_location(d: ServiceDirectory) -> pd.DataFrame:
    locations = d.locations
    return pd.DataFrame(
        {
            "id": [hsds_uuid("location", x) for x in locations["id"]],
            "location_type": "physical",
            "name": locations["name"].tolist(),
        },
        columns=["id", "location_type", "name"],
    )


def _hsds_address(d: ServiceDirectory) -> pd.DataFrame:
    """One physical address per location with a postcode (first line its name; town and county not recorded)."""
    with_postcode = d.locations[d.locations["postcode"] != ""]
    return pd.DataFrame(
        {
            "id": [hsds_uuid("address", x) for x in with_postcode["id"]],
            "location_id": [hsds_uuid("location", x) for x in with_postcode["id"]],
            "address_1": _or_not_recorded(with_postcode["name"]),
            "city": NOT_RECORDED,
            "state_province": NOT_RECORDED,
            "postal_code": with_postcode["postcode"].tolist(),
            "country": "GB",
            "address_type": "physical",
        },
        columns=["id", "location_id", "address_1", "city", "state_province", "postal_code", "country", "address_type"],
    )


def _hsds_service_at_location(d: ServiceDirectory) -> pd.DataFrame:
    links = list(zip(d.service_locations["service_id"], d.service_locations["location_id"], strict=True))
    return pd.DataFrame(
        {
            "id": [hsds_uuid("service_at_location", f"{s}\x1f{x}") for s, x in links],
            "service_id": [hsds_uuid("service", s) for s, _ in links],
            "location_id": [hsds_uuid("location", x) for _, x in links],
        },
        columns=["id", "service_id", "location_id"],
    )


def _hsds_schedule(d: ServiceDirectory) -> pd.DataFrame:
    """Schedule rows, one per service, session and rule (its weekdays joined in ``byday``), with the rule's
    ``freq, interval, bymonthday, byweekno, dtstart, until, count, valid_from, valid_to`` (blank when unset), so
    that :func:`import_hsds` reads back the same rows."""
    rules = [c for c in RULE_COLUMNS if c != "byday"]
    keys = ["service_id", "opens_at", "closes_at", *rules]
    schedule_rows: list[dict[str, str]] = []
    for key, sessions in d.schedules.groupby(keys, sort=False):
        rule = dict(zip(keys, key, strict=True))
        weekly = sessions[sessions["weekday"] >= 0]
        pairs = zip(weekly["weekday"], weekly["byday"], strict=True)
        bydays = [byday or WEEKDAYS[day] for day, byday in pairs]  # a weekday, or its ordinals (1MO)
        groups = [",".join(bydays)] if bydays else []
        groups += sessions.loc[sessions["weekday"] < 0, "byday"].tolist()  # rules with a count: one row each
        for byday in groups:
            schedule_rows.append(
                {
                    "id": hsds_uuid("schedule", "\x1f".join(str(v) for v in (*key, byday))),
                    "service_id": hsds_uuid("service", str(rule["service_id"])),
                    "freq": str(rule["freq"]),
                    "interval": str(rule["interval"]),
                    "byday": byday,
                    "bymonthday": str(rule["bymonthday"]),
                    "byweekno": str(rule["byweekno"]),
                    "dtstart": str(rule["dtstart"]),
                    "until": str(rule["until"]),
                    "count": str(rule["count"] or ""),
                    "valid_from": str(rule["valid_from"]),
                    "valid_to": str(rule["valid_to"]),
                    "opens_at": _clock(str(rule["opens_at"])),
                    "closes_at": _clock(str(rule["closes_at"])),
                }
            )
    columns = ["id", "service_id", "freq", "interval", "byday", "bymonthday", "byweekno", "dtstart", "until"]
    return pd.DataFrame(schedule_rows, columns=[*columns, "count", "valid_from", "valid_to", "opens_at", "closes_at"])


def _tags(d: ServiceDirectory, profile: Profile) -> list[tuple[str, str, str, str]]:
    """``(table, source id, scheme, term)``: codes met, taxonomy terms, eligibility (UK) and source ids."""
    tags = [("service", s, _VOCABULARY, c) for s, c in zip(d.needs["service_id"], d.needs["code_id"], strict=True)]
    taxonomy = d.taxonomy
    tags += [
        ("service", s, scheme, term)
        for s, scheme, term in zip(taxonomy["service_id"], taxonomy["scheme"], taxonomy["term"], strict=True)
    ]
    if profile == "uk":
        eligibility = zip(d.eligibility["service_id"], d.eligibility["text"], strict=True)
        tags += [("service", s, _ELIGIBILITY_SCHEME, t) for s, t in eligibility]
    for table, frame in (("organization", d.organisations), ("service", d.services), ("location", d.locations)):
        tags += [(table, x, _SOURCE_SCHEME, x) for x in frame["id"]]
    return tags


def _hsds_terms(d: ServiceDirectory, profile: Profile) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``taxonomy`` (one per scheme), ``taxonomy_term`` and the ``attribute`` rows linking records to terms."""
    schemes: dict[str, dict[str, str]] = {}
    terms: dict[tuple[str, str, str], dict[str, str]] = {}
    attributes: list[dict[str, str]] = []
    for table, source_id, scheme, term in _tags(d, profile):
        taxonomy_id = hsds_uuid("taxonomy", scheme)
        schemes.setdefault(scheme, {"id": taxonomy_id, "name": scheme, "description": f"Terms of {scheme!r}."})
        # a source id is a term of its own record; other terms are shared by every record they tag
        key = (scheme, term, f"{table}:{source_id}" if scheme == _SOURCE_SCHEME else "")
        if key not in terms:
            described = f"The id of this {table} in the source directory." if key[2] else f"{scheme}: {term}"
            terms[key] = {
                "id": hsds_uuid("taxonomy_term", "\x1f".join(key)),
                "code": term if scheme == _VOCABULARY else "",
                "name": term,
                "description": described,
                "taxonomy": scheme,
                "taxonomy_id": taxonomy_id,
            }
        record = hsds_uuid(table, source_id)
        attributes.append(
            {
                "id": hsds_uuid("attribute", f"{record}\x1f{terms[key]['id']}"),
                "link_id": record,
                "taxonomy_term_id": terms[key]["id"],
                "link_entity": table,
            }
        )
    return pd.DataFrame(list(schemes.values())), pd.DataFrame(list(terms.values())), pd.DataFrame(attributes)


def _write_package(folder: Path, frames: dict[str, pd.DataFrame], profile: Profile) -> Path:
    """Write each table with the official columns, then the official descriptor of the tables written."""
    official = hsds_descriptor(profile)
    chosen = [r for r in official["resources"] if r["name"] in frames]
    for resource in chosen:
        columns = [f["name"] for f in resource["schema"]["fields"]]
        frame = frames[resource["name"]].reindex(columns=columns).astype(object).fillna("")
        write_csv(frame, folder / resource["path"])
    package = {k: v for k, v in official.items() if k != "resources"} | {"resources": chosen}
    target = folder / "datapackage.json"
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------- validation
@dataclass(frozen=True)
class Problem:
    """One way a package fails the official descriptor: its file, row (from 1 under the header), column, what."""

    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        row = f", row {self.row}" if self.row is not None else ""
        column = f", column {self.column!r}" if self.column else ""
        return f"{self.file}{row}{column}: {self.message}"


def _files_of(folder: Path, official: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The file of each official resource present: by the folder's ``datapackage.json``, else by file name."""
    descriptor = folder / "datapackage.json"
    if descriptor.is_file():
        try:
            named = {str(r["name"]): r["path"] for r in json.loads(descriptor.read_text("utf-8-sig"))["resources"]}
        except (ValueError, KeyError, TypeError) as error:
            raise DirectoryError(f"{descriptor}: not a data package descriptor ({error!r}).") from error
        return {n: p for n, p in named.items() if n in official and isinstance(p, str) and (folder / p).is_file()}
    files: dict[str, str] = {}
    for name, resource in official.items():
        candidates = [resource["path"], f"{name}.csv", f"{name}s.csv"]
        found = next((c for c in candidates if (folder / c).is_file()), None)
        if found:
            files[name] = found
    return files


def _header_problems(folder: Path, resource: dict[str, Any]) -> list[Problem]:
    """Required columns missing from the file's header."""
    header = pd.read_csv(folder / resource["path"], nrows=0, dtype=str, encoding="utf-8-sig").columns
    return [
        Problem(resource["path"], None, f["name"], "required column missing; add it (HSDS 3.0 requires it).")
        for f in resource["schema"]["fields"]
        if f.get("constraints", {}).get("required") and f["name"] not in header
    ]


def validate_hsds(folder: str | Path, *, profile: Profile = "hsds") -> list[Problem]:
    """Check a CSV package against the official HSDS 3.0 (or UK profile) descriptor; return every problem.

    Each table present (found by the folder's ``datapackage.json``, else as the descriptor's file name or the
    table's name singular or plural) is checked with ``frictionless`` against the *official* schema, not the
    folder's own: required columns and values, types and formats (``string/uuid``, ``date``, ``time``…),
    enumerations, unique ids, primary and foreign keys. A foreign key to a table the folder lacks is a problem
    only where the column is filled in. Columns may come in any order; extra columns are not problems.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "services.csv").write_text("id,name,status\\ns1,Drop-in,active\\n")
    ...     for problem in validate_hsds(folder):
    ...         print(problem)
    services.csv, column 'organization_id': required column missing; add it (HSDS 3.0 requires it).
    services.csv, row 1, column 'id': type is "string/uuid" (value 's1').
    """
    try:
        from frictionless import Package
    except ImportError as error:  # a dev extra today; see the module docstring
        raise DirectoryError("validate_hsds needs frictionless: pip install 'frictionless>=5'.") from error

    folder = Path(folder)
    if not folder.is_dir():
        raise DirectoryError(f"{folder}: no such folder of HSDS tables.")
    official = _resources(profile)
    files = _files_of(folder, official)
    if not files:
        return [Problem(str(folder), None, "", "no table of the HSDS 3.0 descriptor (services.csv…) in this folder.")]
    chosen = [official[name] | {"path": path} for name, path in files.items()]
    problems = [p for resource in chosen for p in _header_problems(folder, resource)]
    for resource in chosen:
        keys = resource["schema"].get("foreignKeys", [])
        resource["schema"]["foreignKeys"] = [k for k in keys if k["reference"]["resource"] in files]
        problems += _dangling(folder, resource, [k for k in keys if k["reference"]["resource"] not in files])
    for resource in chosen:
        resource["schema"]["fieldsMatch"] = "partial"  # any order; optional columns may be absent, others added
    package = Package({"resources": chosen}, basepath=str(folder))
    report = package.validate()
    for task in report.tasks:
        file = files.get(task.name or "", task.name or str(folder))
        typed = {e.row_number for e in task.errors if e.type == "type-error"}
        for error in task.errors:
            row = getattr(error, "row_number", None)
            if error.type == "missing-label" or (error.type == "primary-key" and row in typed):
                continue  # said once by _header_problems, or by the type error of the id
            cell = getattr(error, "cell", None)
            note = f"{error.note} (value {cell!r})" if cell not in (None, "") else error.note
            row = row - 1 if isinstance(row, int) else None  # frictionless counts the header as row 1
            problems.append(Problem(file, row, getattr(error, "field_name", "") or "", note + "."))
    return problems


def _dangling(folder: Path, resource: dict[str, Any], keys: list[dict[str, Any]]) -> list[Problem]:
    """Foreign keys filled in although the table they refer to is not in the folder."""
    if not keys:
        return []
    frame = pd.read_csv(folder / resource["path"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    problems = []
    for key in keys:
        column, target = key["fields"], key["reference"]["resource"]
        if column in frame.columns:
            filled = [i + 1 for i, v in enumerate(frame[column]) if v.strip()]
            if filled:
                message = f"refers to the {target} table, which is not in the folder; add it or blank the column."
                problems.append(Problem(resource["path"], filled[0], column, message))
    return problems
