"""The planner export's Change-stage files: cohort.csv, outcomes.csv and family_needs.csv (pilot families)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from circles.change.outcomes import COHORT_COLUMNS, FAMILY_NEEDS_COLUMNS, OUTCOME_COLUMNS
from circles.change.sfof import successful_family_outcomes
from circles.planner import records
from circles.planner.directory import import_directory
from circles.planner.export import MARKER, export_source
from circles.planner.models import Family
from circles.resources import packaged

AS_OF = date(2024, 10, 15)
SECRETS = ("Smith", "Jones", "Brown", "Jo ", "Kim", "Nan ", "BB2 3HH", "BB2 3", "BB1 7DY", "Hospital Road",
           "Mill Lane", "1985-03-02", "1960-01-09", "2015-06-01", "lost job", "catalogue", "call after school",
           "evictions")  # fmt: skip


def _moved(item, **when: datetime) -> None:
    """Date a plan item's status changes (the planner stamps them with the time they were made)."""
    for event in item.events:
        if event.status in when:
            event.at = when[event.status]
    item.created_at = min(when.values())


def populate(db, users) -> dict[str, str]:
    """Smiths: closed, two members planned, finances resolved; Joneses: open; Browns: nothing planned, no lead;
    Patels: a need that came back after it was resolved, and was resolved again."""
    ann, bob = users["ann"], users["bob"]
    with db.session() as session:
        import_directory(session, None, packaged("pipelines") / "demo_services.yaml")
        smith = records.create_family(session, ann, "The Smiths", postcode="BB2 3HH", address="1 Hospital Road")
        jo = records.add_member(session, ann, smith.id, "Jo Smith", date_of_birth="1985-03-02", age_band="35-44")
        kim = records.add_member(session, ann, smith.id, "Kim Smith", date_of_birth="2015-06-01", age_band="5-9")
        records.add_member(session, ann, smith.id, "Nan Smith", date_of_birth="1960-01-09", age_band="55-64")
        work = records.add_issue(
            session, ann, smith.id, "worklessness", note="lost job in May", raised_at=datetime(2024, 5, 3)
        )
        money = records.add_issue(session, ann, smith.id, "low_income", raised_at=datetime(2024, 6, 1))
        rent = records.add_issue(session, ann, smith.id, "rent_arrears", raised_at=datetime(2024, 6, 2))
        work.resolved_at, money.resolved_at = datetime(2024, 8, 20), datetime(2024, 9, 10)
        one = records.add_plan_item(
            session, ann, smith.id, "shadsworth-centre", issue_id=work.id, member_id=jo.id, status="referred"
        )
        records.update_plan_item(session, ann, smith.id, one.id, status="engaged", notes="call after school")
        records.update_plan_item(session, ann, smith.id, one.id, status="ended")
        _moved(one, referred=datetime(2024, 5, 20), engaged=datetime(2024, 6, 10), ended=datetime(2024, 8, 15))
        two = records.add_plan_item(session, ann, smith.id, "housing", issue_id=rent.id, member_id=kim.id)
        records.update_plan_item(session, ann, smith.id, two.id, status="referred")
        records.update_plan_item(session, ann, smith.id, two.id, status="ended")
        _moved(two, suggested=datetime(2024, 6, 1), referred=datetime(2024, 6, 3), ended=datetime(2024, 9, 30))
        records.add_goal(session, ann, smith.id, "Money", "Pay off the catalogue")
        for score, day in ((3, datetime(2024, 6, 5)), (6, datetime(2024, 6, 25)), (7, datetime(2024, 7, 1))):
            records.add_score(session, ann, smith.id, "Money", score, recorded_at=day)
        jones = records.create_family(session, bob, "The Joneses", postcode="BB1 7DY", address="2 Mill Lane")
        issue = records.add_issue(session, bob, jones.id, "low_income", raised_at=datetime(2024, 7, 9))
        item = records.add_plan_item(session, bob, jones.id, "housing", issue_id=issue.id, status="engaged")
        _moved(item, engaged=datetime(2024, 7, 10))
        brown = records.create_family(session, bob, "The Browns", postcode="BB2 3HH")
        records.add_issue(session, bob, brown.id, "worklessness", raised_at=datetime(2024, 8, 1), note="evictions")
        brown.lead_practitioner_id = None
        brown.created_at = datetime(2024, 8, 1, 9, 30)
        patel = records.create_family(session, bob, "The Patels", postcode="BB1 7DY")
        first = records.add_issue(session, bob, patel.id, "drinking", raised_at=datetime(2024, 1, 5))
        again = records.add_issue(session, bob, patel.id, "drinking", raised_at=datetime(2024, 4, 2))
        first.resolved_at, again.resolved_at = datetime(2024, 3, 1), datetime(2024, 5, 1)
        return {"smith": smith.id, "jones": jones.id, "brown": brown.id, "patel": patel.id}


@pytest.fixture
def exported(planner_db, users, tmp_path):
    families = populate(planner_db, users)
    summary = export_source(planner_db, tmp_path / "export", as_of=AS_OF)
    take_up = pd.read_csv(summary.folder / "take_up.csv", dtype=str, keep_default_na=False)
    issues = pd.read_csv(summary.folder / "issues.csv", dtype=str, keep_default_na=False)
    with planner_db.session() as session:
        wards = {f.id: f.ward_code for f in session.scalars(select(Family))}
    # each family's pseudonym, found by its ward code and issues in the other files
    pseudonym = {
        "smith": take_up.loc[take_up["age_band"] == "35-44", "family_id"].iloc[0],
        "jones": take_up.loc[take_up["ward_code"] == wards[families["jones"]], "family_id"].iloc[0],
        "brown": issues.loc[issues["raised_month"] == "2024-08", "family_id"].iloc[0],
        "patel": issues.loc[issues["issue_code"] == "drinking", "family_id"].iloc[0],
    }
    return summary, families, pseudonym


def _read(summary, name: str) -> pd.DataFrame:
    return pd.read_csv(summary.folder / name, dtype=str, keep_default_na=False)


def test_cohort(exported) -> None:
    summary, families, pseudonym = exported
    cohort = _read(summary, "cohort.csv")
    assert tuple(cohort.columns) == COHORT_COLUMNS and summary.cohort_rows == len(cohort) == 4
    assert set(cohort["family_id"]) == set(pseudonym.values())  # the pseudonyms of take_up.csv and issues.csv
    rows = cohort.set_index("family_id")
    smith, jones, brown = (rows.loc[pseudonym[n]] for n in ("smith", "jones", "brown"))
    assert (cohort["group"] == "pilot").all()
    assert smith[["start_date", "age_band", "lead_practitioner", "whole_family_plan", "closed_date"]].tolist() == [
        "2024-05-20",  # the first plan item
        "55-64",  # the eldest adult, not the child or the younger adult
        "yes",
        "yes",  # items referred for two members
        "2024-09-30",  # the day the last item ended
    ]
    assert jones[["start_date", "age_band", "whole_family_plan", "closed_date"]].tolist() == [
        "2024-07-10",
        "",
        "yes",  # an item for the family as a whole
        "",  # still open
    ]
    assert brown[["start_date", "lead_practitioner", "whole_family_plan", "closed_date"]].tolist() == [
        "2024-08-01",  # no plan item: the day the family was recorded
        "no",
        "no",
        "",
    ]
    assert smith["lsoa_code"].startswith("E01") and smith["ward_code"].startswith("E05")
    assert rows.loc[pseudonym["patel"], "ward_code"] == jones["ward_code"]  # the same postcode


def test_outcomes(exported) -> None:
    summary, _, pseudonym = exported
    outcomes = _read(summary, "outcomes.csv")
    assert tuple(outcomes.columns) == OUTCOME_COLUMNS and summary.outcome_rows == len(outcomes)
    assert outcomes["period"].str.fullmatch(r"\d{4}-\d{2}").all()
    smith = outcomes[outcomes["family_id"] == pseudonym["smith"]]
    wellbeing = smith[smith["measure"] == "wellbeing"].set_index("period")["value"].to_dict()
    assert wellbeing == {"2024-06": "4.5", "2024-07": "7"}  # mean of 3 and 6; 7
    engaged = smith[smith["measure"] == "plan_items_engaged"].set_index("period")["value"].to_dict()
    assert engaged == {"2024-05": "0", "2024-06": "1", "2024-07": "1", "2024-08": "1", "2024-09": "0"}
    jones = outcomes[(outcomes["family_id"] == pseudonym["jones"]) & (outcomes["measure"] == "plan_items_engaged")]
    assert jones.set_index("period")["value"].to_dict() == {f"2024-{m:02d}": "1" for m in (7, 8, 9, 10)}
    assert set(outcomes["measure"]) == {"wellbeing", "plan_items_engaged"}
    assert pseudonym["patel"] not in set(outcomes["family_id"])  # recorded after the export date: no months yet


def test_family_needs(exported) -> None:
    summary, _, pseudonym = exported
    needs = _read(summary, "family_needs.csv")
    assert tuple(FAMILY_NEEDS_COLUMNS) == tuple(needs.columns) and summary.need_rows == len(needs) == 5
    rows = needs.set_index(["family_id", "headline_outcome"])
    money = rows.loc[(pseudonym["smith"], "financial_stability")]
    assert money.tolist() == ["2024-05-03", "positive", "2024-09-10", AS_OF.isoformat()]
    housing = rows.loc[(pseudonym["smith"], "housing")]
    assert housing.tolist() == ["2024-06-02", "not yet", "", ""]  # rent arrears not resolved
    assert rows.loc[(pseudonym["brown"], "financial_stability"), "outcome"] == "not yet"
    drink = rows.loc[(pseudonym["patel"], "substance_use")]  # resolved 1 Mar, back 2 Apr, resolved again 1 May:
    assert drink.tolist() == ["2024-01-05", "positive", "2024-05-01", AS_OF.isoformat()]  # held since 1 May


def test_sfof_reads_the_export(exported) -> None:
    """The files are what circles.change.sfof assesses (with yes/no and YYYY-MM-DD read as the stage reads them)."""
    summary, _, pseudonym = exported
    cohort = _read(summary, "cohort.csv").assign(closed_date=lambda f: pd.to_datetime(f["closed_date"]))
    needs = _read(summary, "family_needs.csv").assign(sustained_to=lambda f: pd.to_datetime(f["sustained_to"]))
    result = successful_family_outcomes(cohort, needs, as_of=AS_OF)
    status = result.families.set_index("family_id")["status"]
    assert status[pseudonym["smith"]] == "fewer than 3 headline needs"  # two headline outcomes
    assert status[pseudonym["brown"]] == "no whole-family plan"


def test_no_personal_data_in_any_exported_file(exported) -> None:
    summary, families, _ = exported
    files = sorted(p.name for p in summary.folder.iterdir())
    assert files == sorted([MARKER, "take_up.csv", "issues.csv", "cohort.csv", "outcomes.csv", "family_needs.csv",
                            "planner.yaml"])  # fmt: skip
    for path in summary.folder.iterdir():
        data = path.read_bytes()
        for secret in (*SECRETS, *families.values()):
            assert secret.encode() not in data, (path.name, secret)
            assert secret.lower().encode() not in data.lower(), (path.name, secret)


def test_the_marker_lists_the_new_files_and_a_second_export_replaces_them(exported, planner_db) -> None:
    import json

    summary, _, _ = exported
    listed = json.loads((summary.folder / MARKER).read_text())["files"]
    assert {"cohort.csv", "outcomes.csv", "family_needs.csv"} <= set(listed)
    before = _read(summary, "cohort.csv")
    export_source(planner_db, summary.folder, as_of=date(2025, 1, 31))
    assert _read(summary, "cohort.csv").equals(before)  # stable pseudonyms, same families
    needs = _read(summary, "family_needs.csv")
    assert "2025-01-31" in set(needs["sustained_to"])
