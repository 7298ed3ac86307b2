"""The planner's server-rendered pages, driven with FastAPI's TestClient (no JavaScript: forms post and redirect).

Each test signs in through the sign-in form as a real browser would (the form's own token and cookie, then the
session cookie), and posts forms with the CSRF token read from the page it came from.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from circles.planner.directory import import_directory
from circles.planner.models import AuditEntry, Family, PlanItem, ProgressScore
from circles.planner.web.app import create_app
from circles.resources import packaged
from tests.planner.conftest import PASSWORD

XSS_NAME = "<script>alert(1)</script>"
XSS_NOTE = '"><img src=x onerror=alert(1)>'
GOAL = "We want a calm home where everybody gets to school on time"


def make_app(planner_db, **options):
    """The planner app over ``planner_db`` with the demo directory imported."""
    with planner_db.session() as session:
        import_directory(session, None, packaged("pipelines") / "demo_services.yaml")
    return create_app(planner_db, **options)


@pytest.fixture
def app(planner_db, users):
    return make_app(planner_db, secure_cookies=False)


def _client(app) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return unescape(found.group(1))


def _sign_in(client: TestClient, username: str, password: str = PASSWORD):
    form = client.get("/sign-in")
    assert form.status_code == 200
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "sign_in_token": _field(form.text, "sign_in_token")},
        follow_redirects=False,
    )


def _signed_in(app, username: str) -> tuple[TestClient, str]:
    """A client signed in as ``username``, and the session's CSRF token (from the start page's forms)."""
    client = _client(app)
    answer = _sign_in(client, username)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    home = client.get("/", follow_redirects=True)
    return client, _field(home.text, "csrf_token")


def _new_family(client: TestClient, csrf: str, name: str, **fields) -> str:
    answer = client.post("/families", data={"csrf_token": csrf, "name": name, **fields}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/families/([0-9a-f]{32})", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def _post(client: TestClient, url: str, csrf: str, **fields):
    answer = client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer


# --------------------------------------------------------------------------------------------------- sign in
def test_sign_in_succeeds_with_a_new_session_cookie_and_fails_with_a_message(app, planner_db):
    client = _client(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"

    wrong = _sign_in(client, "ann", "not the password at all")
    assert wrong.status_code == 400
    assert "Wrong user name or password." in wrong.text
    assert "circles_session" not in client.cookies

    right = _sign_in(client, "ann")
    assert right.status_code == 303 and right.headers["location"] == "/"
    first = client.cookies["circles_session"]
    assert "HttpOnly" in right.headers["set-cookie"] and "samesite=strict" in right.headers["set-cookie"].lower()
    home = client.get("/")
    assert home.status_code == 200 and "Your caseload" in home.text and "ann" in home.text

    again = _sign_in(client, "ann")  # signing in again makes a new session and ends the old one
    assert again.status_code == 303 and client.cookies["circles_session"] != first
    stale = _client(app)
    stale.cookies.set("circles_session", first)
    assert stale.get("/", follow_redirects=False).headers["location"] == "/sign-in"

    with planner_db.session() as session:
        outcomes = session.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "sign_in")).all()
    assert outcomes == ["denied", "ok", "ok"]


def test_sign_in_without_the_forms_token_is_refused(app):
    client = _client(app)
    answer = client.post("/sign-in", data={"username": "ann", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 400 and "expired" in answer.text
    assert "circles_session" not in client.cookies


def test_sign_out_ends_the_session(app):
    client, csrf = _signed_in(app, "ann")
    token = client.cookies["circles_session"]
    answer = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
    replay = _client(app)
    replay.cookies.set("circles_session", token)
    assert replay.get("/", follow_redirects=False).headers["location"] == "/sign-in"


# ---------------------------------------------------------------------------------------- who sees what
def test_caseload_shows_only_the_advisors_own_families(app):
    ann, ann_csrf = _signed_in(app, "ann")
    bob, bob_csrf = _signed_in(app, "bob")
    anns = _new_family(ann, ann_csrf, "Ashworth family", postcode="BB1 7DY")
    _new_family(bob, bob_csrf, "Barlow family")

    ann_home = ann.get("/").text
    assert "Ashworth family" in ann_home and "Barlow family" not in ann_home
    assert "Blackburn Central" in ann_home  # the ward of BB1 7DY (E05011511), from the postcode
    bob_home = bob.get("/").text
    assert "Barlow family" in bob_home and "Ashworth family" not in bob_home

    refused = bob.get(f"/families/{anns}")
    assert refused.status_code == 404
    assert "Ashworth" not in refused.text
    # bob cannot change it either (the same 404, not a 403 that would say it exists)
    assert (
        bob.post(f"/families/{anns}/goals", data={"csrf_token": bob_csrf, "area": "Money", "text": "x"}).status_code
        == 404
    )

    mia, _ = _signed_in(app, "mia")  # their manager sees the team's families
    assert "Ashworth family" in mia.get("/").text and "Barlow family" in mia.get("/").text


def test_admin_and_analyst_get_their_own_pages_and_no_family(app):
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, "Ashworth family")
    root, _ = _signed_in(app, "root")
    admin = root.get("/")
    assert admin.status_code == 200 and "Administration" in admin.text
    assert "<strong>15</strong> services" in admin.text  # the demo directory
    for username in ("ann", "bob", "mia", "sam", "ada", "root"):
        assert f'<th scope="row">{username}</th>' in admin.text
    assert "Ashworth" not in admin.text
    assert root.get(f"/families/{family}").status_code == 403
    assert root.get(f"/families/{family}/plan").status_code == 403

    audit = root.get("/admin/audit.csv")
    assert audit.status_code == 200 and audit.headers["content-type"].startswith("text/csv")
    assert "attachment" in audit.headers["content-disposition"]
    lines = audit.text.splitlines()
    assert lines[0].split(",")[:5] == ["id", "at", "user_id", "username", "action"]
    assert any(",family.create," in line for line in lines) and any(",audit.export," in line for line in lines)
    assert "Ashworth" not in audit.text  # the log names no family
    assert ann.get("/admin/audit.csv").status_code == 403

    ada, _ = _signed_in(app, "ada")
    first = ada.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/analysis"
    assert ada.get(f"/families/{family}").status_code == 403
    assert ada.get("/services").status_code == 403
    assert ann.get("/analysis").status_code == 403


def test_posting_without_the_csrf_token_is_refused(app, planner_db):
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, "Ashworth family")
    assert ann.post("/families", data={"name": "Forged family"}).status_code == 403
    assert ann.post("/families", data={"name": "Forged family", "csrf_token": "wrong"}).status_code == 403
    assert ann.post(f"/families/{family}/erase", data={"confirm": "yes"}).status_code == 403
    assert ann.post("/sign-out", data={}).status_code == 403
    with planner_db.session() as session:
        assert session.scalars(select(Family.id)).all() == [family]
    assert "Forged family" not in ann.get("/").text


# --------------------------------------------------------------------------------------------- the family record
def test_issues_suggested_services_and_moving_the_plan_on(app, planner_db):
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, "Ashworth family", postcode="BB1 7DY", address="1 Mill Lane, Blackburn")
    url = f"/families/{family}"
    _post(ann, f"{url}/members", csrf, name="Jo Ashworth", date_of_birth="1990-04-02", relationship="mum")
    _post(ann, f"{url}/consents", csrf, scope="Share the plan with the services in it", given_on="2026-01-05")
    _post(ann, f"{url}/issues", csrf, issue="low_income", raised_by="Mum", note="Rent is two months behind")
    _post(ann, f"{url}/issues", csrf, issue="worklessness", raised_by="Job Centre")

    page = ann.get(url)
    assert page.status_code == 200
    text = page.text
    assert "Jo Ashworth" in text and "1990-04-02" in text and "35-44" in text
    assert "Share the plan with the services in it" in text
    assert text.index("Not enough money or debts") < text.index("Out of work for a while")  # in the order raised
    assert "Raised by Mum" in text and "Rent is two months behind" in text
    # suggestions for each issue, nearest first from the family's postcode, each with its Add to plan button
    for service in ("Think Family advocates", "Family Intervention Programme", "Shadsworth Community Centre"):
        assert service in text
    assert "0.0 km away" in text  # Housing and Think Family sit at the Town Hall, BB1 7DY
    assert text.count("Add to plan<span") == 5  # 3 services for money, 2 for work
    issue_ids = [int(i) for i in re.findall(r'name="issue_id" value="(\d+)"', text)]
    assert len(set(issue_ids)) == 2

    _post(ann, f"{url}/plan-items", csrf, service_id="think-family", issue_id=str(issue_ids[0]))
    _post(ann, f"{url}/plan-items", csrf, service_id="shadsworth-centre", issue_id=str(issue_ids[-1]))
    page = ann.get(url).text
    assert page.count("Add to plan<span") == 3 and page.count('<p class="tag">In the plan</p>') == 2
    with planner_db.session() as session:
        items = {p.service_id: p for p in session.scalars(select(PlanItem))}
    assert set(items) == {"think-family", "shadsworth-centre"}
    assert {p.status for p in items.values()} == {"suggested"}
    item = items["think-family"]
    assert 'name="status" value="referred"' in page and "Move on to referred" in page

    _post(ann, f"{url}/plan-items/{item.id}", csrf, status="referred")
    _post(ann, f"{url}/plan-items/{item.id}", csrf, review_date="2026-09-01", notes=XSS_NOTE)
    with planner_db.session() as session:
        moved = session.get(PlanItem, item.id)
        assert moved.status == "referred" and str(moved.review_date) == "2026-09-01" and moved.notes == XSS_NOTE
        assert [e.status for e in moved.events] == ["suggested", "referred"]
    page = ann.get(url).text
    assert "Move on to engaged" in page and 'value="2026-09-01"' in page

    caseload = ann.get("/").text
    assert "Not enough money or debts; Out of work for a while" in caseload
    assert re.search(r'<td class="num">2</td>', caseload)  # two plan items


def test_progress_scores_and_goals(app, planner_db):
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, "Ashworth family")
    url = f"/families/{family}"
    _post(ann, f"{url}/scores", csrf, area="Money", score="3")
    _post(ann, f"{url}/scores", csrf, area="Money", score="6")
    _post(ann, f"{url}/scores", csrf, area="Home", score="5")
    _post(ann, f"{url}/goals", csrf, area="Family life", text=GOAL)
    with planner_db.session() as session:
        scores = session.scalars(select(ProgressScore).order_by(ProgressScore.id)).all()
    assert [(s.area, s.score) for s in scores] == [("Money", 3), ("Money", 6), ("Home", 5)]
    page = ann.get(url).text
    money = page[page.index('<th scope="row">Money</th>') :]
    money = money[: money.index("</tr>")]
    assert re.findall(r"<strong>(\d+)</strong>", money) == ["3", "6"]
    assert '<td class="num">6</td>' in money and '<td class="num">+3</td>' in money
    assert GOAL in page

    bad = ann.post(f"{url}/scores", data={"csrf_token": csrf, "area": "Money", "score": "11"})
    assert bad.status_code == 400 and "whole number from 1 to 10" in bad.text
    assert f'href="/families/{family}"' in bad.text  # the error page links back to the family
    bad = ann.post(f"{url}/scores", data={"csrf_token": csrf, "area": "Luck", "score": "5"})
    assert bad.status_code == 400 and "Unknown wellbeing area" in bad.text


def test_stored_script_is_escaped_everywhere(app):
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, XSS_NAME, address=XSS_NOTE)
    url = f"/families/{family}"
    _post(ann, f"{url}/members", csrf, name=XSS_NAME, relationship=XSS_NOTE[:40])
    _post(ann, f"{url}/issues", csrf, issue="low_income", raised_by=XSS_NOTE, note=XSS_NOTE)
    _post(ann, f"{url}/goals", csrf, area="Money", text=XSS_NOTE)
    _post(ann, f"{url}/plan-items", csrf, service_id="housing", notes=XSS_NOTE)
    for page in (ann.get("/").text, ann.get(url).text, ann.get(f"{url}/plan").text):
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page and "onerror=alert(1)>" not in page
    page = ann.get(url).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page  # the pages carry no script at all
    assert "style=" not in page  # nor an inline style (the CSP forbids both)
    assert "&lt;script&gt;" in ann.get("/").text


def test_erase_needs_the_box_ticked_then_removes_the_family(app, planner_db):
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, "Ashworth family")
    unticked = ann.post(f"/families/{family}/erase", data={"csrf_token": csrf})
    assert unticked.status_code == 400 and "tick the box" in unticked.text
    assert ann.get(f"/families/{family}").status_code == 200
    answer = _post(ann, f"/families/{family}/erase", csrf, confirm="yes")
    assert answer.headers["location"] == "/"
    assert ann.get(f"/families/{family}").status_code == 404
    assert "Ashworth family" not in ann.get("/").text
    with planner_db.session() as session:
        assert session.scalars(select(Family)).all() == []


def test_bad_input_answers_400_with_a_way_back(app):
    ann, csrf = _signed_in(app, "ann")
    answer = ann.post("/families", data={"csrf_token": csrf, "name": "Ashworth", "postcode": "ZZ99 9ZZ"})
    assert answer.status_code == 400 and "is not a live postcode" in answer.text and 'href="/"' in answer.text
    family = _new_family(ann, csrf, "Ashworth family")
    answer = ann.post(f"/families/{family}/issues", data={"csrf_token": csrf, "issue": "no_such_issue"})
    assert answer.status_code == 400 and "No family issue" in answer.text
    answer = ann.post(f"/families/{family}/issues", data={"csrf_token": csrf, "issue": "drinking", "member_id": "x"})
    assert answer.status_code == 400
    answer = ann.post(f"/families/{family}/plan-items/999", data={"csrf_token": csrf, "status": "referred"})
    assert answer.status_code == 404


# ------------------------------------------------------------------------------------------------ the directory
def test_directory_search_by_issue_postcode_and_hours(app):
    ann, _ = _signed_in(app, "ann")
    page = ann.get("/services", params={"issue": "low_income", "postcode": "bb1 7dy"}).text
    assert "3 services for “Not enough money or debts”, nearest to BB1 7DY first" in page
    assert page.index("Housing") < page.index("Family Intervention Programme")  # no known site: last
    assert (
        "0.0 km" in page
        and "site not known" in page
        and "meets the need “Practical help with money and housing” (NEE02); is Family support" in page
    )

    page = ann.get("/services", params={"issue": "worklessness", "evenings": "1", "weekends": "1"}).text
    assert "1 service for “Out of work for a while”" in page and "Shadsworth Community Centre" in page
    assert "VOICE peer support" not in page  # open Saturdays but no evening

    page = ann.get("/services", params={"issue": "low_income", "postcode": "BB1 7DY", "within_km": "1"}).text
    assert "2 services" in page and "Family Intervention Programme" not in page

    page = ann.get("/services", params={"postcode": "ZZ99 9ZZ"}).text
    assert "was not found" in page and "<table" not in page


# ---------------------------------------------------------------------------------------------- the printed plan
@pytest.fixture
def planned(app):
    """ann's family with two issues, two services in the plan (one referred), a goal and scores."""
    ann, csrf = _signed_in(app, "ann")
    family = _new_family(ann, csrf, "Ashworth family", postcode="BB1 7DY", address="1 Mill Lane, Blackburn")
    url = f"/families/{family}"
    _post(ann, f"{url}/members", csrf, name="Jo Ashworth", date_of_birth="1990-04-02", relationship="mum")
    _post(ann, f"{url}/issues", csrf, issue="Not enough money or debts", raised_by="Mum")
    _post(ann, f"{url}/issues", csrf, issue="Out of work for a while", raised_by="Mum")
    ids = [int(i) for i in dict.fromkeys(re.findall(r'name="issue_id" value="(\d+)"', ann.get(url).text))]
    _post(ann, f"{url}/plan-items", csrf, service_id="think-family", issue_id=str(ids[0]), notes="private note")
    _post(ann, f"{url}/plan-items", csrf, service_id="shadsworth-centre", issue_id=str(ids[1]))
    item = re.search(r'plan-items/(\d+)"', ann.get(url).text).group(1)
    _post(ann, f"{url}/plan-items/{item}", csrf, status="referred")
    _post(ann, f"{url}/plan-items/{item}", csrf, review_date="2026-09-01")
    _post(ann, f"{url}/goals", csrf, area="Family life", text=GOAL)
    _post(ann, f"{url}/scores", csrf, area="Money", score="4")
    _post(ann, f"{url}/scores", csrf, area="Money", score="7")
    return ann, family


def test_printable_plan_page(planned, planner_db):
    ann, family = planned
    page = ann.get(f"/families/{family}/plan")
    assert page.status_code == 200
    text = page.text
    assert "Our family plan" in text and "For Jo." in text
    for words in ("Not enough money or debts", "Out of work for a while", "Think Family advocates"):
        assert words in text
    assert "Shadsworth Community Centre" in text
    assert "We have asked them to help (a referral has been made)." in text  # referred, in plain words
    assert "1 September 2026" in text and GOAL in text and "7 out of 10" in text
    for private in ("Mill Lane", "BB1 7DY", "1990-04-02", "Ashworth", "private note"):
        assert private not in text  # no address, postcode, date of birth, surname or advisor's note
    assert '<link rel="stylesheet" href="/static/plan.css">' in text
    css = ann.get("/static/plan.css")
    assert css.status_code == 200 and "@media print" in css.text
    with planner_db.session() as session:
        reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.read")).all()
    assert [(r.object_id, r.username) for r in reads] == [(family, "ann")]


def _pdf_text_and_sizes(content: bytes) -> tuple[str, list[float]]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(content)
    texts, sizes = [], []
    for page in pdf:
        textpage = page.get_textpage()
        texts.append(textpage.get_text_range())
        for index in range(textpage.count_chars()):
            if not textpage.get_text_range(index, 1).isspace():
                sizes.append(raw.FPDFText_GetFontSize(textpage.raw, index))
    return "\n".join(texts), sizes


def test_plan_pdf_standard_and_large_print(planned, planner_db):
    ann, family = planned
    standard = ann.get(f"/families/{family}/plan.pdf")
    assert standard.status_code == 200 and standard.headers["content-type"] == "application/pdf"
    assert standard.content.startswith(b"%PDF")
    text, sizes = _pdf_text_and_sizes(standard.content)
    flat = " ".join(text.split())
    assert GOAL in flat
    assert "Not enough money or debts" in flat and "Think Family advocates" in flat
    assert "Mill Lane" not in flat
    assert min(sizes) >= 8.5

    large = ann.get(f"/families/{family}/plan.pdf", params={"size": "large"})
    assert large.status_code == 200 and large.content.startswith(b"%PDF")
    text, sizes = _pdf_text_and_sizes(large.content)
    assert min(sizes) >= 15.9  # nothing under 16 pt (allowing for rounding in the PDF)
    assert GOAL in " ".join(text.split())  # no word of it broken across lines
    assert not re.search(r"[A-Za-z]-\s*\r?\n", text)  # nothing hyphenated at a line end
    assert len(large.content) != len(standard.content)

    assert ann.get(f"/families/{family}/plan.pdf", params={"size": "huge"}).status_code == 400
    bob, _ = _signed_in(ann.app, "bob")
    assert bob.get(f"/families/{family}/plan.pdf").status_code == 404
    with planner_db.session() as session:
        prints = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.print")).all()
    assert [(p.username, p.outcome) for p in prints] == [("ann", "ok"), ("ann", "ok"), ("bob", "denied")]


def test_every_page_has_a_skip_link_labels_and_no_inline_style(planned):
    ann, family = planned
    for url in ("/", f"/families/{family}", f"/families/{family}/plan", "/services?issue=drinking"):
        page = ann.get(url)
        assert page.status_code == 200
        text = page.text
        assert '<a class="skip-link" href="#main">Skip to main content</a>' in text and '<main id="main"' in text
        assert "style=" not in text and "<script" not in text and "<style" not in text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', text))
        labelled = set(re.findall(r'<label for="([^"]+)"', text))
        assert ids <= labelled, ids - labelled  # every visible input has a label
        levels = [int(h) for h in re.findall(r"<h([1-6])\b", text)]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    login = _client(ann.app).get("/sign-in").text
    assert '<label for="username">' in login and '<label for="password">' in login
