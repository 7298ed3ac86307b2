"""What every planner page shares: who is asking, rendering, redirects, and the issue list in page form.

Every page works without JavaScript: forms post and redirect (Post/Redirect/Get, 303), each carrying the session's
CSRF token in a hidden ``csrf_token`` field; every state-changing route depends on :data:`Changing` (the CSRF
check). Family records are read and changed only through :mod:`circles.planner.records` (role checks and the audit
log live there); a page never queries families itself. Each handler commits its own work before it answers
(:func:`render_page`, :func:`redirect_back`), so a browser that follows the redirect at once sees the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import PlannerError
from circles.planner import records
from circles.planner.issues import FamilyIssue as IssueKind
from circles.planner.issues import FamilyIssues
from circles.planner.models import STATUSES, Family, User, WebSession
from circles.planner.places import Place, default_gazetteer
from circles.planner.plan_print import date_time, long_date
from circles.planner.records import Forbidden
from circles.planner.web.deps import (
    ChangingSession,
    CurrentSession,
)

__all__ = [
    "FAMILY_STATUS_WORDS",
    "gazetteer",
    "STATUS_LABELS",
    "SUGGESTIONS",
    "Changing",
    "Reading",
    "Viewer",
    "family_place",
    "family_url",
    "grouped_issues",
    "issue_label",
    "issue_list",
    "next_status",
    "optional_int",
    "published_count",
    "redirect_back",
    "render_page",
    "require_casework",
    "templates",
    "usernames",
]


#: What each plan status means, for advisors and (in the printed plan) for families.
STATUS_LABELS = {
    "suggested": "Suggested",
    "referred": "Referred",
    "engaged": "Engaged",
    "ended": "Ended",
}
FAMILY_STATUS_WORDS = {
    "suggested": "We have talked about this and may ask them to help.",
    "referred": "We have asked them to help (a referral has been made).",
    "engaged": "They are working with us now.",
    "ended": "Their help has finished.",
}
#: How many suggested services the family page lists for each open issue.
SUGGESTIONS = 5


# ------------------------------------------------------------------------------------------------ who is asking
@dataclass(frozen=True)
class Viewer:
    """The signed-in user as plain values, for the page header (safe to use after the database session ends)."""

    id: int
    username: str
    role: str
    team: str | None
    csrf_token: str


def _remember(request: Request, web_session: WebSession) -> WebSession:
    user = web_session.user
    request.state.viewer = Viewer(
        user.id, user.username, user.role, user.team.name if user.team else None, web_session.csrf_token
    )
    return web_session


def _reading(request: Request, web_session: CurrentSession) -> WebSession:
    return _remember(request, web_session)


def _changing(request: Request, web_session: ChangingSession) -> WebSession:
    return _remember(request, web_session)


Reading = Annotated[WebSession, Depends(_reading)]
Changing = Annotated[WebSession, Depends(_changing)]


def require_casework(user: User) -> None:
    if user.role not in records.CASEWORK_ROLES:
        raise Forbidden(f"A {user.role} does not work with family records: only advisors and managers do.")


# ----------------------------------------------------------------------------------------------------- helpers
def templates(request: Request):
    templates = request.app.state.templates
    filters = templates.env.filters
    if "long_date" not in filters:
        filters["long_date"] = long_date
        filters["date_time"] = date_time
        filters["published"] = published_count
    return templates


def published_count(value: Any) -> str:
    """A published count, or ``*`` when it was suppressed (None or NaN)."""
    if value is None:
        return "*"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number:  # NaN
        return "*"
    return f"{int(round(number)):,}"


def render_page(request: Request, session: Session, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render a page, then commit the request's work (audit entries of reads included) before answering."""
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    response = templates(request).TemplateResponse(request, name, context, status_code=status)
    session.commit()
    return response


def redirect_back(session: Session, url: str) -> RedirectResponse:
    session.commit()
    return RedirectResponse(url, status_code=303)


def family_url(family_id: str, anchor: str = "") -> str:
    return f"/families/{family_id}" + (f"#{anchor}" if anchor else "")


def optional_int(value: str | None, what: str) -> int | None:
    if value is None or not str(value).strip():
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise PlannerError(f"The {what} {str(value)[:20]!r} is not one of the choices.") from None


def gazetteer(request: Request):
    return request.app.state.gazetteer or default_gazetteer()


def family_place(request: Request, family: Family) -> Place | None:
    """Where the family lives, from the postcode inside its sealed address (used for distances, never stored)."""
    try:
        return gazetteer(request).locate_in(family.address)
    except PlannerError:
        return None


def issue_list(request: Request) -> FamilyIssues:
    return request.app.state.issues


def grouped_issues(issues: FamilyIssues) -> list[tuple[str, list[IssueKind]]]:
    """The issues grouped by headline outcome, in the order the outcomes are listed."""
    groups: dict[str, list[IssueKind]] = {}
    for issue in issues.issues:
        groups.setdefault(issue.outcome_label, []).append(issue)
    order = list(issues.outcomes.values())
    return sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def issue_label(issues: FamilyIssues, code: str) -> str:
    found = issues.by_code().get(code)
    return found.label if found else code


def next_status(status: str) -> str | None:
    at = STATUSES.index(status) if status in STATUSES else -1
    return STATUSES[at + 1] if 0 <= at < len(STATUSES) - 1 else None


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())
