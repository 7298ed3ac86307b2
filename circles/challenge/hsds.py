"""HSDS 3.0 (and the Open Referral UK 3.0 profile) CSV packages: import, and export with a ``datapackage.json``.

:func:`import_hsds` reads ``organization``, ``service``, ``location``, ``address``, ``service_at_location``,
``schedule``, ``taxonomy``, ``taxonomy_term`` and ``attribute`` (table names singular or plural) with the reader
shared with Open Referral UK v1 (:mod:`circles.challenge.open_referral`). :func:`export_hsds` writes a package
that :func:`import_hsds` reads back to an equal directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from circles.challenge.directory import _VOCABULARY, RULE_COLUMNS, WEEKDAYS, ServiceDirectory, validate_directory
from circles.challenge.open_referral import _import_tables
from circles.io.writers import atomic_path, write_csv
from circles.qualitative.model import Codebook

__all__ = ["import_hsds", "export_hsds"]

#: One table of the package: name, rows, foreign keys, required columns.
_Resource = tuple[str, pd.DataFrame, list[dict[str, Any]], dict[str, bool]]


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
    validate_directory(directory)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    taxonomy_term, attribute = _hsds_terms(directory)
    resources = [
        ("organization", _hsds_organization(directory), [], {"name": True}),
        ("service", _hsds_service(directory), [_fk("organization_id", "organization")], {"name": True}),
        ("location", _hsds_location(directory), [], {}),
        ("address", _hsds_address(directory), [_fk("location_id", "location")], {"location_id": True}),
        (
            "service_at_location",
            _hsds_service_at_location(directory),
            [_fk("service_id", "service"), _fk("location_id", "location")],
            {"service_id": True, "location_id": True},
        ),
        ("schedule", _hsds_schedule(directory), [_fk("service_id", "service")], {}),
        ("taxonomy_term", taxonomy_term, [], {"name": True}),
        (
            "attribute",
            attribute,
            [_fk("link_id", "service"), _fk("taxonomy_term_id", "taxonomy_term")],
            {"link_id": True, "taxonomy_term_id": True},
        ),
    ]
    return _write_package(folder, resources)


def _hsds_organization(d: ServiceDirectory) -> pd.DataFrame:
    return pd.DataFrame(
        {"id": d.organisations["id"], "name": d.organisations["name"], "description": d.organisations["description"]}
    )


def _hsds_service(d: ServiceDirectory) -> pd.DataFrame:
    """The services, with their eligibility in ``eligibility_description`` (one per line)."""
    eligibility = d.eligibility.groupby("service_id", sort=False)["text"].agg("\n".join).to_dict()
    return pd.DataFrame(
        {
            "id": d.services["id"],
            "organization_id": d.services["organisation_id"],
            "name": d.services["name"],
            "description": d.services["description"],
            "status": d.services["status"],
            "eligibility_description": [eligibility.get(s, "") for s in d.services["id"]],
        }
    )


def _hsds_location(d: ServiceDirectory) -> pd.DataFrame:
    return pd.DataFrame({"id": d.locations["id"], "location_type": "physical", "name": d.locations["name"]})


def _hsds_address(d: ServiceDirectory) -> pd.DataFrame:
    """One physical address per location with a postcode."""
    with_postcode = d.locations[d.locations["postcode"] != ""]
    return pd.DataFrame(
        {
            "id": [f"{x}-address" for x in with_postcode["id"]],
            "location_id": with_postcode["id"].tolist(),
            "postal_code": with_postcode["postcode"].tolist(),
            "country": "GB",
            "address_type": "physical",
        },
        columns=["id", "location_id", "postal_code", "country", "address_type"],
    )


def _hsds_service_at_location(d: ServiceDirectory) -> pd.DataFrame:
    links = d.service_locations
    return pd.DataFrame(
        {
            "id": [f"{s}-at-{x}" for s, x in zip(links["service_id"], links["location_id"], strict=True)],
            "service_id": links["service_id"].tolist(),
            "location_id": links["location_id"].tolist(),
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
                    "id": f"{rule['service_id']}-schedule-{len(schedule_rows) + 1}",
                    "service_id": str(rule["service_id"]),
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


def _hsds_terms(d: ServiceDirectory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``taxonomy_term`` (codes met in the ``circles`` taxonomy, then the other terms) and the ``attribute`` links."""
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
    return taxonomy_term, attribute


def _write_package(folder: Path, resources: list[_Resource]) -> Path:
    """Write each resource's CSV, then ``datapackage.json`` describing them; return its path."""
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
