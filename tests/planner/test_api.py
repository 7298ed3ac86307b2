"""The planner's JSON API end to end: sign in, a family's whole record, the directory search and the aggregates."""

from __future__ import annotations

from fastapi.testclient import TestClient

from circles.planner import records
from tests.planner.conftest import PASSWORD, signed_in

HOSPITAL = "BB2 3HH"  # Royal Blackburn Hospital: ward E05011513 (Blackburn South East)
TOWN_HALL = "BB1 7DY"  # Blackburn Town Hall: ward E05011511 (Blackburn Central)


def test_sign_in_gives_a_csrf_token_and_an_http_only_cookie(app):
    client = TestClient(app)
    assert client.get("/api/v1/families").status_code == 401
    assert client.get("/api/v1/families").json() == {"detail": "Sign in first."}

    wrong = client.post("/api/v1/session", json={"username": "ann", "password": "not the password"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Wrong user name or password."}
    assert "set-cookie" not in wrong.headers

    answer = client.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"] == {"username": "ann", "role": "advisor"}
    assert len(body["csrf_token"]) >= 32
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("circles_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert client.get("/api/v1/session").json()["user"]["username"] == "ann"
    assert client.get("/api/v1/families").json() == []


def test_a_family_record_through_the_api(app, directory):
    ann = signed_in(app, "ann")
    made = ann.post("/api/v1/families", json={"name": "The Examples", "postcode": "bb2 3hh", "address": "1 A Street"})
    assert made.status_code == 201
    family_id = made.json()["id"]
    assert made.json()["ward_code"] == "E05011513"
    listed = ann.get("/api/v1/families").json()
    assert [(f["id"], f["name"], f["ward_code"], f["issues"], f["plan_items"]) for f in listed] == [
        (family_id, "The Examples", "E05011513", 0, 0)
    ]
    base = f"/api/v1/families/{family_id}"

    member = ann.post(f"{base}/members", json={"name": "Jo Example", "date_of_birth": "2015-03-01"})
    assert member.status_code == 201
    member_id = member.json()["id"]
    assert member.json()["date_of_birth"] == "2015-03-01"
    consent = ann.post(f"{base}/consents", json={"scope": "share with Housing", "given_on": "2025-01-02"})
    assert consent.status_code == 201

    issue = ann.post(
        f"{base}/issues",
        json={"issue": "Behind with the rent", "raised_by": "Mum", "member_id": member_id, "note": "two months"},
    )
    assert issue.status_code == 201
    raised = issue.json()["issue"]
    assert (raised["code"], raised["label"], raised["raised_by"], raised["member_id"]) == (
        "rent_arrears",
        "Behind with the rent",
        "Mum",
        member_id,
    )
    suggested = issue.json()["suggested_services"]
    by_id = {s["id"]: s for s in suggested}
    # the demo directory's services for money and housing (codebook need NEE02, or the taxonomy term "Housing")
    assert set(by_id) == {"housing", "think-family", "family-intervention"}
    assert by_id["housing"]["matched_by"] == [
        "meets the need “Practical help with money and housing” (NEE02)",
        "is Housing",
    ]
    assert all(s["matched_by"] for s in suggested)
    # nearest the family's postcode first: the town hall is 2.1 km from the hospital; no known site comes last
    assert [s["distance_km"] for s in suggested] == [2.1, 2.1, None]
    assert suggested[-1]["id"] == "family-intervention"

    item = ann.post(f"{base}/plan-items", json={"service_id": "housing", "issue_id": raised["id"]})
    assert item.status_code == 201
    item_id = item.json()["id"]
    assert (item.json()["status"], item.json()["service"]) == ("suggested", "Housing")
    assert [h["status"] for h in item.json()["history"]] == ["suggested"]
    assert ann.patch(f"{base}/plan-items/{item_id}", json={"status": "referred"}).status_code == 200
    moved = ann.patch(
        f"{base}/plan-items/{item_id}", json={"status": "engaged", "review_date": "2030-01-31", "notes": "first visit"}
    )
    assert moved.status_code == 200
    assert [h["status"] for h in moved.json()["history"]] == ["suggested", "referred", "engaged"]
    # the same status again is no new step
    again = ann.patch(f"{base}/plan-items/{item_id}", json={"status": "engaged"})
    assert [h["status"] for h in again.json()["history"]] == ["suggested", "referred", "engaged"]
    assert ann.patch(f"{base}/plan-items/{item_id}", json={"status": "finished"}).status_code == 422

    assert ann.post(f"{base}/goals", json={"area": "Home", "text": "Stay in our home"}).status_code == 201
    assert ann.post(f"{base}/scores", json={"area": "Money", "score": 4}).status_code == 201
    assert ann.post(f"{base}/scores", json={"area": "Money", "score": 11}).status_code == 422
    unknown_area = ann.post(f"{base}/scores", json={"area": "Luck", "score": 4})
    assert unknown_area.status_code == 400
    assert unknown_area.json()["detail"].startswith("Unknown wellbeing area 'Luck'")

    record = ann.get(base).json()
    assert (record["name"], record["address"], record["ward_code"]) == (
        "The Examples",
        "1 A Street, BB2 3HH",
        "E05011513",
    )
    assert [(m["name"], m["date_of_birth"]) for m in record["members"]] == [("Jo Example", "2015-03-01")]
    assert [(c["scope"], c["given_on"]) for c in record["consents"]] == [("share with Housing", "2025-01-02")]
    assert [(i["code"], i["label"], i["raised_by"], i["note"]) for i in record["issues"]] == [
        ("rent_arrears", "Behind with the rent", "Mum", "two months")
    ]
    assert record["issues"][0]["raised_at"]
    [plan] = record["plan_items"]
    assert (plan["service"], plan["status"], plan["review_date"], plan["notes"], plan["issue_id"]) == (
        "Housing",
        "engaged",
        "2030-01-31",
        "first visit",
        raised["id"],
    )
    assert [h["status"] for h in plan["history"]] == ["suggested", "referred", "engaged"]
    assert [(g["area"], g["text"]) for g in record["goals"]] == [("Home", "Stay in our home")]
    assert [(s["area"], s["score"]) for s in record["scores"]] == [("Money", 4)]
    listed = ann.get("/api/v1/families").json()
    assert (listed[0]["issues"], listed[0]["plan_items"]) == (1, 1)

    assert ann.delete(base).status_code == 204
    assert ann.get(base).status_code == 404
    assert ann.get("/api/v1/families").json() == []


def test_refused_changes_answer_400_or_404_with_a_reason(app, directory):
    ann = signed_in(app, "ann")
    first = ann.post("/api/v1/families", json={"name": "First"}).json()["id"]
    second = ann.post("/api/v1/families", json={"name": "Second"}).json()["id"]
    other_issue = ann.post(f"/api/v1/families/{second}/issues", json={"issue": "drinking"}).json()["issue"]["id"]

    no_service = ann.post(f"/api/v1/families/{first}/plan-items", json={"service_id": "no-such-service"})
    assert no_service.status_code == 400
    assert "No service 'no-such-service'" in no_service.json()["detail"]
    # an issue of another family is not one of this family's
    crossed = ann.post(f"/api/v1/families/{first}/plan-items", json={"service_id": "evolve", "issue_id": other_issue})
    assert crossed.status_code == 404
    unknown_issue = ann.post(f"/api/v1/families/{first}/issues", json={"issue": "bad luck"})
    assert unknown_issue.status_code == 400
    assert unknown_issue.json()["detail"].startswith("No family issue 'bad luck'")
    bad_postcode = ann.post("/api/v1/families", json={"name": "Third", "postcode": "ZZ99 9ZZ"})
    assert bad_postcode.status_code == 400
    assert "is not a live postcode" in bad_postcode.json()["detail"]
    bad_date = ann.post(f"/api/v1/families/{first}/members", json={"name": "Al", "date_of_birth": "31/01/2015"})
    assert bad_date.status_code == 400
    assert "is not a date (YYYY-MM-DD)" in bad_date.json()["detail"]
    assert len(ann.get("/api/v1/families").json()) == 2
    assert ann.get(f"/api/v1/families/{first}").json()["plan_items"] == []


def test_request_bodies_are_checked(app, planner_db):
    ann = signed_in(app, "ann")
    extra = ann.post("/api/v1/families", json={"name": "A family", "owner_id": 99})
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["type"] == "extra_forbidden"
    assert ann.post("/api/v1/families", json={"name": "x" * 201}).status_code == 422
    assert ann.post("/api/v1/families", json={"name": ""}).status_code == 422
    assert ann.post("/api/v1/families", json={"postcode": "BB2 3HH"}).status_code == 422
    assert ann.get("/api/v1/families").json() == []


def test_services_search_nearest_first(app, directory):
    ann = signed_in(app, "ann")
    everything = ann.get("/api/v1/services", params={"postcode": HOSPITAL})
    assert everything.status_code == 200
    found = everything.json()
    assert len(found) == 15  # the whole demo directory
    distances = [s["distance_km"] for s in found]
    known = [d for d in distances if d is not None]
    assert known == sorted(known) and known[0] == 0.0
    assert distances == known + [None] * (len(distances) - len(known))  # services with no known site last
    assert {s["postcode"] for s in found if s["distance_km"] == 0.0} == {HOSPITAL}

    housing = ann.get("/api/v1/services", params={"issue": "rent_arrears", "postcode": TOWN_HALL}).json()
    assert [(s["id"], s["distance_km"]) for s in housing] == [
        ("housing", 0.0),
        ("think-family", 0.0),
        ("family-intervention", None),
    ]
    near = ann.get("/api/v1/services", params={"postcode": HOSPITAL, "within_km": 1}).json()
    assert near and all(s["distance_km"] is not None and s["distance_km"] <= 1 for s in near)
    assert len(near) == distances.count(0.0)
    evenings = ann.get("/api/v1/services", params={"evenings": "true"}).json()
    assert evenings and all(s["evenings"] for s in evenings)
    assert {"lifeline", "shadsworth-centre"} <= {s["id"] for s in evenings}

    unknown = ann.get("/api/v1/services", params={"postcode": "ZZ99 9ZZ"})
    assert unknown.status_code == 400
    assert unknown.json() == {"detail": "Postcode 'ZZ99 9ZZ' is not a live postcode of the postcode directory."}
    no_place = ann.get("/api/v1/services", params={"within_km": 2})
    assert no_place.status_code == 400 and "needs a postcode" in no_place.json()["detail"]
    assert ann.get("/api/v1/services", params={"issue": "bad luck"}).status_code == 400
    assert TestClient(app).get("/api/v1/services").status_code == 401


def test_analysis_endpoint_publishes_protected_counts(app, planner_db, users, directory):
    with planner_db.session() as session:
        for number in range(9):
            family = records.create_family(session, users["ann"], f"Family {number}", postcode=HOSPITAL)
            records.add_issue(session, users["ann"], family.id, "rent_arrears")
        for number in range(2):
            family = records.create_family(session, users["ann"], f"Other {number}", postcode=TOWN_HALL)
            records.add_issue(session, users["ann"], family.id, "drinking")

    answer = signed_in(app, "ada").get("/api/v1/analysis/issues-by-ward")
    assert answer.status_code == 200
    body = answer.json()
    assert body["policy"] == "nhs"
    assert "counts of 1 to 7 are suppressed" in body["rule"] and "nearest 5" in body["rule"]
    assert body["families"] == 10  # 11 families, rounded to the nearest 5
    rows = {(r["ward_code"], r["issue_code"]): r for r in body["rows"]}
    assert set(rows) == {("E05011513", "rent_arrears"), ("E05011511", "drinking")}
    published = rows["E05011513", "rent_arrears"]
    assert (published["ward_name"], published["families"], published["suppressed"]) == (
        "Blackburn South East",
        10,
        False,
    )
    assert published["outcome_label"] == "Secure housing"
    hidden = rows["E05011511", "drinking"]
    assert (hidden["families"], hidden["suppressed"], hidden["suppression"]) == (None, True, "primary")

    assert signed_in(app, "mia").get("/api/v1/analysis/issues-by-ward").json()["rows"] == body["rows"]
    for who in ("ann", "root"):
        refused = signed_in(app, who).get("/api/v1/analysis/issues-by-ward")
        assert refused.status_code == 403
        assert "only analysts and managers" in refused.json()["detail"]
    assert TestClient(app).get("/api/v1/analysis/issues-by-ward").status_code == 401
    unmet = signed_in(app, "ada").get("/api/v1/analysis/unmet").json()["rows"]
    assert {r["issue_code"]: (r["families"], r["services"]) for r in unmet}["drinking"] == (None, 5)
