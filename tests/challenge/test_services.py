"""Service directories: the demo YAML, HSDS 3.0 / Open Referral UK import and export, hours and need coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from circles.challenge.services import (
    TABLES,
    DirectoryError,
    ServiceDirectory,
    export_hsds,
    hours_table,
    import_hsds,
    import_open_referral,
    need_coverage,
    needs_met,
    read_services_yaml,
)
from circles.qualitative.codebook import read_codebook

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "pipelines" / "demo_services.yaml"
CODEBOOK = ROOT / "pipelines" / "demo_codebook.yaml"
FIXTURES = ROOT / "tests" / "data" / "hsds"


@pytest.fixture(scope="module")
def demo() -> ServiceDirectory:
    return read_services_yaml(DEMO, codebook=CODEBOOK)


@pytest.fixture(scope="module")
def book():
    return read_codebook(CODEBOOK)


def rows(directory: ServiceDirectory, table: str) -> list[list[object]]:
    frame = getattr(directory, table)
    if table == "schedules":  # the weekly columns; the rule columns are tested in test_schedules.py
        frame = frame[["service_id", "weekday", "opens_at", "closes_at"]]
    return frame.values.tolist()


# ------------------------------------------------------------------------------------------------ demo YAML
def test_demo_loads(demo: ServiceDirectory) -> None:
    assert len(demo.services) == 15
    assert len(demo.organisations) == 10
    hours = hours_table(demo).set_index("service_id")
    assert sorted(hours.index[hours["always_open"]]) == ["a-and-e", "police"]
    assert hours["hours_known"].all()
    assert set(demo.needs["code_id"]) <= set(read_codebook(CODEBOOK).ids)


def test_hours_table_values(demo: ServiceDirectory) -> None:
    hours = hours_table(demo).set_index("service_id")
    assert hours.loc["lifeline", ["hours_per_week", "days_open", "evening_hours"]].tolist() == [42.0, 5, 2.0]
    assert hours.loc["lifeline", ["evenings", "weekends", "out_of_hours"]].tolist() == [True, False, True]
    assert hours.loc["voice", ["hours_per_week", "days_open", "evenings", "weekends"]].tolist() == [
        12.0,
        3,
        False,
        True,
    ]
    assert hours.loc["shadsworth-centre", ["hours_per_week", "evening_hours", "days_open"]].tolist() == [45.0, 6.0, 6]
    assert hours.loc["housing", ["hours_per_week", "evenings", "weekends", "out_of_hours"]].tolist() == [
        40.0,
        False,
        False,
        False,
    ]
    assert hours.loc["gp-practices", "hours_per_week"] == 52.5
    assert hours.loc["therapeutic-programme", "hours_per_week"] == 1.5
    assert hours.loc["police", ["hours_per_week", "days_open", "always_open"]].tolist() == [168.0, 7, True]


def test_hours_merge_overlaps_and_unknown() -> None:
    d = ServiceDirectory(
        services=pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"]}),
        schedules=pd.DataFrame(
            {
                "service_id": ["a", "a"],
                "weekday": [0, 0],
                "opens_at": ["09:00", "12:00"],
                "closes_at": ["13:00", "18:00"],
            }
        ),
    )
    hours = hours_table(d).set_index("service_id")
    assert hours.loc["a", "hours_per_week"] == 9.0
    assert hours.loc["a", "evening_hours"] == 1.0
    assert not hours.loc["b", "hours_known"]
    assert pd.isna(hours.loc["b", "hours_per_week"])
    assert not hours.loc["b", "out_of_hours"]


def test_need_coverage_statuses(demo: ServiceDirectory, book) -> None:
    coverage = need_coverage(demo, book).set_index("code_id")
    assert list(coverage.index) == list(book.ids)
    # NEE01 unmet: only Police and A&E are open at night, and they meet no code
    assert coverage.loc["NEE01", ["n_services", "status", "out_of_hours_gap"]].tolist() == [0, "unmet", False]
    # NEE02 possible duplication, all 9 to 5
    assert coverage.loc["NEE02", ["n_services", "status", "n_out_of_hours", "out_of_hours_gap"]].tolist() == [
        3,
        "possible duplication",
        0,
        True,
    ]
    assert coverage.loc["NEE02", "services"] == "Family Intervention Programme; Think Family advocates; Housing"
    assert coverage.loc["NEE03", ["status", "out_of_hours_gap"]].tolist() == ["met", True]
    assert coverage.loc["NEE04", ["status", "out_of_hours_gap"]].tolist() == ["met", True]
    assert coverage.loc["NEE05", ["status", "out_of_hours_gap", "out_of_hours_services"]].tolist() == [
        "met",
        False,
        "Shadsworth Community Centre",
    ]
    assert coverage.loc["ASP01", ["n_services", "status", "out_of_hours_services"]].tolist() == [
        5,
        "possible duplication",
        "Lifeline; GP practices",
    ]
    raised = need_coverage(demo, book, duplication_threshold=6).set_index("code_id")
    assert raised.loc["ASP01", "status"] == "met"
    needs_only = need_coverage(demo, book, dimensions=["need"])
    assert needs_only["code_id"].tolist() == [f"NEE0{i}" for i in range(1, 8)]


def test_needs_met(demo: ServiceDirectory, book) -> None:
    met = needs_met(demo, book)
    assert list(met.columns) == [
        "code_id",
        "code_name",
        "dimension",
        "service_id",
        "service_name",
        "organisation",
        "out_of_hours",
    ]
    nee05 = met[met["code_id"] == "NEE05"].values.tolist()
    assert nee05 == [
        [
            "NEE05",
            "Things to do together as a family",
            "need",
            "shadsworth-centre",
            "Shadsworth Community Centre",
            "Shadsworth Community Centre",
            True,
        ]
    ]
    assert len(met) == len(demo.needs)


def test_inactive_services_are_left_out(book) -> None:
    d = import_hsds(FIXTURES / "hsds3_plural")
    d.needs = pd.concat([d.needs, pd.DataFrame({"service_id": ["svc-3"], "code_id": ["NEE02"]})], ignore_index=True)
    assert needs_met(d, book)["service_id"].tolist() == ["svc-2", "svc-1"]  # ASP01 before NEE02 (codebook order)
    assert "svc-3" in needs_met(d, book, active_only=False)["service_id"].tolist()


# ------------------------------------------------------------------------------------------------ HSDS export
def test_export_is_valid_and_round_trips(demo: ServiceDirectory, tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    package = export_hsds(demo, tmp_path / "hsds")
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    names = {p.name for p in (tmp_path / "hsds").iterdir()}
    assert names == {  # the official descriptor's file names (programs: the target of service.program_id)
        "datapackage.json",
        "organizations.csv",
        "programs.csv",
        "services.csv",
        "locations.csv",
        "addresses.csv",
        "service_at_location.csv",
        "schedules.csv",
        "taxonomies.csv",
        "taxonomy_terms.csv",
        "attributes.csv",
    }
    back = import_hsds(tmp_path / "hsds")
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(back, table), getattr(demo, table))
    assert back.equals(demo)


@pytest.mark.parametrize("fixture", ["hsds3_plural", "hsds3_singular"])
def test_fixture_export_round_trips(fixture: str, tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    d = import_hsds(FIXTURES / fixture)
    package = export_hsds(d, tmp_path)
    assert frictionless.validate(str(package)).valid
    # HSDS requires a status: a blank one is exported as 'active' and reads back so; nothing else changes
    d.services["status"] = d.services["status"].replace("", "active")
    assert import_hsds(tmp_path).equals(d)


# ------------------------------------------------------------------------------------------------ HSDS import
def test_hsds_plural_fixture() -> None:
    d = import_hsds(FIXTURES / "hsds3_plural")
    assert rows(d, "organisations") == [
        ["org-1", "Blackburn with Darwen Borough Council", "Unitary local authority"],
        ["org-2", "Hope Recovery", "Alcohol recovery charity"],
    ]
    assert rows(d, "services") == [
        ["svc-1", "org-1", "Housing Options", "Rent arrears, tenancy support", "active"],
        ["svc-2", "org-2", "Recovery Group", "Evening recovery group", "active"],
        ["svc-3", "org-2", "Old Drop-in", "Closed drop-in", "inactive"],
    ]
    assert rows(d, "locations") == [["loc-1", "Town Hall", "BB1 7DY"], ["loc-2", "Hope Centre", "BB2 1AA"]]
    assert rows(d, "service_locations") == [["svc-1", "loc-1"], ["svc-2", "loc-2"]]
    assert rows(d, "schedules") == [["svc-1", day, "09:00", "17:00"] for day in range(5)] + [
        ["svc-2", 2, "18:30", "20:30"]
    ]
    assert rows(d, "eligibility") == [
        ["svc-1", "Residents of the borough"],
        ["svc-2", "Adults 18 and over"],
        ["svc-2", "Self-referral welcome"],
    ]
    assert rows(d, "taxonomy") == [["svc-1", "service type", "Housing"], ["svc-2", "service type", "Alcohol treatment"]]
    assert rows(d, "needs") == [["svc-1", "NEE02"], ["svc-2", "ASP01"]]


def test_hsds_singular_fixture() -> None:
    d = import_hsds(FIXTURES / "hsds3_singular")
    assert rows(d, "organisations") == [["org-a", "Family Support Trust", "Whole-family support"]]
    assert rows(d, "services") == [
        ["svc-a", "org-a", "Night Line", "Telephone support at night", "active"],
        ["svc-b", "org-a", "Key Worker Service", "One named worker per family", ""],
    ]
    assert rows(d, "locations") == [["loc-a", "Family Hub", ""]]  # no address table
    assert rows(d, "service_locations") == [["svc-b", "loc-a"]]
    assert rows(d, "schedules") == [
        ["svc-a", 4, "22:00", "24:00"],  # Friday 22:00 to Saturday 02:00, split at midnight
        ["svc-a", 5, "00:00", "02:00"],
        ["svc-a", 5, "22:00", "24:00"],
        ["svc-a", 6, "00:00", "02:00"],
        ["svc-b", 0, "09:00", "24:00"],  # via service_at_location_id; 23:59 is the end of the day
        ["svc-b", 1, "09:00", "24:00"],
    ]  # the location-only schedule (Sunday at loc-a) is left out
    assert rows(d, "eligibility") == [["svc-a", "Parents and carers"]]
    assert rows(d, "taxonomy") == [["svc-a", "service type", "Helpline"]]
    assert rows(d, "needs") == [["svc-a", "NEE01"], ["svc-b", "NEE04"]]
    hours = hours_table(d).set_index("service_id")
    assert hours.loc["svc-a", ["hours_per_week", "weekends", "evenings"]].tolist() == [8.0, True, True]


def test_open_referral_v1_fixture() -> None:
    d = import_open_referral(FIXTURES / "oruk_v1")
    assert rows(d, "organisations") == [["o1", "Lifeline Project", "Drug and alcohol charity"]]
    assert rows(d, "services") == [
        ["s1", "o1", "Lifeline", "Alcohol advice and key working", "active"],
        ["s2", "o1", "Aftercare Group", "Weekly aftercare", "active"],
    ]
    assert rows(d, "locations") == [["l1", "Lifeline Blackburn", "BB1 5AA"]]
    assert rows(d, "service_locations") == [["s1", "l1"], ["s2", "l1"]]
    assert rows(d, "schedules") == [["s1", day, "09:00", "17:00"] for day in range(5)] + [
        ["s2", 2, "18:00", "20:00"]  # weekday 3 (ISO, Monday 1) is Wednesday
    ]
    assert rows(d, "eligibility") == [["s1", "adult"], ["s2", "In or after treatment"]]
    assert rows(d, "taxonomy") == [["s1", "esdServiceTypes", "Alcohol treatment"]]
    assert rows(d, "needs") == [["s1", "ASP01"], ["s2", "FEA01"]]


# ------------------------------------------------------------------------------------------------ bad input
def _copy(fixture: str, tmp_path: Path) -> Path:
    target = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, target)
    return target


def test_bad_schedule_time(tmp_path: Path) -> None:
    folder = _copy("hsds3_plural", tmp_path)
    path = folder / "schedules.csv"
    path.write_text(path.read_text().replace("18:30:00,20:30:00", "18:30:00,25:00"))
    with pytest.raises(DirectoryError, match=r"schedules\.csv row 2, column 'closes_at': '25:00' is not a time"):
        import_hsds(folder)


def test_service_with_missing_organisation(tmp_path: Path) -> None:
    folder = _copy("oruk_v1", tmp_path)
    path = folder / "services.csv"
    path.write_text(path.read_text().replace("s2,o1,", "s2,o9,"))
    with pytest.raises(DirectoryError, match=r"services\.csv row 2, column 'organization_id': organisation 'o9'"):
        import_open_referral(folder)


def test_unknown_code(tmp_path: Path, book) -> None:
    folder = _copy("hsds3_plural", tmp_path)
    path = folder / "taxonomy_terms.csv"
    path.write_text(path.read_text().replace("term-2,ASP01", "term-2,ASP99"))
    d = import_hsds(folder)  # without a codebook the code cannot be checked
    pattern = r"attributes\.csv row 3 -> taxonomy_terms\.csv row 2, column 'code'.*'ASP99' is not in the codebook"
    with pytest.raises(DirectoryError, match=pattern):
        need_coverage(d, book)
    with pytest.raises(DirectoryError, match="ASP99"):
        import_hsds(folder, codebook=CODEBOOK)


def test_yaml_errors(tmp_path: Path) -> None:
    path = tmp_path / "services.yaml"
    path.write_text(
        "organisations: [{id: o1, name: Council}]\n"
        "services:\n"
        "  - id: s1\n"
        "    organisation: o2\n"
        "    name: Housing\n"
        "    hours: [{days: Mon-Fri, opens: '09:00', closes: '25:00'}]\n"
        "    meetz: [NEE02]\n"
    )
    with pytest.raises(DirectoryError) as caught:
        read_services_yaml(path)
    message = str(caught.value)
    # checked by the pydantic model: the line of the key itself and its path, as pipeline spec errors are
    assert "line 6, services.0.hours.0.closes: '25:00' is not a time" in message
    assert "line 7, services.0.meetz: unknown key. Did you mean 'meets'?" in message
    path.write_text(path.read_text().replace("25:00", "17:00").replace("meetz", "meets"))
    with pytest.raises(DirectoryError, match=r"line 3 \(services\[0\] 's1'\), key 'organisation': organisation 'o2'"):
        read_services_yaml(path)
    path.write_text(path.read_text().replace("o2", "o1"))
    with pytest.raises(DirectoryError, match=r"key 'meets': code 'NEE02' is not in the codebook"):
        read_services_yaml(path, codebook=read_codebook(CODEBOOK).__class__(codes=()))


def test_missing_services_table_and_column(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="no services table"):
        import_hsds(tmp_path)
    (tmp_path / "service.csv").write_text("id,title\ns1,Drop-in\n")
    with pytest.raises(DirectoryError, match=r"service\.csv: no column 'name'"):
        import_hsds(tmp_path)
