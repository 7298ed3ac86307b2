"""The record layer itself: fields sealed at rest, erasure, sharing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from circles.errors import PlannerError
from circles.planner import records
from circles.planner.models import (
    AuditEntry,
    Consent,
    Family,
    FamilyIssue,
    FamilyShare,
    Goal,
    Member,
    PlanEvent,
    PlanItem,
    ProgressScore,
)

NAME = "Wilhelmina Farthingale"


def raw_bytes(value) -> bytes:
    return bytes(value)  # PostgreSQL gives memoryview for bytea, SQLite bytes


def test_sealed_columns_are_encrypted_in_the_database(planner_db, users):
    with planner_db.session() as session:
        family = records.create_family(session, users["ann"], NAME, postcode="BB2 3HH", address="3 Farthing Row")
        records.add_member(session, users["ann"], family.id, NAME, date_of_birth="1990-04-03")
        family_id = family.id
    with planner_db.engine.connect() as connection:
        name, address, ward = connection.execute(
            text("SELECT name, address, ward_code FROM family WHERE id = :id"), {"id": family_id}
        ).one()
        member_name, born = connection.execute(
            text("SELECT name, date_of_birth FROM member WHERE family_id = :id"), {"id": family_id}
        ).one()
    assert ward == "E05011513"  # area codes are kept in clear, for analysis
    for sealed, clear in ((name, NAME), (address, "Farthing"), (address, "BB2 3HH"), (member_name, NAME)):
        assert isinstance(sealed, bytes | memoryview)
        assert clear.encode() not in raw_bytes(sealed)
        assert b"Farthingale" not in raw_bytes(sealed)
    assert b"1990" not in raw_bytes(born)
    with planner_db.session() as session:
        assert records.get_family(session, users["ann"], family_id).name == NAME


def test_erasure_removes_every_row_and_leaves_an_audit_entry_naming_no_one(planner_db, users, directory):
    ann = users["ann"]
    with planner_db.session() as session:
        family = records.create_family(session, ann, NAME, postcode="BB1 7DY")
        member = records.add_member(session, ann, family.id, NAME, date_of_birth="2012-02-02")
        records.add_consent(session, ann, family.id, "share with school", "2025-01-01", member_id=member.id)
        issue = records.add_issue(session, ann, family.id, "school", note=f"{NAME} missed school")
        item = records.add_plan_item(session, ann, family.id, "therapeutic-programme", issue_id=issue.id)
        records.update_plan_item(session, ann, family.id, item.id, status="referred")
        records.add_goal(session, ann, family.id, "The children", "Back at school")
        records.add_score(session, ann, family.id, "The children", 3)
        records.share_family(session, ann, family.id, users["bob"])
        family_id, item_id = family.id, item.id
    tables = (Member, Consent, FamilyIssue, PlanItem, Goal, ProgressScore, FamilyShare)

    def rows(session) -> dict:
        found = {
            model.__name__: session.scalar(select(func.count()).where(model.family_id == family_id)) for model in tables
        }
        found["PlanEvent"] = session.scalar(select(func.count()).where(PlanEvent.plan_item_id == item_id))
        found["Family"] = session.scalar(select(func.count()).where(Family.id == family_id))
        return found

    with planner_db.session() as session:
        assert set(rows(session).values()) == {1, 2} and rows(session)["PlanEvent"] == 2
        records.erase_family(session, ann, family_id)
    with planner_db.session() as session:
        assert rows(session) == dict.fromkeys([*(m.__name__ for m in tables), "PlanEvent", "Family"], 0)
        with pytest.raises(records.NotFound):
            records.get_family(session, ann, family_id)
    with planner_db.session() as session:
        # one entry: the erasure (the access check leaves its entry to it)
        erasures = session.scalars(select(AuditEntry).where(AuditEntry.action == "family.erase")).all()
        assert [(e.object_id, e.username, e.outcome) for e in erasures] == [(family_id, "ann", "ok")]
        assert erasures[-1].detail == "erased on request: personal data deleted"
        everything = session.scalars(select(AuditEntry)).all()
        # the entries before the erasure stay too, and none of them names the family
        assert sum(e.object_id == family_id for e in everything) >= 9
        for entry in everything:
            assert "Farthingale" not in " ".join([entry.detail, entry.object_id, entry.username, entry.action])
            assert "2012-02-02" not in entry.detail


def test_sharing_lets_another_advisor_read_and_change_the_family(planner_db, users):
    with planner_db.session() as session:
        family_id = records.create_family(session, users["ann"], NAME).id
    with planner_db.session() as session, pytest.raises(records.NotFound):
        records.get_family(session, users["bob"], family_id)
    with planner_db.session() as session:
        with pytest.raises(PlannerError, match="families are shared with advisors only"):
            records.share_family(session, users["ann"], family_id, users["ada"])
    with planner_db.session() as session:
        records.share_family(session, users["ann"], family_id, users["bob"])
        records.share_family(session, users["ann"], family_id, users["bob"])  # twice is once
    with planner_db.session() as session:
        assert records.get_family(session, users["bob"], family_id).name == NAME
        records.add_issue(session, users["bob"], family_id, "worklessness")
        assert [f.id for f in records.list_families(session, users["bob"])] == [family_id]
        assert session.scalar(select(func.count()).where(FamilyShare.family_id == family_id)) == 1
    with planner_db.session() as session:
        assert [i.issue_code for i in records.get_family(session, users["ann"], family_id).issues] == ["worklessness"]
        # sharing with bob does not open it to another team's advisor
        with pytest.raises(records.NotFound):
            records.get_family(session, users["sam"], family_id)


def test_scores_and_statuses_are_checked(planner_db, users, directory):
    with planner_db.session() as session:
        family_id = records.create_family(session, users["ann"], NAME).id
        for bad in (0, 11, "ten"):
            with pytest.raises(PlannerError, match="whole number from 1 to 10"):
                records.add_score(session, users["ann"], family_id, "Money", bad)
        with pytest.raises(PlannerError, match="Unknown plan status"):
            records.add_plan_item(session, users["ann"], family_id, "housing", status="done")
        item = records.add_plan_item(session, users["ann"], family_id, "housing")
        with pytest.raises(records.NotFound, match="No such plan item"):
            records.update_plan_item(session, users["ann"], family_id, item.id + 100, status="ended")
        assert [e.status for e in item.events] == ["suggested"]
