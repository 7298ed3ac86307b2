"""The planner's family pages: the family record (members, consent, issues, the plan, goals, scores) and the plan.

Issues are captured as they come to light; for each open issue the record suggests services (nearest the family
first) that an advisor adds to the plan with one button, then moves on from suggested to ended. The printable plan
is in plain English, standard and large print (:mod:`circles.planner.plan_print`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import PlannerError
from circles.planner import records
from circles.planner.directory import search_services
from circles.planner.models import Family, Service, utcnow
from circles.planner.places import ward_names
from circles.planner.web.deps import (
    DbSession,
)
from circles.planner.web.page_kit import (
    FAMILY_STATUS_WORDS,
    STATUS_LABELS,
    SUGGESTIONS,
    Changing,
    Reading,
    family_place,
    family_url,
    grouped_issues,
    issue_label,
    issue_list,
    next_status,
    optional_int,
    redirect_back,
    render_page,
    usernames,
)

__all__ = ["router", "plan_context"]

router = APIRouter()


# ------------------------------------------------------------------------------------------------------ families
@router.post("/families")
def new_family(
    request: Request,
    session: DbSession,
    web_session: Changing,
    name: Annotated[str, Form()] = "",
    postcode: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
) -> Response:
    family = records.create_family(
        session,
        web_session.user,
        name,
        postcode=postcode or None,
        address=address or None,
        gazetteer=request.app.state.gazetteer,
    )
    return redirect_back(session, family_url(family.id))


@router.get("/families/{family_id}", response_class=HTMLResponse)
def family_page(request: Request, session: DbSession, web_session: Reading, family_id: str) -> Response:
    user = web_session.user
    family = records.get_family(session, user, family_id)
    issues = issue_list(request)
    known = issues.by_code()
    members = {m.id: m for m in family.members}
    place = family_place(request, family)
    names = usernames(
        session,
        {i.recorded_by for i in family.issues}
        | {p.owner_id for p in family.plan_items}
        | {c.recorded_by for c in family.consents},
    )

    issue_rows = []
    for issue in family.issues:
        kind = known.get(issue.issue_code)
        planned = {p.service_id for p in family.plan_items if p.issue_id == issue.id}
        suggestions = []
        if issue.resolved_at is None and kind is not None:
            for match in search_services(session, kind, place=place)[:SUGGESTIONS]:
                suggestions.append({"match": match, "planned": match.service.id in planned})
        issue_rows.append(
            {
                "row": issue,
                "label": kind.label if kind else issue.issue_code,
                "outcome": kind.outcome_label if kind else "",
                "member": members[issue.member_id].name if issue.member_id in members else "",
                "recorded_by": names.get(issue.recorded_by, ""),
                "open": issue.resolved_at is None,
                "suggestions": suggestions,
            }
        )
    by_issue = {i.id: i for i in family.issues}
    plan_rows = []
    for item in family.plan_items:
        issue = by_issue.get(item.issue_id)
        plan_rows.append(
            {
                "row": item,
                "issue": issue_label(issues, issue.issue_code) if issue else "",
                "member": members[item.member_id].name if item.member_id in members else "",
                "owner": names.get(item.owner_id, ""),
                "status": STATUS_LABELS.get(item.status, item.status),
                "next": next_status(item.status),
                "next_label": STATUS_LABELS.get(next_status(item.status) or "", ""),
            }
        )
    context = {
        "family": family,
        "ward_name": ward_names().get(family.ward_code or "", ""),
        "members": family.members,
        "consents": [
            {
                "row": c,
                "member": members[c.member_id].name if c.member_id in members else "",
                "by": names.get(c.recorded_by, ""),
            }
            for c in family.consents
        ],
        "issues": issue_rows,
        "issue_groups": grouped_issues(issues),
        "plan": plan_rows,
        "goals": [
            {"row": g, "member": members[g.member_id].name if g.member_id in members else ""} for g in family.goals
        ],
        "scores": _score_table(family),
        "areas": issues.wellbeing_areas,
        "place": place,
        "today": date.today().isoformat(),
    }
    return render_page(request, session, "family.html", context)


def _score_table(family: Family) -> list[dict[str, Any]]:
    """Each scored area with its scores oldest first, the first and latest score and the change between them."""
    areas: dict[str, list] = {}
    for score in sorted(family.scores, key=lambda s: (s.recorded_at, s.id)):
        areas.setdefault(score.area, []).append(score)
    table = []
    for area, scores in areas.items():
        first, latest = scores[0], scores[-1]
        table.append(
            {
                "area": area,
                "scores": scores,
                "first": first,
                "latest": latest,
                "change": latest.score - first.score,
            }
        )
    return table


@router.post("/families/{family_id}/members")
def add_member(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    name: Annotated[str, Form()] = "",
    date_of_birth: Annotated[str, Form()] = "",
    relationship: Annotated[str, Form()] = "",
) -> Response:
    records.add_member(
        session, web_session.user, family_id, name, date_of_birth=date_of_birth or None, relationship=relationship
    )
    return redirect_back(session, family_url(family_id, "members"))


@router.post("/families/{family_id}/consents")
def add_consent(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    scope: Annotated[str, Form()] = "",
    given_on: Annotated[str, Form()] = "",
    member_id: Annotated[str, Form()] = "",
) -> Response:
    records.add_consent(
        session,
        web_session.user,
        family_id,
        scope,
        given_on or date.today(),
        member_id=optional_int(member_id, "family member"),
    )
    return redirect_back(session, family_url(family_id, "consent"))


@router.post("/families/{family_id}/issues")
def add_issue(
    request: Request,
    session: DbSession,
    web_session: Changing,
    family_id: str,
    issue: Annotated[str, Form()] = "",
    raised_by: Annotated[str, Form()] = "",
    member_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    raised_on: Annotated[str, Form()] = "",
) -> Response:
    if not issue.strip():
        raise PlannerError("Choose the issue that came to light.")
    raised_at = None
    if raised_on.strip():
        try:
            day = date.fromisoformat(raised_on.strip())
        except ValueError:
            raise PlannerError(f"The date {raised_on[:20]!r} is not a date (YYYY-MM-DD).") from None
        if day > date.today():
            raise PlannerError("The date an issue came to light cannot be in the future.")
        raised_at = utcnow() if day == date.today() else datetime(day.year, day.month, day.day, 12, 0)
    records.add_issue(
        session,
        web_session.user,
        family_id,
        issue,
        raised_by=raised_by,
        member_id=optional_int(member_id, "family member"),
        note=note or None,
        raised_at=raised_at,
        issues=issue_list(request),
    )
    return redirect_back(session, family_url(family_id, "issues"))


@router.post("/families/{family_id}/plan-items")
def add_plan_item(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    service_id: Annotated[str, Form()] = "",
    issue_id: Annotated[str, Form()] = "",
    member_id: Annotated[str, Form()] = "",
    review_date: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    if not service_id.strip():
        raise PlannerError("Choose a service to add to the plan.")
    records.add_plan_item(
        session,
        web_session.user,
        family_id,
        service_id.strip(),
        issue_id=optional_int(issue_id, "issue"),
        member_id=optional_int(member_id, "family member"),
        review_date=review_date or None,
        notes=notes or None,
    )
    return redirect_back(session, family_url(family_id, "plan"))


@router.post("/families/{family_id}/plan-items/{item_id}")
def update_plan_item(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    item_id: int,
    status: Annotated[str | None, Form()] = None,
    review_date: Annotated[str | None, Form()] = None,
    notes: Annotated[str | None, Form()] = None,
) -> Response:
    records.update_plan_item(
        session,
        web_session.user,
        family_id,
        item_id,
        status=status or None,
        review_date=review_date,
        notes=notes,
    )
    return redirect_back(session, family_url(family_id, f"item-{item_id}"))


@router.post("/families/{family_id}/goals")
def add_goal(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    area: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    member_id: Annotated[str, Form()] = "",
) -> Response:
    records.add_goal(
        session, web_session.user, family_id, area, text, member_id=optional_int(member_id, "family member")
    )
    return redirect_back(session, family_url(family_id, "goals"))


@router.post("/families/{family_id}/scores")
def add_score(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    area: Annotated[str, Form()] = "",
    score: Annotated[str, Form()] = "",
    member_id: Annotated[str, Form()] = "",
) -> Response:
    records.add_score(
        session, web_session.user, family_id, area, score, member_id=optional_int(member_id, "family member")
    )
    return redirect_back(session, family_url(family_id, "progress"))


@router.post("/families/{family_id}/erase")
def erase(
    session: DbSession,
    web_session: Changing,
    family_id: str,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    if confirm != "yes":
        raise PlannerError("Nothing was erased: tick the box to confirm that this family's record should be erased.")
    records.erase_family(session, web_session.user, family_id)
    return redirect_back(session, "/")


# ---------------------------------------------------------------------------------------------- the family plan
def plan_context(request: Request, session: Session, family: Family) -> dict[str, Any]:
    """What the printable plan shows, in plain words: first names, issues, services and what they do, goals,
    the latest score of each area. Addresses, dates of birth and the advisor's notes are left out."""
    issues = issue_list(request)
    services = {
        s.id: s
        for s in session.scalars(select(Service).where(Service.id.in_({p.service_id for p in family.plan_items})))
    }
    by_issue = {i.id: i for i in family.issues}
    owner = usernames(session, {family.lead_practitioner_id or family.owner_id})
    items = []
    for item in family.plan_items:
        issue = by_issue.get(item.issue_id)
        service = services.get(item.service_id)
        items.append(
            {
                "service": item.service_name,
                "organisation": service.organisation if service else "",
                "what": service.description if service else "",
                "hours": service.hours if service else "",
                "issue": issue_label(issues, issue.issue_code) if issue else "",
                "status": STATUS_LABELS.get(item.status, item.status),
                "status_words": FAMILY_STATUS_WORDS.get(item.status, ""),
                "review_date": item.review_date,
            }
        )
    first_names = [m.name.split()[0] for m in family.members if m.name and m.name.split()]
    return {
        "family_id": family.id,
        "first_names": first_names,
        "issues": [
            {"label": issue_label(issues, i.issue_code), "raised_by": i.raised_by, "raised_at": i.raised_at}
            for i in family.issues
            if i.resolved_at is None
        ],
        "items": items,
        "goals": [{"area": g.area, "text": g.text} for g in family.goals],
        "scores": [{"area": row["area"], "latest": row["latest"]} for row in _score_table(family)],
        "lead": owner.get(family.lead_practitioner_id or family.owner_id, ""),
        "printed": date.today(),
        "reviews": sorted({p.review_date for p in family.plan_items if p.review_date is not None}),
    }


@router.get("/families/{family_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, session: DbSession, web_session: Reading, family_id: str) -> Response:
    family = records.get_family(session, web_session.user, family_id, action="plan.read")
    return render_page(request, session, "plan.html", plan_context(request, session, family))


@router.get("/families/{family_id}/plan.pdf")
def plan_pdf(
    request: Request,
    session: DbSession,
    web_session: Reading,
    family_id: str,
    size: Annotated[str, Query(max_length=10)] = "standard",
) -> Response:
    from circles.planner.plan_print import SIZES, render_plan_pdf

    if size not in SIZES:
        raise PlannerError(f"Print size {size[:10]!r}: use one of {', '.join(SIZES)}.")
    family = records.get_family(session, web_session.user, family_id, action="plan.print")
    context = plan_context(request, session, family)
    content = render_plan_pdf(context, size=size)
    session.commit()
    suffix = "-large-print" if size == "large" else ""
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="family-plan{suffix}.pdf"'},
    )
