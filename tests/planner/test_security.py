"""The planner API's protections: who sees what, CSRF, injection, sessions, lockout, data at rest, the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy import inspect as inspect_db
from sqlalchemy.exc import DBAPIError

from circles.planner.models import AuditEntry, Family, FamilyIssue, Member, PlanItem, Service, WebSession
from tests.planner.conftest import PASSWORD, signed_in

COOKIE = "circles_session"  # the cookie's name with secure_cookies=False


@pytest.fixture
def anns_family(app, directory):
    """Ann's family with an issue and a plan item: (family id, issue id, plan item id)."""
    ann = signed_in(app, "ann")
    family_id = ann.post("/api/v1/families", json={"name": "Ann's family", "postcode": "BB2 3HH"}).json()["id"]
    issue_id = ann.post(f"/api/v1/families/{family_id}/issues", json={"issue": "drinking"}).json()["issue"]["id"]
    item = ann.post(f"/api/v1/families/{family_id}/plan-items", json={"service_id": "evolve", "issue_id": issue_id})
    return family_id, issue_id, item.json()["id"]


def count(db, model, *where) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------------------------------------ (a) who sees what


def test_another_advisor_gets_404_for_every_read_and_change_and_each_is_audited(app, planner_db, anns_family):
    family_id, issue_id, item_id = anns_family
    bob = signed_in(app, "bob")  # same team as ann, but not his caseload and not shared with him
    base = f"/api/v1/families/{family_id}"
    attempts = {
        "family.read": bob.get(base),
        "issue.add": bob.post(f"{base}/issues", json={"issue": "worklessness"}),
        "plan.update": bob.patch(f"{base}/plan-items/{item_id}", json={"status": "ended"}),
        "member.add": bob.post(f"{base}/members", json={"name": "Intruder"}),
        "family.erase": bob.delete(base),
    }
    for action, answer in attempts.items():
        assert answer.status_code == 404, action
        assert answer.json() == {"detail": "No such family (or not one you may see)."}, action
    # a family that does not exist answers exactly the same
    assert bob.get("/api/v1/families/0123456789abcdef0123456789abcdef").json() == attempts["family.read"].json()
    assert family_id not in {f["id"] for f in bob.get("/api/v1/families").json()}

    with planner_db.session() as session:
        denied = session.execute(
            select(AuditEntry.action, AuditEntry.object_id).where(
                AuditEntry.username == "bob", AuditEntry.outcome == "denied"
            )
        ).all()
    assert sorted(action for action, object_id in denied if object_id == family_id) == sorted(attempts)
    # nothing changed
    record = signed_in(app, "ann").get(base).json()
    assert [i["code"] for i in record["issues"]] == ["drinking"]
    assert [p["status"] for p in record["plan_items"]] == ["suggested"]
    assert record["members"] == []


def test_a_manager_sees_their_teams_families_only(app, anns_family):
    family_id, _, _ = anns_family
    mia = signed_in(app, "mia")  # manager of ann's team
    assert mia.get(f"/api/v1/families/{family_id}").status_code == 200
    assert family_id in {f["id"] for f in mia.get("/api/v1/families").json()}
    sam = signed_in(app, "sam")  # an advisor of another team
    assert sam.get(f"/api/v1/families/{family_id}").status_code == 404
    assert sam.get("/api/v1/families").json() == []


@pytest.mark.parametrize("who", ["ada", "root"])
def test_analysts_and_admins_never_see_family_records(app, planner_db, anns_family, who):
    family_id, _, _ = anns_family
    client = signed_in(app, who)
    for answer in (
        client.get(f"/api/v1/families/{family_id}"),
        client.get("/api/v1/families"),
        client.post("/api/v1/families", json={"name": "Not theirs to add"}),
        client.delete(f"/api/v1/families/{family_id}"),
    ):
        assert answer.status_code == 403
        assert "does not work with family records" in answer.json()["detail"]
    assert count(planner_db, Family) == 1


# ------------------------------------------------------------------------------------------------ (b) CSRF


def test_changes_without_the_right_csrf_token_are_refused_and_nothing_is_written(app, planner_db, anns_family):
    family_id, _, item_id = anns_family
    ann = signed_in(app, "ann")
    bobs_token = signed_in(app, "bob").headers["X-CSRF-Token"]  # a real token, but of another session
    base = f"/api/v1/families/{family_id}"
    before = {model: count(planner_db, model) for model in (Family, FamilyIssue, Member, PlanItem, WebSession)}
    for token in (None, "", "wrong-token", bobs_token):
        headers = {"X-CSRF-Token": token} if token is not None else {}
        ann.headers.pop("X-CSRF-Token", None)
        for answer in (
            ann.post("/api/v1/families", json={"name": "Forged"}, headers=headers),
            ann.post(f"{base}/issues", json={"issue": "worklessness"}, headers=headers),
            ann.post(f"{base}/members", json={"name": "Forged"}, headers=headers),
            ann.patch(f"{base}/plan-items/{item_id}", json={"status": "ended"}, headers=headers),
            ann.delete(base, headers=headers),
            ann.delete("/api/v1/session", headers=headers),
        ):
            assert answer.status_code == 403, (token, answer.request.method, answer.request.url)
            assert "CSRF" in answer.json()["detail"]
    assert {model: count(planner_db, model) for model in before} == before
    assert ann.get(base).json()["plan_items"][0]["status"] == "suggested"
    assert ann.get("/api/v1/families").status_code == 200  # still signed in


# ------------------------------------------------------------------------------------------------ (c) SQL injection


def test_sql_metacharacters_are_stored_as_text(app, planner_db, directory):
    ann = signed_in(app, "ann")
    name = "Robert'); DROP TABLE family;--"
    note = "x' OR '1'='1'; DELETE FROM audit_log; --"
    member = 'Bobby" OR 1=1 --'
    family_id = ann.post("/api/v1/families", json={"name": name, "address": "1'; DROP TABLE member;--"}).json()["id"]
    ann.post(f"/api/v1/families/{family_id}/members", json={"name": member})
    ann.post(f"/api/v1/families/{family_id}/issues", json={"issue": "drinking", "note": note, "raised_by": "O'Brien"})
    searched = ann.get("/api/v1/services", params={"issue": "x'; DROP TABLE service;--"})
    assert searched.status_code == 400
    not_an_id = ann.get("/api/v1/families/' OR '1'='1")
    assert not_an_id.status_code == 404

    record = ann.get(f"/api/v1/families/{family_id}").json()
    assert record["name"] == name
    assert record["address"] == "1'; DROP TABLE member;--"
    assert [m["name"] for m in record["members"]] == [member]
    assert [(i["note"], i["raised_by"]) for i in record["issues"]] == [(note, "O'Brien")]
    tables = set(inspect_db(planner_db.engine).get_table_names())
    assert {"family", "member", "service", "audit_log", "family_issue"} <= tables
    assert count(planner_db, Family) == 1
    assert count(planner_db, Service) == 15
    assert count(planner_db, AuditEntry) > 0


# ------------------------------------------------------------------------------------------------ (d) sessions


def test_signing_in_always_makes_a_new_session_and_signing_out_ends_it(app, planner_db):
    client = TestClient(app)
    client.cookies.set(COOKIE, "a-token-an-attacker-planted")
    answer = client.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
    assert answer.status_code == 200
    first = answer.cookies[COOKIE]
    assert first != "a-token-an-attacker-planted"
    planted = TestClient(app)
    planted.cookies.set(COOKIE, "a-token-an-attacker-planted")
    assert planted.get("/api/v1/families").status_code == 401

    # signing in again (the old cookie sent along) gives a new token and ends the old session
    again = client.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
    second = again.cookies[COOKIE]
    assert second != first
    old = TestClient(app)
    old.cookies.set(COOKIE, first)
    assert old.get("/api/v1/families").status_code == 401

    copy = TestClient(app)
    copy.cookies.set(COOKIE, second)
    assert copy.get("/api/v1/families").status_code == 200
    out = client.delete("/api/v1/session", headers={"X-CSRF-Token": again.json()["csrf_token"]})
    assert out.status_code == 204
    assert COOKIE in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert copy.get("/api/v1/families").status_code == 401  # a kept copy of the cookie is worthless now
    assert copy.get("/api/v1/families").json() == {"detail": "Sign in first."}
    assert count(planner_db, WebSession) == 0


# ------------------------------------------------------------------------------------------------ (e) lockout


def test_five_wrong_passwords_lock_the_account(app, planner_db, users):
    client = TestClient(app)
    for _ in range(5):
        wrong = client.post("/api/v1/session", json={"username": "ann", "password": "guess guess guess"})
        assert wrong.status_code == 401
        assert wrong.json() == {"detail": "Wrong user name or password."}
    right = client.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
    assert right.status_code == 401
    assert "locked" in right.json()["detail"]
    assert "set-cookie" not in right.headers
    assert client.get("/api/v1/families").status_code == 401
    with planner_db.session() as session:
        denials = session.scalars(
            select(AuditEntry.detail)
            .where(AuditEntry.action == "sign_in", AuditEntry.outcome == "denied", AuditEntry.username == "ann")
            .order_by(AuditEntry.id)
        ).all()
    assert denials == ["wrong password"] * 5 + ["account locked"]
    # another account is not affected
    assert TestClient(app).post("/api/v1/session", json={"username": "bob", "password": PASSWORD}).status_code == 200


# ------------------------------------------------------------------------------------------------ (f) at rest


def test_personal_data_is_not_in_the_database_file(app, planner_db, directory):
    if planner_db.backend != "sqlite":
        pytest.skip("reads the SQLite database file; on PostgreSQL the files belong to the server")
    name, born, note = "Zebedee Quaxworth", "1987-06-05", "Quokka cellar 9431"
    ann = signed_in(app, "ann")
    family_id = ann.post("/api/v1/families", json={"name": name, "address": "7 Quaxworth Lane"}).json()["id"]
    ann.post(f"/api/v1/families/{family_id}/members", json={"name": name, "date_of_birth": born})
    ann.post(f"/api/v1/families/{family_id}/issues", json={"issue": "drinking", "note": note})
    ann.post(f"/api/v1/families/{family_id}/goals", json={"area": "Home", "text": note})
    assert ann.get(f"/api/v1/families/{family_id}").json()["members"][0]["date_of_birth"] == born

    path = Path(planner_db.engine.url.database)
    stored = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert family_id.encode() in stored  # the rows are in these files (the search would find clear text)
    for secret in (name, "Quaxworth", born, note, "Quokka"):
        assert secret.encode("utf-8") not in stored, secret
        assert secret.encode("utf-16-le") not in stored, secret


# ------------------------------------------------------------------------------------------------ (g) audit log


def test_the_audit_log_cannot_be_changed_or_deleted(app, planner_db, anns_family):
    entries = count(planner_db, AuditEntry)
    assert entries > 0
    with planner_db.session() as session:
        first = session.scalar(select(AuditEntry).order_by(AuditEntry.id).limit(1))
        kept = (first.id, first.username, first.action, first.detail)
    for statement in (
        update(AuditEntry).values(detail="tampered"),
        update(AuditEntry).where(AuditEntry.id == kept[0]).values(username="someone else"),
        delete(AuditEntry),
        delete(AuditEntry).where(AuditEntry.id == kept[0]),
    ):
        with pytest.raises(DBAPIError, match="append-only"), planner_db.engine.begin() as connection:
            connection.execute(statement)
    assert count(planner_db, AuditEntry) == entries
    with planner_db.session() as session:
        first = session.get(AuditEntry, kept[0])
        assert (first.id, first.username, first.action, first.detail) == kept


# ------------------------------------------------------------------------------------------------ (h) stored XSS


def test_script_in_a_record_comes_back_as_json_data(app, directory):
    ann = signed_in(app, "ann")
    payload = "<script>alert(document.cookie)</script>"
    image = '<img src=x onerror="alert(1)">'
    family_id = ann.post("/api/v1/families", json={"name": payload}).json()["id"]
    ann.post(f"/api/v1/families/{family_id}/issues", json={"issue": "drinking", "note": image})
    answer = ann.get(f"/api/v1/families/{family_id}")
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.json()["name"] == payload
    assert answer.json()["issues"][0]["note"] == image
    listed = ann.get("/api/v1/families")
    assert listed.headers["content-type"] == "application/json"
    assert listed.json()[0]["name"] == payload
