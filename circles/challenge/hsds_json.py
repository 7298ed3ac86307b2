"""HSDS 3.0 JSON (the API's ``service`` objects, as ``/services/{id}`` returns them): import.

:func:`import_hsds_json` reads a file holding one service, a list of them, or a page of them
(``{"contents": [...]}``), checks every service against the official ``service.json`` JSON Schema (embedded in
``circles/challenge/openreferral/hsds-3.0/schema/``; ``$ref`` s resolved there, never on the network), flattens
the nested objects into the HSDS tables, and reads those with the reader of the CSV packages
(:mod:`circles.challenge.open_referral`), so the same rules apply (codes met are terms of the ``circles``
taxonomy, and so on).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from circles.challenge.directory import DirectoryError, ServiceDirectory
from circles.challenge.open_referral import _read_all, _Table
from circles.qualitative.model import Codebook

__all__ = ["import_hsds_json"]

_SCHEMAS = Path(__file__).parent / "openreferral" / "hsds-3.0" / "schema"


@cache
def _validator() -> jsonschema.protocols.Validator:
    """A validator of ``service.json`` whose ``$ref`` s (``"organization.json"``…) resolve to the embedded files."""
    registry: Registry = Registry()
    for path in sorted(_SCHEMAS.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(
            path.name, Resource.from_contents(contents, default_specification=DRAFT202012)
        )
    schema = json.loads((_SCHEMAS / "service.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _services(data: Any, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(where, service)`` for one service, a list of them or a page ``{"contents": [...]}``."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return [(f"contents[{i}]", s) for i, s in enumerate(data["contents"])]
    if isinstance(data, list):
        return [(f"[{i}]", s) for i, s in enumerate(data)]
    if isinstance(data, dict):
        return [("", data)]
    raise DirectoryError(f"{path}: not an HSDS service, a list of services or a page {{'contents': [...]}}.")


def _pointer(where: str, parts: Any) -> str:
    """``"contents[0]"`` + ``["schedules", 1, "opens_at"]`` -> ``"contents[0].schedules[1].opens_at"``."""
    text = where
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the service)"


def _check(services: list[tuple[str, dict[str, Any]]], path: Path) -> None:
    problems = []
    for where, service in services:
        for error in sorted(_validator().iter_errors(service), key=lambda e: list(e.absolute_path)):
            problems.append(f"{path}, {_pointer(where, error.absolute_path)}: {error.message}")
    if problems:
        shown = "\n  - ".join(problems[:25])
        more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
        raise DirectoryError(
            f"{path}: {len(problems)} problem(s) against the HSDS 3.0 service schema:\n  - {shown}{more}"
        )


def _rows(service: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(table, row)`` for the service and every object nested in it (ids linking them filled in)."""
    scalars = {k: v for k, v in service.items() if not isinstance(v, dict | list)}
    organization = service.get("organization")
    if isinstance(organization, dict):
        scalars.setdefault("organization_id", organization.get("id"))
        yield "organisations", {k: v for k, v in organization.items() if not isinstance(v, dict | list)}
    yield "services", scalars
    for schedule in service.get("schedules") or []:
        yield "schedules", {"service_id": service["id"], **_flat(schedule)}
    for link in service.get("service_at_locations") or []:
        location = link.get("location") or {}
        location_id = link.get("location_id") or location.get("id")
        yield "service_at_locations", {"id": link.get("id"), "service_id": service["id"], "location_id": location_id}
        if location:
            yield "locations", _flat(location)
            for address in location.get("addresses") or []:
                yield "addresses", {"location_id": location_id, **_flat(address)}
        for schedule in link.get("schedules") or []:
            yield "schedules", {"service_at_location_id": link.get("id"), **_flat(schedule)}
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        term_id = attribute.get("taxonomy_term_id") or term.get("id")
        yield (
            "attributes",
            {"link_entity": "service", "link_id": service["id"], **_flat(attribute), "taxonomy_term_id": term_id},
        )
        if term:
            detail = term.get("taxonomy_detail") or {}
            yield "taxonomy_terms", {"taxonomy": detail.get("name", ""), **_flat(term)}


def _flat(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not isinstance(v, dict | list)}


def import_hsds_json(path: str | Path, *, codebook: Codebook | str | Path | None = None) -> ServiceDirectory:
    """Import HSDS 3.0 JSON: one service, a list of them, or a page ``{"contents": [...]}``.

    Each service is checked against the official ``service.json`` schema first. Read from it: the service,
    its ``organization``, ``schedules``, ``service_at_locations`` (each ``location`` with its ``addresses`` and
    ``schedules``) and ``attributes`` (each ``taxonomy_term``, its vocabulary ``taxonomy`` or
    ``taxonomy_detail.name``). An organisation or location met in several services is read once.

    Parameters
    ----------
    path : path-like
        The ``.json`` file.
    codebook : Codebook or path, optional
        When given, every code met must be in it.

    Returns
    -------
    ServiceDirectory

    Raises
    ------
    DirectoryError
        When the file is not JSON, or a service breaks the schema (naming the path in the object, e.g.
        ``contents[0].schedules[1].opens_at``), or the services do not make a valid directory.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> service = {"id": "s1", "name": "Drop-in", "status": "active",
    ...            "schedules": [{"id": "r1", "freq": "WEEKLY", "byday": "MO", "opens_at": "09:00",
    ...                           "closes_at": "12:00"}]}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = pathlib.Path(folder) / "service.json"
    ...     _ = file.write_text(json.dumps(service))
    ...     import_hsds_json(file).schedules.iloc[:, :4].values.tolist()
    [['s1', 0, '09:00', '12:00']]
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise DirectoryError(f"{path}: cannot read this JSON file ({error}).") from error
    services = _services(data, path)
    _check(services, path)
    rows: dict[str, list[dict[str, Any]]] = {}
    for _, service in services:
        for table, row in _rows(service):
            rows.setdefault(table, []).append(row)
    tables: dict[str, _Table] = {}
    for table, items in rows.items():
        frame = pd.DataFrame(items).astype(object).where(lambda f: f.notna(), "").astype(str)
        if table in ("organisations", "locations", "taxonomy_terms"):
            frame = frame.drop_duplicates("id")
        tables[table] = _Table(Path(f"{path.name} {table}"), frame.reset_index(drop=True))
    return _read_all(tables, f"{path} (HSDS 3.0 JSON)", codebook)
