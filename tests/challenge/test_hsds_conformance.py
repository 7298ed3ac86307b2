"""HSDS 3.0 conformance (issue 17): exports checked against the *official* descriptors, ids, datapackage-aware
import, HSDS JSON import, and the report of what an import leaves out."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest

from circles.challenge.directory import DirectoryError, ServiceDirectory
from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.hsds import NAMESPACE, export_hsds, hsds_descriptor, import_hsds, validate_hsds
from circles.challenge.hsds_json import import_hsds_json
from circles.challenge.open_referral import hsds_uuid, import_directory_report
from tests.helpers import DATA, PIPELINES, ROOT, SHARED

OFFICIAL = SHARED / "openreferral"
EMBEDDED = ROOT / "circles" / "challenge" / "openreferral"
FIXTURES = DATA / "hsds"


def _official() -> Path:
    if not OFFICIAL.is_dir():
        pytest.skip(f"the official Open Referral schemas are not on this machine ({OFFICIAL} is absent)")
    return OFFICIAL


@pytest.fixture(scope="module")
def demo() -> ServiceDirectory:
    return read_services_yaml(PIPELINES / "demo_services.yaml", codebook=PIPELINES / "demo_codebook.yaml")


def _validate_against(descriptor: Path, folder: Path) -> list[list[object]]:
    """Validate ``folder``'s tables with frictionless against ``descriptor``'s resources (not the folder's own)."""
    frictionless = pytest.importorskip("frictionless")
    written = {r["name"] for r in json.loads((folder / "datapackage.json").read_text())["resources"]}
    official = json.loads(descriptor.read_text())
    official["resources"] = [r for r in official["resources"] if r["name"] in written]
    report = frictionless.Package(official, basepath=str(folder)).validate()
    return report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


# ------------------------------------------------------------------------------------------------ embedded copies
def test_embedded_copies_equal_the_shared_ones() -> None:
    official = _official()
    embedded = sorted(p.relative_to(EMBEDDED) for p in EMBEDDED.rglob("*.json"))
    assert len(embedded) == 24  # two descriptors and 22 JSON Schemas (all but openapi.json)
    for relative in embedded:
        assert (EMBEDDED / relative).read_bytes() == (official / relative).read_bytes(), relative


def test_readme_gives_each_file_its_sha256() -> None:
    readme = (EMBEDDED / "README.md").read_text()
    listed = dict((path, digest) for digest, path in re.findall(r"\| `([0-9a-f]{64})` \| `([^`]+)` \|", readme))
    files = {str(p.relative_to(EMBEDDED)): p for p in EMBEDDED.rglob("*.json")}
    assert set(listed) == set(files)
    for path, file in files.items():
        assert hashlib.sha256(file.read_bytes()).hexdigest() == listed[path], path
    assert "CC BY-SA 4.0" in readme and "279fd2e" in readme and "ecdfabf" in readme


# ------------------------------------------------------------------------------------------------ export
def test_demo_export_validates_against_the_official_descriptor(demo: ServiceDirectory, tmp_path: Path) -> None:
    descriptor = _official() / "hsds-3.0" / "datapackage.json"
    package = export_hsds(demo, tmp_path)
    assert _validate_against(descriptor, tmp_path) == []
    written = json.loads(package.read_text())
    official = {r["name"]: r for r in json.loads(descriptor.read_text())["resources"]}
    assert [r["name"] for r in written["resources"]] == [
        "organization", "program", "service", "attribute", "service_at_location", "location", "address",
        "schedule", "taxonomy_term", "taxonomy",
    ]  # fmt: skip
    assert all(r == official[r["name"]] for r in written["resources"])  # the official resources, unchanged
    header = pd.read_csv(tmp_path / "addresses.csv", nrows=0).columns.tolist()
    assert {"address_1", "city", "state_province", "postal_code", "country"} <= set(header)


def test_demo_export_validates_against_the_embedded_copy(demo: ServiceDirectory, tmp_path: Path) -> None:
    export_hsds(demo, tmp_path)
    assert _validate_against(EMBEDDED / "hsds-3.0" / "datapackage.json", tmp_path) == []
    assert validate_hsds(tmp_path) == []


def test_uk_profile_export(demo: ServiceDirectory, tmp_path: Path) -> None:
    export_hsds(demo, tmp_path, profile="uk")
    assert (tmp_path / "address.csv").is_file() and not (tmp_path / "addresses.csv").exists()
    assert validate_hsds(tmp_path, profile="uk") == []
    if OFFICIAL.is_dir():
        assert _validate_against(OFFICIAL / "uk-profile-3.0" / "datapackage.json", tmp_path) == []
    terms = pd.read_csv(tmp_path / "taxonomy_terms.csv", dtype=str)
    assert "term" in terms.columns and "code" not in terms.columns  # the UK profile's columns
    assert import_hsds(tmp_path).equals(demo)  # eligibility travels as terms: the UK profile has no column for it


def test_ids_are_stable_uuid5_and_round_trip(demo: ServiceDirectory, tmp_path: Path) -> None:
    export_hsds(demo, tmp_path / "a")
    export_hsds(demo, tmp_path / "b")
    for name in ("services.csv", "attributes.csv", "schedules.csv", "taxonomy_terms.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    services = pd.read_csv(tmp_path / "a" / "services.csv", dtype=str)
    assert services.loc[0, "id"] == str(uuid.uuid5(NAMESPACE, "service:evolve")) == hsds_uuid("service", "evolve")
    assert uuid.UUID(services.loc[0, "id"]).version == 5
    back = import_hsds(tmp_path / "a")
    assert back.services["id"].tolist() == demo.services["id"].tolist()
    assert back.equals(demo)


def test_placeholders_for_required_text(tmp_path: Path) -> None:
    d = ServiceDirectory(
        services=pd.DataFrame({"id": ["s1"], "name": ["Drop-in"], "status": ["active"]}),
        organisations=pd.DataFrame({"id": ["o1"], "name": ["Council"], "description": [""]}),
    )
    export_hsds(d, tmp_path)
    orgs = pd.read_csv(tmp_path / "organizations.csv", dtype=str, keep_default_na=False)
    assert orgs[["name", "description"]].values.tolist() == [
        ["Council", "not recorded"],
        ["Organisation not recorded", "not recorded"],
    ]
    assert validate_hsds(tmp_path) == []
    assert import_hsds(tmp_path).equals(d)


# ------------------------------------------------------------------------------------------------ validation
def test_validation_names_file_row_and_column(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "hsds3_plural", tmp_path / "p")
    problems = [str(p) for p in validate_hsds(tmp_path / "p")]
    assert "addresses.csv, column 'state_province': required column missing; add it (HSDS 3.0 requires it)." in problems
    assert "services.csv, row 1, column 'id': type is \"string/uuid\" (value 'svc-1')." in problems


def test_unknown_profile_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="profile 'us' is not one of hsds, uk"):
        hsds_descriptor("us")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ import
def test_datapackage_tells_address_from_addresses(tmp_path: Path) -> None:
    """A UK-profile folder with both address.csv and addresses.csv: its descriptor says which is the table."""
    shutil.copytree(FIXTURES / "hsds3_plural", tmp_path / "p")
    folder = tmp_path / "p"
    shutil.copy(folder / "addresses.csv", folder / "address.csv")
    (folder / "addresses.csv").write_text("id,location_id,postal_code,address_type\nx,loc-1,ZZ9 9ZZ,physical\n")
    with pytest.raises(DirectoryError, match="are the same table"):
        import_hsds(folder)
    names = {"organization": "organizations.csv", "service": "services.csv", "location": "locations.csv",
             "address": "address.csv", "service_at_location": "service_at_locations.csv",
             "schedule": "schedules.csv", "taxonomy_term": "taxonomy_terms.csv", "taxonomy": "taxonomies.csv",
             "attribute": "attributes.csv"}  # fmt: skip
    resources = [{"name": n, "path": p} for n, p in names.items()]
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources}))
    d, report = import_directory_report(folder)
    assert d.locations.values.tolist() == [["loc-1", "Town Hall", "BB1 7DY"], ["loc-2", "Hope Centre", "BB2 1AA"]]
    assert report.skipped_tables == ["addresses.csv"]
    assert d.equals(import_hsds(FIXTURES / "hsds3_plural"))


def test_descriptor_naming_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "services.csv").write_text("id,name\ns1,Drop-in\n")
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [{"name": "service", "path": "svc.csv"}]}))
    with pytest.raises(DirectoryError, match=r"resource 'service': its file 'svc.csv' is not in"):
        import_hsds(tmp_path)
    (tmp_path / "datapackage.json").write_text("{not json")
    with pytest.raises(DirectoryError, match="not a data package descriptor"):
        import_hsds(tmp_path)


def test_skipped_tables_and_columns_are_reported() -> None:
    d, report = import_directory_report(FIXTURES / "oruk_v1", standard="open_referral")
    assert report.skipped_tables == ["contacts.csv"]
    assert report.read["services.csv"] == 2
    assert "deliverable_type" in report.skipped_columns["services.csv"]
    assert "name" not in report.skipped_columns["services.csv"]
    assert report.skipped_columns["service_at_locations.csv"] == []
    assert "contacts.csv: table not read." in report.warnings()


# ------------------------------------------------------------------------------------------------ HSDS JSON
def _service(**extra: object) -> dict[str, object]:
    return {
        "id": "s1",
        "name": "Recovery group",
        "status": "active",
        "organization": {"id": "o1", "name": "Hope Recovery", "description": "Charity"},
        "service_at_locations": [
            {
                "id": "sal1",
                "location": {
                    "id": "l1",
                    "location_type": "physical",
                    "name": "Hope Centre",
                    "addresses": [
                        {"id": "a1", "address_1": "1 High St", "city": "Blackburn", "state_province": "Lancashire",
                         "postal_code": "BB2 1AA", "country": "GB", "address_type": "physical"}
                    ],
                },
            }
        ],
        "schedules": [{"id": "r1", "freq": "WEEKLY", "byday": "WE", "opens_at": "18:30", "closes_at": "20:30"}],
        "attributes": [
            {"id": "at1", "taxonomy_term_id": "t1", "link_entity": "service",
             "taxonomy_term": {"id": "t1", "name": "NEE04", "code": "NEE04", "description": "x", "taxonomy": "circles"}}
        ],
        **extra,
    }  # fmt: skip


@pytest.mark.parametrize("wrap", ["one", "list", "page"])
def test_json_service_imports(wrap: str, tmp_path: Path) -> None:
    data = {"one": _service(), "list": [_service()], "page": {"total_items": 1, "contents": [_service()]}}[wrap]
    path = tmp_path / "service.json"
    path.write_text(json.dumps(data))
    d = import_hsds_json(path)
    assert d.organisations.values.tolist() == [["o1", "Hope Recovery", "Charity"]]
    assert d.services.values.tolist() == [["s1", "o1", "Recovery group", "", "active"]]
    assert d.locations.values.tolist() == [["l1", "Hope Centre", "BB2 1AA"]]
    assert d.service_locations.values.tolist() == [["s1", "l1"]]
    assert d.schedules.iloc[:, :4].values.tolist() == [["s1", 2, "18:30", "20:30"]]
    assert d.needs.values.tolist() == [["s1", "NEE04"]]


def test_malformed_json_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    bad = _service(schedules=[{"id": "r1", "freq": "WEEKLY", "byday": "WE", "interval": "fortnightly"}])
    path.write_text(json.dumps({"contents": [_service(), bad]}))
    with pytest.raises(DirectoryError, match=r"page\.json, contents\[1\]\.schedules\[0\]\.interval: 'fortnightly'"):
        import_hsds_json(path)
    path.write_text(json.dumps({"name": "no id or status"}))
    with pytest.raises(DirectoryError, match=r"\(the service\): 'id' is a required property"):
        import_hsds_json(path)
    path.write_text("[1, 2")
    with pytest.raises(DirectoryError, match="cannot read this JSON file"):
        import_hsds_json(path)
