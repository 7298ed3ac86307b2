"""The planner's export as a circles source: pseudonyms, area codes, no personal data, a spec `circles run` reads."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from circles.errors import PlannerError
from circles.ingest.pseudonyms import write_key_file
from circles.planner import records
from circles.planner.directory import import_directory
from circles.planner.export import MARKER, TAKE_UP_COLUMNS, export_source
from circles.resources import packaged


def populate(db, users) -> dict[str, str]:
    """Three families over two wards, with issues and plan items in every status; returns family ids by name."""
    ann, bob = users["ann"], users["bob"]
    with db.session() as session:
        import_directory(session, None, packaged("pipelines") / "demo_services.yaml")
        smith = records.create_family(session, ann, "The Smiths", postcode="BB2 3HH", address="1 Hospital Road")
        jo = records.add_member(session, ann, smith.id, "Jo Smith", date_of_birth="1985-03-02", age_band="35-44")
        kid = records.add_member(session, ann, smith.id, "Kim Smith", date_of_birth="2015-06-01", age_band="5-9")
        work = records.add_issue(
            session, ann, smith.id, "worklessness", note="lost job in May", raised_at=datetime(2024, 5, 3)
        )
        money = records.add_issue(session, ann, smith.id, "low_income", raised_at=datetime(2024, 6, 1))
        item = records.add_plan_item(
            session, ann, smith.id, "shadsworth-centre", issue_id=work.id, member_id=jo.id, status="referred"
        )
        records.update_plan_item(session, ann, smith.id, item.id, status="engaged")
        records.update_plan_item(session, ann, smith.id, item.id, status="ended")
        records.add_plan_item(session, ann, smith.id, "housing", issue_id=money.id, member_id=kid.id, status="referred")
        records.add_plan_item(session, ann, smith.id, "voice", issue_id=money.id)  # suggested only: not take-up
        jones = records.create_family(session, bob, "The Joneses", postcode="BB1 7DY")
        issue = records.add_issue(session, bob, jones.id, "low_income", raised_at=datetime(2024, 7, 9))
        records.add_plan_item(session, bob, jones.id, "housing", issue_id=issue.id, status="engaged")
        other = records.create_family(session, bob, "The Browns", postcode="BB2 3HH")
        records.add_issue(session, bob, other.id, "worklessness")
        records.add_goal(session, ann, smith.id, "Money", "Pay off the catalogue")
        records.add_score(session, ann, smith.id, "Money", 3)
        return {"smith": smith.id, "jones": jones.id, "brown": other.id}


@pytest.fixture
def exported(planner_db, users, tmp_path):
    families = populate(planner_db, users)
    key = write_key_file(tmp_path / "keys" / "pseudonym.key")
    summary = export_source(planner_db, tmp_path / "export", pseudonymisation_key_file=tmp_path / "keys/pseudonym.key")
    return summary, families, key


def _families(planner_db) -> dict[str, object]:
    from sqlalchemy import select

    from circles.planner.models import Family

    with planner_db.session() as session:
        return {f.id: f for f in session.scalars(select(Family))}


def test_take_up_rows(exported, planner_db) -> None:
    summary, families, _ = exported
    take_up = pd.read_csv(summary.folder / "take_up.csv", dtype=str, keep_default_na=False)
    assert tuple(take_up.columns) == TAKE_UP_COLUMNS
    assert summary.take_up_rows == len(take_up) == 3  # the suggested-only item is left out
    assert set(take_up["service"]) == {"Shadsworth Community Centre", "Housing"}
    assert (take_up["sex"] == "U").all() and (take_up["postcode"] == "").all()
    assert (take_up["referral_source"] == "Family service planner").all()
    by_family = _families(planner_db)
    smith = by_family[families["smith"]]
    rows = take_up[take_up["ward_code"] == smith.ward_code]
    assert set(rows["lsoa_code"]) == {smith.lsoa_code} and (rows["directory_lsoa11"] == smith.lsoa_code).all()
    ended = take_up[take_up["end_date"] != ""]
    assert len(ended) == 1 and ended["start_date"].iloc[0] != "" and ended["age_band"].iloc[0] == "35-44"
    assert set(take_up["age_band"]) == {"35-44", "5-9", ""}
    assert take_up["provider"].str.len().gt(0).all()
    # pseudonyms: truncated hex, one per family, never a database id
    assert take_up["family_id"].nunique() == 2 and take_up["client_id"].nunique() == 3
    assert take_up["family_id"].str.fullmatch(r"[0-9a-f]{20}").all()
    assert not set(take_up["family_id"]) & set(families.values())


def test_issues(exported, planner_db) -> None:
    summary, families, _ = exported
    issues = pd.read_csv(summary.folder / "issues.csv", dtype=str, keep_default_na=False)
    assert summary.issue_rows == len(issues) == 4
    work = issues[issues["issue_code"] == "worklessness"].iloc[0]
    assert work["label"] == "Out of work for a while" and work["outcome"] == "financial_stability"
    assert work["needs"] == "NEE07" and work["raised_month"] == "2024-05"
    assert work["ward_code"] == _families(planner_db)[families["smith"]].ward_code
    take_up = pd.read_csv(summary.folder / "take_up.csv", dtype=str)
    assert set(take_up["family_id"]) < set(issues["family_id"])  # the same pseudonym in both files
    assert issues["family_id"].nunique() == summary.families == 3


def test_no_personal_data_or_keys_in_the_export(exported) -> None:
    summary, families, key = exported
    text = "".join(p.read_text(encoding="utf-8") for p in summary.folder.iterdir())
    for secret in ("Smith", "Jones", "Brown", "Jo ", "Kim", "BB2 3HH", "BB2 3", "BB1 7DY", "Hospital", "1985",
                   "2015-06-01", "lost job", "catalogue", *families.values()):  # fmt: skip
        assert secret not in text, secret
    assert key.secret.hex() not in text
    assert sorted(p.name for p in summary.folder.iterdir()) == sorted(
        [MARKER, "cohort.csv", "family_needs.csv", "issues.csv", "outcomes.csv", "planner.yaml", "take_up.csv"]
    )


def test_pseudonyms_are_stable(exported, planner_db) -> None:
    summary, _, _ = exported
    first = (summary.folder / "take_up.csv").read_text()
    export_source(planner_db, summary.folder)  # an earlier export is replaced
    again = pd.read_csv(summary.folder / "take_up.csv", dtype=str)
    assert set(again["family_id"]) == set(pd.read_csv(io.StringIO(first), dtype=str)["family_id"])


def test_refuses_a_folder_it_did_not_write(planner_db, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(PlannerError, match="not a folder the planner export wrote"):
        export_source(planner_db, tmp_path / "mine")
    export_source(planner_db, tmp_path / "new")
    (tmp_path / "new" / "extra.csv").write_text("x")
    with pytest.raises(PlannerError, match="did not write: extra.csv"):
        export_source(planner_db, tmp_path / "new")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_spec_names_the_key_file_and_loads(exported) -> None:
    from circles.pipeline.spec import load_spec

    summary, _, _ = exported
    spec = load_spec(summary.spec)
    assert spec.pseudonymisation.key == "file"
    assert spec.pseudonymisation.key_file == (summary.folder.parent / "keys" / "pseudonym.key").resolve()
    assert spec.stages == ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"]
    assert spec.disclosure.policy == "nhs"
    assert set(spec.geography.layers) == {"lsoa", "msoa", "ward2025"}


def _run(summary, tmp_path):
    from circles.pipeline.runner import run_pipeline

    return run_pipeline(summary.spec, output=tmp_path / "report", quiet=True, cache=False)


def test_circles_run_places_every_row_by_its_area_codes(exported, tmp_path) -> None:
    """Every exported row is read and accepted: placed by the area codes it carries (it has no postcode)."""
    summary, _, _ = exported
    result = _run(summary, tmp_path)
    rows = result.manifest["rows"]
    assert rows["read"] == summary.take_up_rows == rows["accepted"] == 3 and rows["quarantined"] == 0
    assert result.manifest["geocoding"]["outcomes"]["area_codes"] == 3
    assert {layer: c["by_code"] for layer, c in result.manifest["placement"]["by_layer"].items()} == {
        "lsoa": 3,
        "msoa": 3,
        "ward2025": 3,
    }


@pytest.fixture
def many_families(planner_db, users, tmp_path):
    """12 families near the town hall (Blackburn Central) and 9 near the hospital, each referred to Housing."""
    ann = users["ann"]
    with planner_db.session() as session:
        import_directory(session, None, packaged("pipelines") / "demo_services.yaml")
        for number, postcode in enumerate(["BB1 7DY"] * 12 + ["BB2 3HH"] * 9):
            family = records.create_family(session, ann, f"Family {number}", postcode=postcode)
            issue = records.add_issue(session, ann, family.id, "rent_arrears", raised_at=datetime(2024, 5, 1))
            records.add_plan_item(session, ann, family.id, "housing", issue_id=issue.id, status="referred")
    write_key_file(tmp_path / "keys" / "pseudonym.key")
    return export_source(planner_db, tmp_path / "export", pseudonymisation_key_file=tmp_path / "keys/pseudonym.key")


def test_circles_run_counts_by_ward_are_the_planners(many_families, tmp_path) -> None:
    """The Understand stage re-run on the export counts the planner's families in their wards (published: nhs
    rounding to the nearest 5; the wards with no family 0)."""
    result = _run(many_families, tmp_path)
    table = pd.read_csv(result.output_dir / "tables" / "ward2025_areas.csv", dtype={"area_code": str})
    people = table.set_index("area_code")["people"].astype(str)
    assert people["E05011511"] == "10"  # Blackburn Central: 12 families, published rounded to 10
    assert people["E05011513"] == "10"  # Blackburn South East: 9, rounded to 10
    assert set(people.drop(["E05011511", "E05011513"])) == {"0"}
