"""Three messy council extracts, end to end, as a new analyst meets them.

The extracts are what a council analyst receives, with SYNTHETIC people (made-up ids, test-range NHS numbers,
no names) living at real Blackburn with Darwen postcodes (the embedded ONS Postcode Directory extract):

1. ``ats_referrals_2023-24.xlsx``: a treatment provider's Excel export, a title block of three rows above the
   header, ages in years, referral dates typed as dd/mm/yyyy text and start dates stored as Excel dates (blank
   for referrals that never started);
2. ``police_incidents.csv``: a semicolon-separated police extract (UTF-8 with a byte-order mark, CRLF), dates
   dd/mm/yyyy, postcodes as typed (lower case, no space), one malformed postcode, one well-formed postcode that
   is not in the directory, and one blank postcode;
3. ``ed_attendances.parquet``: hospital A&E attendances with real timestamps, three of them by residents of
   neighbouring authorities (postcodes the borough's directory does not hold).

The analyst then does what the README says: ``circles init`` (:func:`scaffold_project`), the extracts into
``data/extracts/``, ``circles inspect`` on each (:func:`inspect_extract`), the proposed ``sources:`` pasted into
``pipeline.yaml`` with the few edits the proposals cannot make, and ``circles run``. Each step is timed and
printed (``pytest -s`` shows the figures): the issue asks for the time a new user takes from ``circles init`` to
the first challenge and hot-spot packs on three messy extracts.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
import yaml

from circles.errors import SpecError
from circles.geo.layers import read_postcode_directory
from circles.ingest.inspect import ExtractInspection, inspect_extract
from circles.pipeline.runner import run_pipeline
from circles.pipeline.scaffold import scaffold_project

pytestmark = pytest.mark.slow

SEED = 20240401
PROVIDER_FILE = "ats_referrals_2023-24.xlsx"
POLICE_FILE = "police_incidents.csv"
HOSPITAL_FILE = "ed_attendances.parquet"
PROVIDER_ROWS, POLICE_ROWS, HOSPITAL_ROWS = 240, 300, 350
#: What the police extract gets wrong, and the reason the run must give for each.
POLICE_BAD_POSTCODES = {"BB1 1A": "invalid", "BB3 9ZZ": "unknown", "": "missing_value"}
#: A&E patients from neighbouring authorities: not in the borough's embedded directory.
HOSPITAL_OUT_OF_AREA = ("PR1 2HE", "BB5 1AA", "BL1 1AA")
FIRST_DAY, LAST_DAY = dt.date(2023, 4, 1), dt.date(2024, 3, 31)
#: The age bands a Circles of Need study of adults counts in.
ADULT_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]


# ------------------------------------------------------------------------------------------------ the extracts


def nhs_number(rng: np.random.Generator) -> str:
    """A synthetic NHS number in the 999 test range with a valid modulus 11 check digit, as "999 123 4567"."""
    while True:
        digits = [9, 9, 9, *rng.integers(0, 10, size=6).tolist()]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 10:
            continue
        text = "".join(map(str, [*digits, 0 if check == 11 else check]))
        return f"{text[:3]} {text[3:6]} {text[6:]}"


def as_typed(postcodes: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Postcodes as people type them: about one in five lower case or without its space."""
    out = []
    for pc in postcodes:
        roll = rng.random()
        out.append(pc.lower() if roll < 0.1 else pc.replace(" ", "") if roll < 0.2 else pc)
    return out


def random_dates(rng: np.random.Generator, n: int) -> list[dt.date]:
    days = (LAST_DAY - FIRST_DAY).days
    return [FIRST_DAY + dt.timedelta(days=int(d)) for d in rng.integers(0, days - 60, size=n)]


def write_provider_excel(path: Path, postcodes: np.ndarray, rng: np.random.Generator) -> None:
    """The provider's export: a title block, then one row per referral; referral dates typed as text."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Referrals"
    ws.append(["Alcohol Treatment Service — referrals 2023/24"])
    ws.append(["Produced 01/04/2024"])
    ws.append([])
    ws.append(["Client Ref", "NHS No", "Age", "Gender", "Post Code", "Referral Date", "Start Date", "Outcome"])
    homes = as_typed(rng.choice(postcodes, size=PROVIDER_ROWS), rng)
    referred = random_dates(rng, PROVIDER_ROWS)
    for i in range(PROVIDER_ROWS):
        started = rng.random() >= 0.1
        start = referred[i] + dt.timedelta(days=int(rng.integers(0, 29))) if started else None
        outcome = rng.choice(["Completed", "Ongoing", "Dropped out"]) if started else "Did not start"
        ws.append(
            [
                f"ATS-{i + 1:05d}",
                nhs_number(rng) if rng.random() >= 0.05 else None,  # not known for a few
                int(rng.integers(18, 80)),
                rng.choice(["Male", "Female", "Female", "Male", "Not stated"]),
                homes[i],
                referred[i].strftime("%d/%m/%Y"),
                start,
                outcome,
            ]
        )
        if start is not None:
            ws.cell(row=ws.max_row, column=7).number_format = "dd/mm/yyyy"
    wb.save(path)


def write_police_csv(path: Path, postcodes: np.ndarray, rng: np.random.Generator) -> None:
    """Semicolon-separated, UTF-8 with a BOM, CRLF; two bad postcodes and a blank one among the rows."""
    people = [f"P{n:07d}" for n in rng.choice(np.arange(1_000_000, 9_999_999), size=220, replace=False)]
    home = dict(zip(people, rng.choice(postcodes, size=len(people)), strict=True))
    rows, seen = [], set()
    while len(rows) < POLICE_ROWS:
        person = people[len(rows)] if len(rows) < len(people) else str(rng.choice(people))
        day = random_dates(rng, 1)[0]
        if (person, day) in seen:
            continue
        seen.add((person, day))
        kind = rng.choice(["Domestic incident", "Alcohol-related ASB", "Drunk and disorderly", "Concern for welfare"])
        rows.append([person, day.strftime("%d/%m/%Y"), home[person], kind])
    typed = as_typed(np.array([r[2] for r in rows]), rng)
    for row, pc in zip(rows, typed, strict=True):
        row[2] = pc
    for row, bad in zip(rows[10:], POLICE_BAD_POSTCODES, strict=False):  # rows 10, 11 and 12: one each
        row[2] = bad
    lines = ["Person ID;Incident date;Postcode;Incident type", *(";".join(r) for r in rows)]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_hospital_parquet(path: Path, postcodes: np.ndarray, rng: np.random.Generator) -> None:
    """A&E attendances with real arrival timestamps; three patients from neighbouring authorities."""
    patients = [f"RXR{n:07d}" for n in rng.choice(np.arange(1_000_000, 9_999_999), size=280, replace=False)]
    home = dict(zip(patients, rng.choice(postcodes, size=len(patients)), strict=True))
    for patient, outside in zip(patients[:3], HOSPITAL_OUT_OF_AREA, strict=True):
        home[patient] = outside
    chosen = patients + [str(p) for p in rng.choice(patients[3:], size=HOSPITAL_ROWS - len(patients))]
    start = pd.Timestamp(FIRST_DAY)
    span = int((pd.Timestamp(LAST_DAY) - start).total_seconds())
    seconds = rng.integers(0, span, size=HOSPITAL_ROWS)
    while True:  # one attendance per patient and day: a second would be a duplicate by the spec's duplicate key
        again = pd.DataFrame({"patient": chosen, "day": seconds // 86_400}).duplicated()
        if not again.any():
            break
        seconds[again.to_numpy()] = rng.integers(0, span, size=int(again.sum()))
    frame = pd.DataFrame(
        {
            "patient_id": chosen,
            "arrival_datetime": start + pd.to_timedelta(seconds, unit="s"),
            "postcode": [home[p] for p in chosen],
            "attendance_reason": rng.choice(
                ["Alcohol intoxication", "Fall", "Assault", "Self-harm", "Other"], size=HOSPITAL_ROWS
            ),
        }
    )
    frame["arrival_datetime"] = frame["arrival_datetime"].astype("datetime64[us]")
    frame.to_parquet(path, index=False)


def write_extracts(folder: Path, seed: int = SEED) -> dict[str, Path]:
    """The three extracts in ``folder``, seeded: the same seed gives the same records."""
    directory = read_postcode_directory()
    live = directory[directory["doterm"].isna() & directory["oseast1m"].notna()]
    postcodes = live.loc[live["pcds"].str.match(r"^BB[123] "), "pcds"].to_numpy(dtype=str)
    assert not set(HOSPITAL_OUT_OF_AREA) & set(directory["pcds"]), "an out-of-area postcode is in the directory"
    assert "BB3 9ZZ" not in set(directory["pcds"])
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"provider": folder / PROVIDER_FILE, "police": folder / POLICE_FILE, "hospital": folder / HOSPITAL_FILE}
    write_provider_excel(paths["provider"], postcodes, rng)
    write_police_csv(paths["police"], postcodes, rng)
    write_hospital_parquet(paths["hospital"], postcodes, rng)
    return paths


# ------------------------------------------------------------------------------------------------ the analyst


class Project(NamedTuple):
    folder: Path
    spec_path: Path
    #: extract -> what ``circles inspect`` found, or the exception it raised
    inspections: dict[str, ExtractInspection | Exception]
    timings: dict[str, float]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    """``circles init``, the extracts copied into ``data/extracts/`` and ``circles inspect`` on each, timed.

    An inspection that raises is kept (``test_inspect_proposes_the_mapping`` re-raises it) so the end-to-end tests
    still run, on the mapping an analyst would then write by hand (:data:`BY_HAND`).
    """
    tmp = tmp_path_factory.mktemp("council")
    extracts = write_extracts(tmp / "received")
    timings: dict[str, float] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(tmp / "home"))
        mp.delenv("XDG_CONFIG_HOME", raising=False)
        t = time.perf_counter()
        made = scaffold_project(tmp / "bwd-alcohol", local_authority="E06000008", key_path=tmp / "keys" / "x.key")
        timings["circles init"] = time.perf_counter() - t
    folder = made.folder
    inspections: dict[str, ExtractInspection | Exception] = {}
    for name, path in extracts.items():
        copied = folder / "data" / "extracts" / path.name
        shutil.copy2(path, copied)
        t = time.perf_counter()
        try:
            inspections[name] = inspect_extract(copied)
        except Exception as exc:  # re-raised by test_inspect_proposes_the_mapping
            inspections[name] = exc
        timings[f"circles inspect {path.name}"] = time.perf_counter() - t
    return Project(folder, made.spec_path, inspections, timings)


#: What the analyst writes for an extract ``circles inspect`` could not read: what it should have proposed.
BY_HAND: dict[str, dict[str, Any]] = {
    "hospital": {
        "files": HOSPITAL_FILE,
        "columns": {
            "client_id": {"column": "patient_id", "privacy": "pseudonymise"},
            "postcode": {"column": "postcode", "type": "postcode"},
        },
    },
}
#: Date formats of the columns no standard field matched, where inspect could not sniff them (see BY_HAND).
BY_HAND_DATE_FORMATS = {("hospital", "arrival_datetime"): ["%Y-%m-%d"]}


def proposed_sources(inspections: dict[str, ExtractInspection | Exception]) -> dict[str, Any]:
    """The ``sources:`` blocks ``circles inspect`` printed, pasted together (read as YAML, comments dropped)."""
    sources = {}
    for name, found in inspections.items():
        if isinstance(found, Exception):
            sources[name] = copy.deepcopy(BY_HAND[name])
            continue
        block = yaml.safe_load(found.to_yaml(name))["sources"]
        assert block[name]["columns"] == found.column_specs()
        sources.update(block)
    return sources


def sniffed(inspections: dict[str, ExtractInspection | Exception], name: str, column: str) -> list[str]:
    """The date formats ``circles inspect`` sniffed for a column (mapped or not)."""
    found = inspections[name]
    if isinstance(found, Exception):
        return BY_HAND_DATE_FORMATS[name, column]
    return list(found.date_formats[column].suggested)


def edited_sources(inspections: dict[str, ExtractInspection | Exception], *, services: bool) -> dict[str, Any]:
    """The analyst's ``sources:``: the proposals, and only the edits the proposals cannot make.

    With ``services`` each extract's service is given as a constant (``value:``); without, the spec before the
    analyst adds them. The ages in years are banded (``type: age_years``) as inspect proposes, or by hand.
    """
    sources = copy.deepcopy(proposed_sources(inspections))
    provider, police, hospital = (sources[n]["columns"] for n in ("provider", "police", "hospital"))
    # 1. the files: a pattern relative to the project, so next year's extract is read by the same spec
    for name, pattern in (
        ("provider", "ats_referrals_*.xlsx"),
        ("police", "police_*.csv"),
        ("hospital", "ed_*.parquet"),
    ):
        sources[name]["files"] = f"data/extracts/{pattern}"
    # 2. provider: referrals that never started have no start date; the comment inspect wrote says
    #    "those rows will be quarantined (or set required: false)"
    provider["start_date"]["required"] = False
    # 3. the police and hospital dates have no standard header: inspect lists them, with their formats, among the
    #    unmatched columns; the analyst maps them to the referral date
    police.setdefault(
        "referral_date",
        {
            "column": "Incident date",
            "type": "date",
            "date_formats": sniffed(inspections, "police", "Incident date"),
        },
    )
    hospital.setdefault(
        "referral_date",
        {
            "column": "arrival_datetime",
            "type": "date",
            "date_formats": sniffed(inspections, "hospital", "arrival_datetime"),
        },
    )
    # 4. ages in years, counted in bands: the exact age never leaves ingest (inspect proposes it; else by hand)
    provider.setdefault("age_band", {"column": "Age", "type": "age_years", "allowed": ADULT_BANDS})
    if services:
        # 5. no extract names its service (each agency's export is one service): a constant per source
        provider["service"] = {"value": "Specialist alcohol treatment"}
        police["service"] = {"value": "Police"}
        hospital["service"] = {"value": "A&E"}
    return sources


def write_sources(spec_path: Path, sources: dict[str, Any]) -> None:
    """Edit the scaffolded, commented ``pipeline.yaml`` (the rest untouched).

    The example ``sources:`` block is replaced with ``sources``, and the ``network`` stage is commented out: none
    of the three extracts has a family or household id, and the scaffolded stage list's ``network`` stage stops
    the run with "network: the records have no field 'family_id'" (a CirclesError, not a traceback; the analyst
    reads it and takes the stage out).
    """
    text = spec_path.read_text(encoding="utf-8")
    block = yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True, width=120)
    new, n = re.subn(r"(?ms)^sources:\n.*?(?=^\S)", lambda _m: block + "\n", text, count=1)
    assert n == 1, "no sources: block in the scaffolded spec"
    new, n = re.subn(r"(?m)^  - network$", "  # - network                     # no family ids in these extracts", new)
    assert n == 1, "no network stage in the scaffolded spec"
    spec_path.write_text(new, encoding="utf-8")


def run_project(project: Project, tmp_path: Path, sources: dict[str, Any], label: str) -> Any:
    """A copy of the project with ``sources`` in its ``pipeline.yaml``, run and timed (printed even if it fails)."""
    folder = tmp_path / project.folder.name
    shutil.copytree(project.folder, folder)
    spec_path = folder / project.spec_path.name
    write_sources(spec_path, sources)
    t, outcome = time.perf_counter(), "failed"
    try:
        result = run_pipeline(spec_path, quiet=True)
        outcome = "done"
    finally:
        report_timings(project, time.perf_counter() - t, label, outcome)
    return result


def report_timings(project: Project, run_seconds: float, label: str, outcome: str) -> None:
    print(f"\n[{label}] time from circles init to the packs on three messy extracts:")
    for step, seconds in project.timings.items():
        print(f"  {step:<55} {seconds:8.2f} s")
    print(f"  {'circles run pipeline.yaml (maps and packs) ' + outcome:<55} {run_seconds:8.2f} s")
    print(f"  {'total':<55} {sum(project.timings.values()) + run_seconds:8.2f} s")


def expected_rows() -> dict[str, int]:
    """Rows read and the quarantine reasons the extracts were written to produce."""
    reasons: dict[str, int] = {}
    for reason in [*POLICE_BAD_POSTCODES.values(), *["unknown"] * len(HOSPITAL_OUT_OF_AREA)]:
        reasons[reason] = reasons.get(reason, 0) + 1
    return {"read": PROVIDER_ROWS + POLICE_ROWS + HOSPITAL_ROWS, "reasons": reasons}


def check_report(result: Any) -> None:
    """Row accounting, the quarantine reasons, the area tables and the hot-spot report pack."""
    rows, expected = result.manifest["rows"], expected_rows()
    assert rows["read"] == expected["read"]
    assert rows["read"] == rows["accepted"] + rows["quarantined"]
    assert rows["balanced"]
    assert result.manifest["quarantine_reasons"] == expected["reasons"]
    assert rows["quarantined"] == sum(expected["reasons"].values())
    by_file = {e["file"]: e["rows"] for e in result.manifest["inputs"]}
    assert by_file == {PROVIDER_FILE: PROVIDER_ROWS, POLICE_FILE: POLICE_ROWS, HOSPITAL_FILE: HOSPITAL_ROWS}
    quarantine = pd.read_csv(result.output_dir / "quarantine.csv", dtype=str)
    police = quarantine[quarantine["file"] == POLICE_FILE]
    assert sorted(police["reason"]) == sorted(POLICE_BAD_POSTCODES.values())
    # the bad rows are lines 12, 13 and 14 of the police file (the header is line 1)
    assert sorted(police["source_row"].str.rsplit(":", n=1).str[1].astype(int)) == [12, 13, 14]
    for layer in ("lsoa", "msoa", "ward2025", "ward2004"):
        table = pd.read_csv(result.output_dir / "tables" / f"{layer}_areas.csv")
        assert len(table) and {"area_code", "people", "records"} <= set(table.columns)
    for pack in ("hotspot_report", "challenge"):
        assert (result.output_dir / "packs" / f"{pack}.pdf").is_file(), pack
        assert (result.output_dir / "packs" / f"{pack}.html").is_file(), pack


# ------------------------------------------------------------------------------------------------ the tests


EXPECTED_MAPPING = {
    "provider": {
        "client_id": "Client Ref",
        "nhs_number": "NHS No",
        "sex": "Gender",
        "postcode": "Post Code",
        "referral_date": "Referral Date",
        "start_date": "Start Date",
        "outcome": "Outcome",
    },
    "police": {"client_id": "Person ID", "postcode": "Postcode"},
    "hospital": {"client_id": "patient_id", "postcode": "postcode"},
}


@pytest.mark.parametrize("name", ["provider", "police", "hospital"])
def test_inspect_proposes_the_mapping(project, name):
    """What ``circles inspect`` finds in each extract before the analyst touches anything."""
    found = project.inspections[name]
    if isinstance(found, Exception):
        raise found
    mapping = {f: m.column for f, m in found.mapping.items()}
    assert EXPECTED_MAPPING[name].items() <= mapping.items(), mapping
    assert found.column_specs()["client_id"]["privacy"] == "pseudonymise"
    if name == "provider":
        assert found.info.get("header_row") == 4  # below the three-row title block
        assert found.rows_read == PROVIDER_ROWS
        assert "%d/%m/%Y" in found.date_formats["Referral Date"].suggested
        assert found.column_specs()["nhs_number"]["privacy"] == "pseudonymise"
        assert not [p for p in found.problems if p.reason == "invalid_nhs_number"]  # valid test-range numbers
    elif name == "police":
        assert found.info.get("delimiter") == ";"
        assert found.rows_read == POLICE_ROWS
        assert sniffed(project.inspections, name, "Incident date") == ["%d/%m/%Y"]
        assert found.postcodes is not None and found.postcodes.invalid == 1
    else:
        assert found.rows_read == HOSPITAL_ROWS
        assert "arrival_datetime" in found.date_formats
    print(f"\n{found.to_yaml(name)}")


def test_three_extracts_end_to_end(project, tmp_path):
    """The proposals with the analyst's edits: a service per extract, the unmatched dates mapped, ages as bands."""
    sources = edited_sources(project.inspections, services=True)
    result = run_project(project, tmp_path, sources, "init to packs")
    check_report(result)
    assert result.manifest["tables"]["area_counts"]
    by_service = pd.read_csv(result.output_dir / "tables" / "lsoa_by_service.csv")
    assert set(by_service["service"]) == {"Specialist alcohol treatment", "Police", "A&E"}


def test_three_extracts_without_a_service_field(project, tmp_path):
    """The same, before the analyst adds the services: no extract has a service column, so no source maps one.

    The spec check accepts that today. Counting people by area needs no service, so either the run completes
    with the same report, or the spec check refuses the spec naming the missing field: a traceback is neither.
    """
    sources = edited_sources(project.inspections, services=False)
    assert not any("service" in source["columns"] for source in sources.values())
    try:
        result = run_project(project, tmp_path, sources, "no service field")
    except SpecError as exc:  # refused before any work: fine, if it says what to add
        assert "service" in str(exc), exc
        return
    check_report(result)
