"""The planner's JSON API (``/api/v1``): the same records, rules and audit as the pages, for other systems.

Every call but signing in needs the session cookie; every call that changes something also needs the session's
CSRF token in the ``X-CSRF-Token`` header (403 without it). Reads and writes go through
:mod:`circles.planner.records`, so who may see what, and the audit log, are the same as on the pages: a family the
caller may not see answers 404, a role that never sees family records 403, a request the records refuse 400, all
as ``{"detail": "..."}``. Request bodies are checked (unknown fields refused, lengths bounded: 422 with the
reasons). The aggregates (``/api/v1/analysis/...``) come from :mod:`circles.planner.analysis`, already protected
by disclosure control: a suppressed count is ``null`` with ``"suppressed": true``.

Changes are committed before the answer is sent, so a 2xx means the change is stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from circles.errors import PlannerError
from circles.planner import records
from circles.planner.analysis import PlannerAnalysis, analyse, table_records
from circles.planner.auth import end_session, sign_in
from circles.planner.directory import ServiceMatch, search_services
from circles.planner.issues import FamilyIssues
from circles.planner.models import STATUSES, Family, FamilyIssue, PlanItem
from circles.planner.places import Gazetteer, default_gazetteer
from circles.planner.web.deps import (
    ChangingSession,
    CurrentSession,
    DbSession,
    clear_session_cookie,
    cookie_name,
    set_session_cookie,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["planner"])

Status = Literal["suggested", "referred", "engaged", "ended"]
assert tuple(Status.__args__) == STATUSES  # the API's statuses are the records' statuses


class _Body(BaseModel):
    """Unknown fields are refused: a misspelt field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SignInBody(_Body):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)


class FamilyBody(_Body):
    name: str = Field(min_length=1, max_length=200)
    postcode: str | None = Field(default=None, max_length=10)
    address: str | None = Field(default=None, max_length=500)


class MemberBody(_Body):
    name: str = Field(min_length=1, max_length=200)
    date_of_birth: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    relationship: str = Field(default="", max_length=40)
    age_band: str | None = Field(default=None, max_length=8)


class ConsentBody(_Body):
    scope: str = Field(min_length=1, max_length=200)
    given_on: str = Field(max_length=10, description="YYYY-MM-DD")
    member_id: int | None = None


class IssueBody(_Body):
    issue: str = Field(min_length=1, max_length=120, description="a plain-language issue's code or label")
    raised_by: str = Field(default="", max_length=80)
    member_id: int | None = None
    note: str | None = Field(default=None, max_length=4000)


class PlanItemBody(_Body):
    service_id: str = Field(min_length=1, max_length=120)
    issue_id: int | None = None
    member_id: int | None = None
    status: Status = "suggested"
    review_date: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    notes: str | None = Field(default=None, max_length=4000)


class PlanItemChange(_Body):
    status: Status | None = None
    review_date: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD; empty to clear")
    notes: str | None = Field(default=None, max_length=4000)


class GoalBody(_Body):
    area: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=1000)
    member_id: int | None = None


class ScoreBody(_Body):
    area: str = Field(min_length=1, max_length=40)
    score: int = Field(ge=1, le=10)
    member_id: int | None = None


# ------------------------------------------------------------------------------------------------------ helpers


def _issues(request: Request) -> FamilyIssues:
    return request.app.state.issues


def _gazetteer(request: Request) -> Gazetteer:
    return request.app.state.gazetteer or default_gazetteer()


def _stored(session: Session) -> None:
    """Commit now: the answer is only sent once the change (or the read's audit entry) is stored."""
    session.commit()


def _service(match: ServiceMatch) -> dict[str, Any]:
    service = match.service
    return {
        "id": service.id,
        "name": service.name,
        "organisation": service.organisation,
        "description": service.description,
        "postcode": service.postcode or None,
        "hours": service.hours,
        "evenings": service.evenings,
        "weekends": service.weekends,
        "capacity": service.capacity,
        "distance_km": match.distance_km,
        "matched_by": list(match.matched_by),
    }


def _issue(row: FamilyIssue, issues: FamilyIssues) -> dict[str, Any]:
    known = issues.by_code().get(row.issue_code)
    return {
        "id": row.id,
        "code": row.issue_code,
        "label": known.label if known else row.issue_code,
        "outcome": known.outcome_label if known else None,
        "member_id": row.member_id,
        "raised_by": row.raised_by,
        "raised_at": row.raised_at,
        "note": row.note,
        "resolved_at": row.resolved_at,
    }


def _plan_item(item: PlanItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "service_id": item.service_id,
        "service": item.service_name,
        "issue_id": item.issue_id,
        "member_id": item.member_id,
        "status": item.status,
        "review_date": item.review_date,
        "notes": item.notes,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "history": [{"status": event.status, "at": event.at} for event in item.events],
    }


def _family(family: Family, issues: FamilyIssues) -> dict[str, Any]:
    return {
        "id": family.id,
        "name": family.name,
        "address": family.address,
        "ward_code": family.ward_code,
        "lsoa_code": family.lsoa_code,
        "msoa_code": family.msoa_code,
        "created_at": family.created_at,
        "updated_at": family.updated_at,
        "members": [
            {
                "id": m.id,
                "name": m.name,
                "date_of_birth": m.date_of_birth,
                "relationship": m.relationship_to_family,
                "age_band": m.age_band,
            }
            for m in family.members
        ],
        "consents": [
            {
                "id": c.id,
                "member_id": c.member_id,
                "scope": c.scope,
                "given_on": c.given_on,
                "withdrawn_on": c.withdrawn_on,
            }
            for c in family.consents
        ],
        "issues": [_issue(i, issues) for i in family.issues],
        "plan_items": [_plan_item(p) for p in family.plan_items],
        "goals": [{"id": g.id, "member_id": g.member_id, "area": g.area, "text": g.text} for g in family.goals],
        "scores": [
            {"id": s.id, "member_id": s.member_id, "area": s.area, "score": s.score, "recorded_at": s.recorded_at}
            for s in family.scores
        ],
    }


# ------------------------------------------------------------------------------------------------------ session


@router.post("/session")
def start_session(body: SignInBody, request: Request, response: Response, session: DbSession) -> Any:
    """Sign in: a new session cookie (any session the request carried ends) and the session's CSRF token."""
    try:
        signed = sign_in(session, body.username, body.password)
    except PlannerError as exc:  # sign_in has already stored the failure (and any lock) in the audit log
        return JSONResponse({"detail": str(exc)}, status_code=401)
    end_session(session, request.cookies.get(cookie_name(request)))  # no session outlives a new sign-in
    _stored(session)
    set_session_cookie(request, response, signed.token)
    return {"csrf_token": signed.csrf_token, "user": {"username": signed.user.username, "role": signed.user.role}}


@router.get("/session")
def who(web_session: CurrentSession) -> dict[str, Any]:
    """Who is signed in (and the CSRF token for this session, for a client that lost it)."""
    user = web_session.user
    return {"csrf_token": web_session.csrf_token, "user": {"username": user.username, "role": user.role}}


@router.delete("/session", status_code=204)
def stop_session(request: Request, web_session: ChangingSession, session: DbSession) -> Response:
    """Sign out: the session is deleted, so the cookie is worthless even if a copy is kept."""
    end_session(session, request.cookies.get(cookie_name(request)))
    _stored(session)
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


# ------------------------------------------------------------------------------------------------------ families


@router.get("/families")
def families(web_session: CurrentSession, session: DbSession) -> list[dict[str, Any]]:
    """The caller's caseload (an advisor's own and shared families; a manager's team's), newest change first."""
    listed = [
        {
            "id": f.id,
            "name": f.name,
            "ward_code": f.ward_code,
            "issues": len(f.issues),
            "plan_items": len(f.plan_items),
            "updated_at": f.updated_at,
        }
        for f in records.list_families(session, web_session.user)
    ]
    _stored(session)
    return listed


@router.post("/families", status_code=201)
def new_family(body: FamilyBody, request: Request, web_session: ChangingSession, session: DbSession) -> dict:
    """A new family on the caller's caseload; the postcode places it in a ward, LSOA and MSOA."""
    family = records.create_family(
        session,
        web_session.user,
        body.name,
        postcode=body.postcode,
        address=body.address,
        gazetteer=_gazetteer(request),
    )
    _stored(session)
    return {"id": family.id, "ward_code": family.ward_code}


@router.get("/families/{family_id}")
def family(family_id: str, request: Request, web_session: CurrentSession, session: DbSession) -> dict:
    """The whole record of one family (404 when there is none the caller may see)."""
    found = _family(records.get_family(session, web_session.user, family_id), _issues(request))
    _stored(session)
    return found


@router.delete("/families/{family_id}", status_code=204)
def erase(family_id: str, web_session: ChangingSession, session: DbSession) -> Response:
    """Erase a family on request: every row about it goes; the audit log keeps an entry naming no one."""
    records.erase_family(session, web_session.user, family_id)
    _stored(session)
    return Response(status_code=204)


@router.post("/families/{family_id}/members", status_code=201)
def new_member(family_id: str, body: MemberBody, web_session: ChangingSession, session: DbSession) -> dict:
    member = records.add_member(
        session,
        web_session.user,
        family_id,
        body.name,
        date_of_birth=body.date_of_birth or None,
        relationship=body.relationship,
        age_band=body.age_band or None,
    )
    _stored(session)
    return {
        "id": member.id,
        "name": member.name,
        "date_of_birth": member.date_of_birth,
        "relationship": member.relationship_to_family,
        "age_band": member.age_band,
    }


@router.post("/families/{family_id}/consents", status_code=201)
def new_consent(family_id: str, body: ConsentBody, web_session: ChangingSession, session: DbSession) -> dict:
    consent = records.add_consent(
        session, web_session.user, family_id, body.scope, body.given_on, member_id=body.member_id
    )
    _stored(session)
    return {"id": consent.id, "member_id": consent.member_id, "scope": consent.scope, "given_on": consent.given_on}


@router.post("/families/{family_id}/issues", status_code=201)
def new_issue(
    family_id: str, body: IssueBody, request: Request, web_session: ChangingSession, session: DbSession
) -> dict:
    """Capture an issue; the answer suggests the directory's services for it (nearest the family first)."""
    issues = _issues(request)
    row = records.add_issue(
        session,
        web_session.user,
        family_id,
        body.issue,
        raised_by=body.raised_by,
        member_id=body.member_id,
        note=body.note,
        issues=issues,
    )
    _stored(session)
    place = _gazetteer(request).locate_in(session.get(Family, row.family_id).address)  # add_issue checked access
    matches = search_services(session, issues.find(row.issue_code), place=place)
    return {"issue": _issue(row, issues), "suggested_services": [_service(m) for m in matches]}


@router.post("/families/{family_id}/plan-items", status_code=201)
def new_plan_item(family_id: str, body: PlanItemBody, web_session: ChangingSession, session: DbSession) -> dict:
    item = records.add_plan_item(
        session,
        web_session.user,
        family_id,
        body.service_id,
        issue_id=body.issue_id,
        member_id=body.member_id,
        status=body.status,
        review_date=body.review_date or None,
        notes=body.notes,
    )
    _stored(session)
    return _plan_item(item)


@router.patch("/families/{family_id}/plan-items/{item_id}")
def change_plan_item(
    family_id: str, item_id: int, body: PlanItemChange, web_session: ChangingSession, session: DbSession
) -> dict:
    """Move a plan item on (suggested → referred → engaged → ended), or change its review date or notes."""
    item = records.update_plan_item(
        session,
        web_session.user,
        family_id,
        item_id,
        status=body.status,
        review_date=body.review_date,
        notes=body.notes,
    )
    _stored(session)
    return _plan_item(item)


@router.post("/families/{family_id}/goals", status_code=201)
def new_goal(family_id: str, body: GoalBody, web_session: ChangingSession, session: DbSession) -> dict:
    goal = records.add_goal(session, web_session.user, family_id, body.area, body.text, member_id=body.member_id)
    _stored(session)
    return {"id": goal.id, "member_id": goal.member_id, "area": goal.area, "text": goal.text}


@router.post("/families/{family_id}/scores", status_code=201)
def new_score(family_id: str, body: ScoreBody, web_session: ChangingSession, session: DbSession) -> dict:
    score = records.add_score(session, web_session.user, family_id, body.area, body.score, member_id=body.member_id)
    _stored(session)
    return {
        "id": score.id,
        "member_id": score.member_id,
        "area": score.area,
        "score": score.score,
        "recorded_at": score.recorded_at,
    }


# ------------------------------------------------------------------------------------------------------ directory


@router.get("/issues")
def issue_list(request: Request, web_session: CurrentSession) -> dict:
    """The plain-language issues (code, label, outcome) and the wellbeing areas families score."""
    issues = _issues(request)
    return {
        "issues": [{"code": i.code, "label": i.label, "outcome": i.outcome_label} for i in issues.issues],
        "wellbeing_areas": list(issues.wellbeing_areas),
    }


@router.get("/services")
def services(
    request: Request,
    web_session: CurrentSession,
    session: DbSession,
    issue: Annotated[str | None, Query(max_length=120)] = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    within_km: Annotated[float | None, Query(gt=0, le=1000)] = None,
    evenings: bool = False,
    weekends: bool = False,
) -> list[dict[str, Any]]:
    """Directory services for an issue (all services without one), nearest a postcode first when one is given."""
    found = _issues(request).find(issue) if issue and issue.strip() else None
    place = None
    if postcode and postcode.strip():
        place = _gazetteer(request).locate(postcode)
        if place is None:
            raise PlannerError(f"Postcode {postcode.strip()!r} is not a live postcode of the postcode directory.")
    if within_km is not None and place is None:
        raise PlannerError("A distance (within_km) needs a postcode to measure it from.")
    matches = search_services(session, found, place=place, within_km=within_km, evenings=evenings, weekends=weekends)
    return [_service(m) for m in matches]


# ------------------------------------------------------------------------------------------------------ analysis


def _analysis(session: Session, web_session: Any, request: Request) -> PlannerAnalysis:
    analysis = analyse(session, web_session.user, issues=_issues(request))
    _stored(session)
    return analysis


def _published(analysis: PlannerAnalysis, table: str) -> dict[str, Any]:
    return {
        "policy": analysis.policy.name,
        "rule": analysis.rule,
        "families": analysis.families,
        "rows": table_records(getattr(analysis, table)),
    }


@router.get("/analysis/issues-by-ward")
def issues_by_ward(request: Request, web_session: CurrentSession, session: DbSession) -> dict:
    """Families with each issue in each ward, under disclosure control (analysts and managers only)."""
    return _published(_analysis(session, web_session, request), "issues_by_ward")


@router.get("/analysis/unmet")
def unmet(request: Request, web_session: CurrentSession, session: DbSession) -> dict:
    """Families with each issue beside the directory services that match it (0: unmet)."""
    return _published(_analysis(session, web_session, request), "unmet")


@router.get("/analysis/services")
def service_demand(request: Request, web_session: CurrentSession, session: DbSession) -> dict:
    """Families with a live plan item for each service, against its capacity."""
    return _published(_analysis(session, web_session, request), "services")


@router.get("/analysis/time-to-engaged")
def time_to_engaged(request: Request, web_session: CurrentSession, session: DbSession) -> dict:
    """Families engaged with a service for each issue, and the median days from the issue to engagement."""
    return _published(_analysis(session, web_session, request), "time_to_engaged")
