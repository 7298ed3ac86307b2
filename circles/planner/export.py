"""What the planner learned, as a circles source: ``circles run`` re-runs the Understand stage on it.

:func:`export_source` writes six files into a folder:

``take_up.csv``
    One row per plan item that reached *referred*, *engaged* or *ended*: pseudonymous ``client_id`` and
    ``family_id``, the member's ``age_band``, ``sex`` (``U``: the planner does not record it), the area codes the
    family's postcode was placed in (``ward_code`` 2025, ``lsoa_code`` 2011, ``msoa_code`` 2011, and the same
    codes again as ``directory_osward``/``directory_lsoa11``/``directory_msoa11``, the names the pipeline's
    ``assign_areas`` stage reads a record's own area codes under), ``service``, ``provider`` (the organisation),
    ``referral_source`` and the ``referral_date``, ``start_date`` and ``end_date`` of its status changes. The
    ``postcode`` column is there because every pipeline source must map one, and is always **blank**: no postcode,
    name, date of birth or note ever leaves the planner.
``issues.csv``
    One row per issue: family pseudonym, issue code, label, Supporting Families outcome, codebook needs, the month
    it was raised (``YYYY-MM``) and the family's ward code.
``cohort.csv``, ``outcomes.csv``, ``family_needs.csv``
    The planner's families as the Change stage's pilot group (:mod:`circles.planner.export_outcomes` says how each
    column is made): one row per family (``family_id``, ``group`` = pilot, ``start_date``, ``age_band`` of the eldest
    adult, ``lsoa_code``, ``ward_code``, ``lead_practitioner`` and ``whole_family_plan`` yes/no, ``closed_date``);
    monthly ``wellbeing`` and ``plan_items_engaged`` (``family_id``, ``period`` ``YYYY-MM``, ``measure``,
    ``value``); one row per family and Supporting Families headline outcome (``identified_date``, ``outcome``
    positive / not yet, ``outcome_date``, ``sustained_to``). Dates ``YYYY-MM-DD``; the family pseudonyms are
    ``take_up.csv``'s.
``planner.yaml``
    A pipeline spec reading ``take_up.csv`` over the embedded Blackburn with Darwen geography, stages read,
    validate, pseudonymise, geocode, assign_areas, aggregate; disclosure policy ``nhs``; the pseudonymisation key
    is the key file given (``key: file``), else the environment variable (``key: env``). Keys never go in the
    export.

Pseudonyms are HMAC-SHA256 under a key derived from the planner's key file
(``cipher.derive("circles-planner-export")``), truncated to 20 hex digits: stable from one export to the next,
never the database's own identifiers, and not recomputable without the key file.

The records carry no postcode: ``geocode`` keeps a record whose postcode is blank when it carries the
``directory_<code>`` fields of the spec's layers (outcome ``area_codes``), and ``assign_areas`` places it by those
codes, so a run of ``planner.yaml`` counts the planner's families in their wards, LSOAs and MSOAs.

The folder is written only when it is new, empty or an earlier export (its marker file
:data:`MARKER` lists the files it wrote); each file is written atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from circles.errors import PlannerError
from circles.planner.db import Database
from circles.planner.export_outcomes import OUTCOME_FILES, outcome_tables
from circles.planner.issues import default_family_issues
from circles.planner.models import Family, FamilyIssue, Member, PlanEvent, PlanItem, Service, utcnow

__all__ = ["EXPORT_STATUSES", "ExportSummary", "MARKER", "TAKE_UP_COLUMNS", "export_source"]

#: The marker file of an export folder: what wrote it and which files.
MARKER = ".circles-planner-export.json"

#: Plan items in these statuses (at any time) are take-up.
EXPORT_STATUSES = ("referred", "engaged", "ended")

TAKE_UP_COLUMNS = (
    "client_id",
    "family_id",
    "age_band",
    "sex",
    "postcode",
    "ward_code",
    "lsoa_code",
    "msoa_code",
    "directory_osward",
    "directory_lsoa11",
    "directory_msoa11",
    "service",
    "provider",
    "referral_source",
    "referral_date",
    "start_date",
    "end_date",
)
ISSUE_COLUMNS = ("family_id", "issue_code", "label", "outcome", "outcome_label", "needs", "raised_month", "ward_code")

REFERRAL_SOURCE = "Family service planner"
_PURPOSE = "circles-planner-export"
_DIGITS = 20
_AGE_BANDS = ["0-4", "5-9", "10-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
_FILES = ("take_up.csv", "issues.csv", *OUTCOME_FILES, "planner.yaml")


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_source` wrote."""

    folder: Path
    take_up_rows: int
    issue_rows: int
    families: int
    spec: Path
    cohort_rows: int = 0
    outcome_rows: int = 0
    need_rows: int = 0


class _Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, kind: str, value: object) -> str:
        message = f"{kind}\x1f{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_DIGITS]


def _check_folder(folder: Path) -> None:
    """Refuse a folder that holds anything an export did not write."""
    if folder.exists() and not folder.is_dir():
        raise PlannerError(f"{folder} is a file, not a folder: give --to a folder for the export.")
    if not folder.exists():
        return
    present = sorted(p.name for p in folder.iterdir() if not p.name.startswith(f".{MARKER}"))
    if not present:
        return
    marker = folder / MARKER
    try:
        listed = set(json.loads(marker.read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        raise PlannerError(
            f"{folder} is not a folder the planner export wrote (no {MARKER}): it holds {len(present)} file(s). "
            "Choose a new or empty folder."
        ) from None
    extra = [name for name in present if name != MARKER and name not in listed]
    if extra:
        raise PlannerError(
            f"{folder} holds file(s) the planner export did not write: {', '.join(extra[:5])}. Move them, or choose "
            "a new or empty folder."
        )


def _day(at) -> str:
    return at.date().isoformat() if at is not None else ""


def _take_up(session, pseudonym) -> list[dict[str, str]]:
    events: dict[int, list[PlanEvent]] = {}
    for event in session.scalars(select(PlanEvent).order_by(PlanEvent.at, PlanEvent.id)):
        events.setdefault(event.plan_item_id, []).append(event)
    organisations = dict(session.execute(select(Service.id, Service.organisation)).all())
    families = {f.id: f for f in session.scalars(select(Family))}
    bands = dict(session.execute(select(Member.id, Member.age_band)).all())
    rows = []
    for item in session.scalars(select(PlanItem).order_by(PlanItem.id)):
        mine = events.get(item.id, [])
        first = {}
        for event in mine:
            first.setdefault(event.status, event.at)
        reached = [first[s] for s in EXPORT_STATUSES if s in first]
        if not reached and item.status not in EXPORT_STATUSES:
            continue
        family = families[item.family_id]
        client = pseudonym("member", item.member_id) if item.member_id else pseudonym("family-client", family.id)
        band = bands.get(item.member_id) if item.member_id else None
        codes = (family.ward_code or "", family.lsoa_code or "", family.msoa_code or "")
        rows.append(
            {
                "client_id": client,
                "family_id": pseudonym("family", family.id),
                "age_band": band if band in _AGE_BANDS else "",
                "sex": "U",
                "postcode": "",
                "ward_code": codes[0],
                "lsoa_code": codes[1],
                "msoa_code": codes[2],
                "directory_osward": codes[0],
                "directory_lsoa11": codes[1],
                "directory_msoa11": codes[2],
                "service": item.service_name,
                "provider": organisations.get(item.service_id, "") or "",
                "referral_source": REFERRAL_SOURCE,
                "referral_date": _day(min(reached) if reached else item.created_at),
                "start_date": _day(first.get("engaged")),
                "end_date": _day(first.get("ended")),
            }
        )
    return rows


def _issues(session, pseudonym) -> list[dict[str, str]]:
    known = default_family_issues().by_code()
    wards = dict(session.execute(select(Family.id, Family.ward_code)).all())
    rows = []
    query = select(FamilyIssue.family_id, FamilyIssue.issue_code, FamilyIssue.raised_at).order_by(FamilyIssue.id)
    for family_id, code, raised_at in session.execute(query):
        issue = known.get(code)
        rows.append(
            {
                "family_id": pseudonym("family", family_id),
                "issue_code": code,
                "label": issue.label if issue else "",
                "outcome": issue.outcome if issue else "",
                "outcome_label": issue.outcome_label if issue else "",
                "needs": ";".join(issue.needs) if issue else "",
                "raised_month": raised_at.strftime("%Y-%m") if raised_at else "",
                "ward_code": wards.get(family_id) or "",
            }
        )
    return rows


def pipeline_spec(folder: Path, *, key_file: Path | None, scope: str) -> dict:
    """The pipeline spec (as a mapping) reading the export's ``take_up.csv``."""
    date = {"type": "date", "date_formats": ["%Y-%m-%d"]}
    if key_file is not None:
        pseudonymisation = {"key": "file", "key_file": str(Path(key_file).expanduser().resolve()), "scope": scope}
    else:
        pseudonymisation = {"key": "env", "scope": scope}
    return {
        "name": "planner",
        "description": "Take-up recorded in the family service planner (exported by `circles planner export`).",
        "output": f"../{folder.name}-report",
        "person_field": "client_id",
        "geography": {
            "postcode_directory": "embedded",
            "study_area": ["E06000008"],
            "nearest_tolerance_m": 200,
            "layers": {
                "lsoa": {"embedded": "lsoa11", "directory": "lsoa11"},
                "msoa": {"embedded": "msoa11", "directory": "msoa11"},
                "ward2025": {"embedded": "ward2025", "directory": "osward", "title": "Wards (2025)"},
            },
            "name_by": {"lsoa": "ward2025"},
        },
        "sources": {
            "planner": {
                "files": "take_up.csv",
                "agency": REFERRAL_SOURCE,
                "columns": {
                    "client_id": {"column": "client_id", "privacy": "pseudonymise"},
                    "family_id": {"column": "family_id", "privacy": "pseudonymise"},
                    "age_band": {"column": "age_band", "type": "category", "allowed": _AGE_BANDS, "required": False},
                    "sex": {"column": "sex", "type": "category", "allowed": ["F", "M", "X", "U"]},
                    # always blank: records are placed by the area codes they carry (directory_*)
                    "postcode": {"column": "postcode", "type": "postcode", "required": False},
                    "directory_osward": {"column": "directory_osward", "required": False},
                    "directory_lsoa11": {"column": "directory_lsoa11", "required": False},
                    "directory_msoa11": {"column": "directory_msoa11", "required": False},
                    "service": "service",
                    "provider": {"column": "provider", "required": False},
                    "referral_source": "referral_source",
                    "referral_date": {"column": "referral_date", **date},
                    "start_date": {"column": "start_date", **date, "required": False},
                    "end_date": {"column": "end_date", **date, "required": False},
                },
            }
        },
        "pseudonymisation": pseudonymisation,
        "stages": ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"],
        "disclosure": {"policy": "nhs"},
    }


def export_source(
    db: Database,
    folder: str | Path,
    *,
    pseudonymisation_key_file: str | Path | None = None,
    scope: str = "circles-planner",
    as_of: date | None = None,
) -> ExportSummary:
    """Write the planner's take-up and issues as a circles source, with a pipeline spec, into ``folder``.

    Parameters
    ----------
    db : Database
        The planner database, opened with its key file (the pseudonyms' key is derived from it).
    folder : path-like
        New, empty, or written by an earlier export (anything else is refused).
    pseudonymisation_key_file : path-like, optional
        The pipeline's pseudonymisation key file (``circles key new PATH``), named in ``planner.yaml``; without
        one the spec reads the key from ``CIRCLES_PSEUDONYM_KEY``. It is named, never copied.
    scope : str
        The pipeline's pseudonymisation scope.
    as_of : date, optional
        The export date (default today, UTC): ``sustained_to`` of a need that has held, the last month of an open
        family's ``plan_items_engaged``.
    """
    import pandas as pd
    import yaml

    from circles.io.writers import atomic_path, write_csv

    if db.cipher is None:
        raise PlannerError("The export needs the planner key file (its pseudonyms' key is derived from it).")
    folder = Path(folder).expanduser()
    _check_folder(folder)
    pseudonym = _Pseudonyms(db.cipher.derive(_PURPOSE))
    with db.session() as session:
        take_up = _take_up(session, pseudonym)
        issues = _issues(session, pseudonym)
        change = outcome_tables(session, pseudonym, as_of=as_of or utcnow().date())
    folder.mkdir(parents=True, exist_ok=True)
    key_file = Path(pseudonymisation_key_file) if pseudonymisation_key_file else None
    with atomic_path(folder / MARKER) as tmp:  # the marker first: an interrupted export can be run again
        tmp.write_text(json.dumps({"written_by": "circles planner export", "files": list(_FILES)}, indent=2) + "\n")
    write_csv(pd.DataFrame(take_up, columns=list(TAKE_UP_COLUMNS), dtype="string"), folder / "take_up.csv")
    write_csv(pd.DataFrame(issues, columns=list(ISSUE_COLUMNS), dtype="string"), folder / "issues.csv")
    for name, columns in OUTCOME_FILES.items():
        write_csv(pd.DataFrame(change[name], columns=list(columns), dtype="string"), folder / name)
    spec_path = folder / "planner.yaml"
    header = (
        "# Written by `circles planner export`: take-up recorded in the family service planner.\n"
        "# The postcode column is always blank (no postcode leaves the planner); records carry their area codes\n"
        "# as directory_<code>. Until the pipeline places records by those codes without a postcode, the geocode\n"
        "# stage quarantines every row (reason: blank).\n"
    )
    with atomic_path(spec_path) as tmp:
        tmp.write_text(
            header + yaml.safe_dump(pipeline_spec(folder, key_file=key_file, scope=scope), sort_keys=False),
            encoding="utf-8",
        )
    families = len({row["family_id"] for row in take_up} | {row["family_id"] for row in issues})
    return ExportSummary(
        folder,
        len(take_up),
        len(issues),
        families,
        spec_path,
        cohort_rows=len(change["cohort.csv"]),
        outcome_rows=len(change["outcomes.csv"]),
        need_rows=len(change["family_needs.csv"]),
    )
