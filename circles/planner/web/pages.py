"""The planner's pages for signing in, the home page of each role, the directory search and the analysis.

The sign-in form, which has no session yet, is guarded by its own token: a random value in a short-lived
``SameSite=Strict`` cookie that the form must echo (so another site cannot sign a browser in to an account of its
choosing). The family record and the printable plan are in :mod:`circles.planner.web.family_pages`.
"""

from __future__ import annotations

import hmac
import secrets
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.errors import PlannerError
from circles.planner import records
from circles.planner.audit import export_audit, record
from circles.planner.auth import end_session, sign_in
from circles.planner.directory import search_services
from circles.planner.models import Service, User, utcnow
from circles.planner.places import ward_names
from circles.planner.records import Forbidden
from circles.planner.web.deps import (
    DbSession,
    clear_session_cookie,
    cookie_name,
    set_session_cookie,
)
from circles.planner.web.page_kit import (
    Changing,
    Reading,
    gazetteer,
    grouped_issues,
    issue_label,
    issue_list,
    render_page,
    require_casework,
    templates,
)

__all__ = ["router"]

router = APIRouter()


# ------------------------------------------------------------------------------------------------------ sign in
def _sign_in_cookie(request: Request) -> str:
    return "__Host-circles-signin" if request.app.state.secure_cookies else "circles_signin"


def _sign_in_form(request: Request, error: str | None = None, username: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = templates(request).TemplateResponse(
        request,
        "sign_in.html",
        {"viewer": None, "error": error, "username": username, "sign_in_token": token},
        status_code=status,
    )
    response.set_cookie(
        _sign_in_cookie(request),
        token,
        max_age=3600,
        path="/",
        secure=request.app.state.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    return _sign_in_form(request)


@router.post("/sign-in")
def sign_in_submit(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    sign_in_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(_sign_in_cookie(request)) or ""
    if not (expected and sign_in_token and hmac.compare_digest(expected.encode(), sign_in_token.encode())):
        return _sign_in_form(
            request, "The sign-in form had expired: please try again.", username=username[:80], status=400
        )
    try:
        signed = sign_in(session, username, password)
    except PlannerError as exc:  # sign_in has already committed the failure to the audit log
        return _sign_in_form(request, str(exc), username=username[:80], status=400)
    end_session(session, request.cookies.get(cookie_name(request)))  # any earlier session of this browser ends
    session.commit()
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, signed.token)
    response.delete_cookie(_sign_in_cookie(request), path="/", secure=request.app.state.secure_cookies)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession, web_session: Changing) -> Response:
    end_session(session, request.cookies.get(cookie_name(request)))
    session.commit()
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session_cookie(request, response)
    return response


# ---------------------------------------------------------------------------------------------- home: by role
@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, web_session: Reading) -> Response:
    user = web_session.user
    if user.role == "analyst":
        return RedirectResponse("/analysis", status_code=303)
    if user.role == "admin":
        return _admin_page(request, session, user)
    issues = issue_list(request)
    rows = []
    for family in records.list_families(session, user):
        open_issues = [i for i in family.issues if i.resolved_at is None]
        rows.append(
            {
                "id": family.id,
                "name": family.name,
                "ward": ward_names().get(family.ward_code or "", family.ward_code or ""),
                "open_issues": [issue_label(issues, i.issue_code) for i in open_issues],
                "plan_items": len(family.plan_items),
                "updated_at": family.updated_at,
            }
        )
    return render_page(request, session, "caseload.html", {"families": rows})


def _admin_page(request: Request, session: Session, user: User) -> Response:
    now = utcnow()
    users = []
    for row in session.scalars(select(User).order_by(User.username)):
        users.append(
            {
                "username": row.username,
                "role": row.role,
                "team": row.team.name if row.team else "",
                "active": row.active,
                "locked": row.locked_until is not None and row.locked_until > now,
            }
        )
    services = session.scalar(select(func.count()).select_from(Service)) or 0
    record(session, user, "user.list", "user", "", f"{len(users)} users")
    return render_page(request, session, "admin.html", {"users": users, "services": services})


@router.get("/admin/audit.csv")
def audit_csv(request: Request, session: DbSession, web_session: Reading) -> Response:
    user = web_session.user
    if user.role != "admin":
        record(session, user, "audit.export", "audit", "", "not an admin", outcome="denied")
        session.commit()
        raise Forbidden("Only an admin may download the audit log.")
    record(session, user, "audit.export", "audit", "")
    session.flush()
    with tempfile.TemporaryDirectory(prefix="circles-audit-") as folder:
        path = Path(folder) / "audit.csv"
        export_audit(session, path)
        content = path.read_bytes()
    session.commit()
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="planner-audit-{stamp}.csv"'},
    )


# ---------------------------------------------------------------------------------------------- the directory
@router.get("/services", response_class=HTMLResponse)
def services_page(
    request: Request,
    session: DbSession,
    web_session: Reading,
    issue: Annotated[str, Query(max_length=120)] = "",
    postcode: Annotated[str, Query(max_length=12)] = "",
    within_km: Annotated[str, Query(max_length=12)] = "",
    evenings: Annotated[str, Query(max_length=5)] = "",
    weekends: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    require_casework(web_session.user)
    issues = issue_list(request)
    problems: list[str] = []
    chosen = None
    if issue:
        try:
            chosen = issues.find(issue)
        except PlannerError:
            problems.append("Choose one of the issues in the list.")
    place = None
    if postcode.strip():
        place = gazetteer(request).locate(postcode)
        if place is None:
            problems.append(f"The postcode {postcode.strip()!r} was not found: check it and try again.")
    distance = None
    if within_km.strip():
        try:
            distance = float(within_km)
            if not 0 < distance <= 500:
                raise ValueError
        except ValueError:
            problems.append("The distance is a number of kilometres, more than 0 and at most 500.")
            distance = None
        if distance is not None and place is None and not problems:
            problems.append("Give a postcode to search within a distance of it.")
    searched = bool(issue or postcode or within_km or evenings or weekends)
    results = []
    if searched and not problems:
        results = search_services(
            session,
            chosen,
            place=place,
            within_km=distance,
            evenings=bool(evenings),
            weekends=bool(weekends),
        )
    context = {
        "issue_groups": grouped_issues(issues),
        "form": {
            "issue": chosen.code if chosen else "",
            "postcode": postcode,
            "within_km": within_km,
            "evenings": bool(evenings),
            "weekends": bool(weekends),
        },
        "chosen": chosen,
        "place": place,
        "problems": problems,
        "searched": searched,
        "results": results,
    }
    return render_page(request, session, "services.html", context)


# ---------------------------------------------------------------------------------------------------- analysis
@router.get("/analysis", response_class=HTMLResponse)
def analysis_page(request: Request, session: DbSession, web_session: Reading) -> Response:
    user = web_session.user
    if user.role not in ("analyst", "manager"):
        raise Forbidden("Only analysts and managers see the analysis.")
    from circles.planner.analysis import analyse

    result = analyse(session, user)
    context = {
        "analysis": result,
        "rule": result.policy.describe(),
        "issues_by_ward": result.issues_by_ward.to_dict("records"),
        "unmet": result.unmet.to_dict("records"),
        "services": result.services.to_dict("records"),
        "time_to_engaged": result.time_to_engaged.to_dict("records"),
    }
    return render_page(request, session, "analysis.html", context)
