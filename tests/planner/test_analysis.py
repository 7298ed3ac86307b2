"""The planner's aggregates: distinct families, always through disclosure control, scoped by role."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from circles.planner import records
from circles.planner.analysis import UNKNOWN_WARD, analyse, issues_by_ward_table
from circles.planner.issues import FamilyIssue, default_family_issues
from circles.planner.models import AuditEntry, Service
from circles.planner.places import ward_names
from circles.planner.web.app import create_app
from tests.planner.conftest import PASSWORD

SOUTH_EAST = "BB2 3HH"  # ward E05011513, Blackburn South East
CENTRAL = "BB1 7DY"  # ward E05011511, Blackburn Central
AUDLEY = "BB1 1AE"  # ward E05011508, Audley & Queen's Park


def add_families(db, user, count, postcode, issue, **issue_options) -> list[str]:
    """``count`` families of ``user`` at ``postcode``, each with ``issue``; their ids."""
    made = []
    with db.session() as session:
        for number in range(count):
            family = records.create_family(session, user, f"{issue} {postcode} {number}", postcode=postcode)
            records.add_issue(session, user, family.id, issue, **issue_options)
            made.append(family.id)
    return made


def row(table: pd.DataFrame, **where) -> pd.Series:
    found = table
    for column, value in where.items():
        found = found[found[column] == value]
    assert len(found) == 1, (where, table)
    return found.iloc[0]


def published_counts(analysis) -> list[float]:
    return [
        *analysis.issues_by_ward["families"].dropna(),
        *analysis.unmet["families"].dropna(),
        *analysis.services["planned"].dropna(),
        *analysis.time_to_engaged["engaged"].dropna(),
    ]


def test_small_counts_are_suppressed_and_others_rounded(planner_db, users, directory):
    add_families(planner_db, users["ann"], 12, SOUTH_EAST, "rent_arrears")
    add_families(planner_db, users["ann"], 3, CENTRAL, "drinking")
    add_families(planner_db, users["ann"], 1, "", "worklessness")
    with planner_db.session() as session:
        analysis = analyse(session, users["ada"])

    assert analysis.policy.name == "nhs"
    assert analysis.families == 15  # 16 families, to the nearest 5
    table = analysis.issues_by_ward
    assert list(table.columns[:7]) == [
        "ward_code",
        "ward_name",
        "issue_code",
        "issue_label",
        "outcome_label",
        "families",
        "suppressed",
    ]
    large = row(table, ward_code="E05011513", issue_code="rent_arrears")
    assert (large["ward_name"], large["families"], large["suppressed"]) == ("Blackburn South East", 10.0, False)
    assert large["ward_name"] == ward_names()["E05011513"]
    assert (large["issue_label"], large["outcome_label"]) == ("Behind with the rent", "Secure housing")
    small = row(table, ward_code="E05011511", issue_code="drinking")
    assert math.isnan(small["families"]) and small["suppressed"]
    unknown = row(table, ward_code=UNKNOWN_WARD, issue_code="worklessness")
    assert math.isnan(unknown["families"]) and unknown["suppressed"]
    assert table["ward_code"].iloc[-1] == UNKNOWN_WARD  # the unknown ward comes last
    assert len(table) == 3

    unmet = analysis.unmet.set_index("issue_code")
    assert (unmet.loc["rent_arrears", "families"], unmet.loc["rent_arrears", "services"]) == (10.0, 3)
    assert math.isnan(unmet.loc["drinking", "families"]) and unmet.loc["drinking", "suppressed"]
    assert unmet.loc["drinking", "services"] == 5
    assert (unmet.loc["school", "families"], unmet.loc["school", "suppressed"]) == (0.0, False)
    # nothing anyone reads is a count of 1 to 7
    assert not [n for n in published_counts(analysis) if 1 <= n <= 7]
    assert all(n % 5 == 0 for n in published_counts(analysis))

    as_json = {(r["ward_code"], r["issue_code"]): r for r in issues_by_ward_table(analysis)}
    assert as_json["E05011511", "drinking"]["families"] is None
    assert as_json["E05011511", "drinking"]["suppressed"] is True
    assert as_json["E05011513", "rent_arrears"]["families"] == 10


def test_a_second_cell_is_hidden_when_the_issues_total_would_give_a_small_one_away(planner_db, users, directory):
    add_families(planner_db, users["ann"], 3, CENTRAL, "drinking")
    add_families(planner_db, users["ann"], 9, SOUTH_EAST, "drinking")
    add_families(planner_db, users["ann"], 10, AUDLEY, "drinking")
    with planner_db.session() as session:
        analysis = analyse(session, users["ada"])
    table = analysis.issues_by_ward
    # the issue's total (22, published as 20 in `unmet`) less the other cells would give the 3 away: the next
    # smallest cell (9) is hidden too
    assert row(table, ward_code="E05011511")["suppression"] == "primary"
    nine = row(table, ward_code="E05011513")
    assert math.isnan(nine["families"]) and nine["suppressed"] and nine["suppression"] == "secondary"
    ten = row(table, ward_code="E05011508")
    assert (ten["families"], ten["suppressed"]) == (10.0, False)
    assert row(analysis.unmet, issue_code="drinking")["families"] == 20.0


def test_an_issue_no_service_meets_is_unmet(planner_db, users, directory):
    listed = default_family_issues()
    lonely = FamilyIssue(
        "lonely_pets", "Worried about the pets", "health", "Improved mental and physical health", (), ()
    )
    issues = dataclasses.replace(listed, issues=(*listed.issues, lonely))
    add_families(planner_db, users["ann"], 8, SOUTH_EAST, "lonely_pets", issues=issues)
    with planner_db.session() as session:
        unmet = analyse(session, users["ada"], issues=issues).unmet
    first = unmet.iloc[0]
    assert (first["issue_code"], first["families"], first["services"]) == ("lonely_pets", 10.0, 0)
    assert (unmet["services"] > 0).sum() == len(listed.issues)


def test_a_manager_sees_their_teams_families_only(planner_db, users, directory):
    add_families(planner_db, users["ann"], 8, SOUTH_EAST, "rent_arrears")  # team north
    add_families(planner_db, users["sam"], 12, SOUTH_EAST, "rent_arrears")  # team south
    with planner_db.session() as session:
        everyone = analyse(session, users["ada"])
        north = analyse(session, users["mia"])
        for who in ("sam", "root"):
            with pytest.raises(records.Forbidden, match="only analysts and managers"):
                analyse(session, users[who])
    assert everyone.families == 20
    assert row(everyone.issues_by_ward, issue_code="rent_arrears")["families"] == 20.0
    assert north.families == 10  # ann's 8, to the nearest 5
    assert row(north.issues_by_ward, issue_code="rent_arrears")["families"] == 10.0
    with planner_db.session() as session:
        audited = session.execute(
            select(AuditEntry.username, AuditEntry.outcome).where(AuditEntry.action == "analysis.read")
        ).all()
    assert sorted(audited) == [("ada", "ok"), ("mia", "ok"), ("root", "denied"), ("sam", "denied")]


def test_an_analyst_cannot_read_a_family(planner_db, users):
    [family_id] = add_families(planner_db, users["ann"], 1, SOUTH_EAST, "drinking")
    with planner_db.session() as session, pytest.raises(records.Forbidden):
        records.get_family(session, users["ada"], family_id)
    client = TestClient(create_app(planner_db, secure_cookies=False))
    assert client.post("/api/v1/session", json={"username": "ada", "password": PASSWORD}).status_code == 200
    assert client.get(f"/api/v1/families/{family_id}").status_code == 403


def test_time_to_engaged_and_service_demand_come_from_the_status_history(planner_db, users, directory):
    raised = datetime(2025, 1, 1, 9, 0)
    ann = users["ann"]
    with planner_db.session() as session:
        session.get(Service, "evolve").capacity = 5
        session.get(Service, "housing").capacity = 2
        drinking_items = []
        for number in range(8):
            family = records.create_family(session, ann, f"Drinking {number}", postcode=SOUTH_EAST)
            issue = records.add_issue(session, ann, family.id, "drinking", raised_at=raised)
            item = records.add_plan_item(session, ann, family.id, "evolve", issue_id=issue.id)
            records.update_plan_item(session, ann, family.id, item.id, status="referred")
            records.update_plan_item(session, ann, family.id, item.id, status="engaged")
            drinking_items.append((family.id, item))
        # the first family's service ended and engaged again: the first engagement counts
        first_family, first_item = drinking_items[0]
        records.update_plan_item(session, ann, first_family, first_item.id, status="ended")
        records.update_plan_item(session, ann, first_family, first_item.id, status="engaged")
        for days, (_, item) in enumerate(drinking_items, start=1):
            engaged = [event for event in item.events if event.status == "engaged"]
            engaged[0].at = raised + timedelta(days=days)
            if len(engaged) > 1:
                engaged[1].at = raised + timedelta(days=30)
        # a family whose service never engaged does not count
        family = records.create_family(session, ann, "Never engaged", postcode=SOUTH_EAST)
        issue = records.add_issue(session, ann, family.id, "drinking", raised_at=raised)
        item = records.add_plan_item(session, ann, family.id, "gmw-alcohol", issue_id=issue.id)
        records.update_plan_item(session, ann, family.id, item.id, status="ended")
        # three families engaged with Housing: too few to publish, or to give a median for
        for number in range(3):
            family = records.create_family(session, ann, f"Rent {number}", postcode=CENTRAL)
            issue = records.add_issue(session, ann, family.id, "rent_arrears", raised_at=raised)
            records.add_plan_item(session, ann, family.id, "housing", issue_id=issue.id, status="engaged")

    with planner_db.session() as session:
        analysis = analyse(session, users["mia"])
    waited = analysis.time_to_engaged.set_index("issue_code")
    assert list(waited.index) == ["drinking", "rent_arrears"]
    assert (waited.loc["drinking", "engaged"], waited.loc["drinking", "suppressed"]) == (10.0, False)
    assert waited.loc["drinking", "median_days"] == 4.5  # days 1 to 8 (not 30 for the first family)
    assert waited.loc["rent_arrears", "suppressed"]
    assert math.isnan(waited.loc["rent_arrears", "engaged"]) and math.isnan(waited.loc["rent_arrears", "median_days"])

    demand = analysis.services.set_index("service_id")
    assert (demand.loc["evolve", "planned"], demand.loc["evolve", "capacity"]) == (10.0, 5.0)
    assert demand.loc["evolve", "over_capacity"]
    assert demand.loc["housing", "suppressed"] and math.isnan(demand.loc["housing", "planned"])
    assert not demand.loc["housing", "over_capacity"]  # 3 > 2, but a suppressed count flags nothing
    assert demand.loc["gmw-alcohol", "planned"] == 0.0  # its only plan item ended
    assert math.isnan(demand.loc["gmw-alcohol", "capacity"]) and not demand.loc["gmw-alcohol", "over_capacity"]
    assert len(demand) == 15
