"""Family records, with who may see what: the one place the pages and the API read and change them.

Every function takes the signed-in :class:`~circles.planner.models.User` and checks their role first:

* an **advisor** sees the families on their caseload (they own it) or shared with them;
* a **manager** sees their team's families (and their own);
* an **analyst** sees aggregates only (:mod:`circles.planner.analysis`), never a family record;
* an **admin** manages users and the directory, never family records.

A family the user may not see is answered exactly as one that does not exist (:class:`NotFound`, HTTP 404), so
nobody learns which families exist; the attempt is in the audit log. Every read and write of a family record adds
an audit entry (who, when, what) in the same transaction as the change.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from circles.errors import PlannerError
from circles.planner.audit import record
from circles.planner.issues import FamilyIssues, default_family_issues
from circles.planner.models import (
    STATUSES,
    Consent,
    Family,
    FamilyIssue,
    FamilyShare,
    Goal,
    Member,
    PlanEvent,
    PlanItem,
    ProgressScore,
    Service,
    User,
    utcnow,
)
from circles.planner.places import Gazetteer, default_gazetteer

__all__ = [
    "Forbidden",
    "NotFound",
    "add_consent",
    "add_goal",
    "add_issue",
    "add_member",
    "add_plan_item",
    "add_score",
    "create_family",
    "erase_family",
    "get_family",
    "list_families",
    "share_family",
    "update_plan_item",
    "visible_families",
]

CASEWORK_ROLES = ("advisor", "manager")


class NotFound(PlannerError):
    """No such record, or not one this user may see (the two are answered alike: HTTP 404)."""


class Forbidden(PlannerError):
    """The user's role does not allow this at all (HTTP 403)."""


def _casework(session: Session, user: User, action: str) -> None:
    """Refuse (and audit) a role that never works with family records."""
    if user.role not in CASEWORK_ROLES:
        record(session, user, action, "family", "", f"role {user.role} may not", outcome="denied")
        session.commit()
        raise Forbidden(f"A {user.role} does not work with family records: only advisors and managers do.")


def visible_families(user: User) -> Select:
    """The query for the families ``user`` may see (none for an analyst or an admin)."""
    query = select(Family)
    if user.role == "advisor":
        shared = select(FamilyShare.family_id).where(FamilyShare.user_id == user.id)
        return query.where(or_(Family.owner_id == user.id, Family.id.in_(shared)))
    if user.role == "manager":
        return query.where(or_(Family.team_id == user.team_id, Family.owner_id == user.id))
    return query.where(False)


def list_families(session: Session, user: User) -> list[Family]:
    """The families ``user`` may see, newest change first (names are opened for the caseload page)."""
    _casework(session, user, "family.list")
    families = session.scalars(visible_families(user).order_by(Family.updated_at.desc())).all()
    record(session, user, "family.list", "family", "", f"{len(families)} families")
    return list(families)


def get_family(
    session: Session, user: User, family_id: str, *, action: str = "family.read", audit_success: bool = True
) -> Family:
    """One family, if ``user`` may see it; else :class:`NotFound`. The read (or refusal) is audited.

    ``audit_success=False`` leaves the entry for a successful read to the caller (who records what it did).
    """
    _casework(session, user, action)
    family = session.scalar(visible_families(user).where(Family.id == str(family_id)))
    if family is None:
        record(session, user, action, "family", str(family_id)[:64], "not found or not visible", outcome="denied")
        session.commit()  # the refusal stays on record although the request fails
        raise NotFound("No such family (or not one you may see).")
    if audit_success:
        record(session, user, action, "family", family.id)
    return family


def create_family(
    session: Session,
    user: User,
    name: str,
    *,
    postcode: str | None = None,
    address: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> Family:
    """A new family on ``user``'s caseload; the postcode is geocoded to ward, LSOA and MSOA.

    The postcode is kept only inside the sealed address (added to it when the address does not hold it).
    """
    _casework(session, user, "family.create")
    name = _text(name, "name", 200, required=True)
    address = _text(address, "address", 500)
    family = Family(name=name, owner_id=user.id, team_id=user.team_id, lead_practitioner_id=user.id)
    if postcode and postcode.strip():
        place = (gazetteer or default_gazetteer()).locate(postcode)
        if place is None:
            raise PlannerError(f"Postcode {postcode.strip()[:10]!r} is not a live postcode of the directory.")
        family.ward_code, family.lsoa_code, family.msoa_code = place.ward_code, place.lsoa_code, place.msoa_code
        if place.postcode.replace(" ", "") not in (address or "").upper().replace(" ", ""):
            address = f"{address}, {place.postcode}" if address else place.postcode
    family.address = address
    session.add(family)
    session.flush()
    record(session, user, "family.create", "family", family.id)
    return family


def share_family(session: Session, user: User, family_id: str, with_user: User) -> None:
    """Share a family with another advisor or manager (who may then read and change it)."""
    family = get_family(session, user, family_id, action="family.share")
    if with_user.role not in CASEWORK_ROLES:
        raise PlannerError(f"{with_user.username} is a {with_user.role}: families are shared with advisors only.")
    if not any(s.user_id == with_user.id for s in family.shares):
        family.shares.append(FamilyShare(user_id=with_user.id))
    record(session, user, "family.share", "family", family.id, f"with user {with_user.id}")


def add_member(
    session: Session,
    user: User,
    family_id: str,
    name: str,
    *,
    date_of_birth: date | str | None = None,
    relationship: str = "",
    age_band: str | None = None,
) -> Member:
    family = get_family(session, user, family_id, action="member.add")
    dob = _date(date_of_birth, "date of birth") if date_of_birth else None
    member = Member(
        name=_text(name, "name", 200, required=True),
        date_of_birth=dob.isoformat() if dob else None,
        relationship_to_family=_text(relationship, "relationship", 40) or "",
        age_band=age_band or (_age_band(dob) if dob else None),
    )
    family.members.append(member)
    family.updated_at = utcnow()
    session.flush()
    record(session, user, "member.add", "family", family.id, f"member {member.id}")
    return member


def add_consent(
    session: Session, user: User, family_id: str, scope: str, given_on: date | str, *, member_id: int | None = None
) -> Consent:
    family = get_family(session, user, family_id, action="consent.add")
    consent = Consent(
        scope=_text(scope, "scope", 200, required=True),
        given_on=_date(given_on, "date consent was given"),
        member_id=_member(family, member_id),
        recorded_by=user.id,
    )
    family.consents.append(consent)
    session.flush()
    record(session, user, "consent.add", "family", family.id, f"consent {consent.id}")
    return consent


def add_issue(
    session: Session,
    user: User,
    family_id: str,
    issue: str,
    *,
    raised_by: str = "",
    member_id: int | None = None,
    note: str | None = None,
    raised_at: datetime | None = None,
    issues: FamilyIssues | None = None,
) -> FamilyIssue:
    """Capture an issue as it comes to light: its code or label, who raised it and when."""
    family = get_family(session, user, family_id, action="issue.add")
    found = (issues or default_family_issues()).find(issue)
    row = FamilyIssue(
        issue_code=found.code,
        member_id=_member(family, member_id),
        raised_by=_text(raised_by, "raised by", 80) or "",
        raised_at=raised_at or utcnow(),
        recorded_by=user.id,
        note=_text(note, "note", 4000),
    )
    family.issues.append(row)
    family.updated_at = utcnow()
    session.flush()
    record(session, user, "issue.add", "family", family.id, f"issue {row.id} {found.code}")
    return row


def add_plan_item(
    session: Session,
    user: User,
    family_id: str,
    service_id: str,
    *,
    issue_id: int | None = None,
    member_id: int | None = None,
    status: str = "suggested",
    review_date: date | str | None = None,
    notes: str | None = None,
) -> PlanItem:
    """Add a directory service to the family's plan, against one of its issues."""
    family = get_family(session, user, family_id, action="plan.add")
    service = session.get(Service, str(service_id))
    if service is None:
        raise PlannerError(
            f"No service {service_id!r} in the directory: import it with `circles planner import-directory`."
        )
    if issue_id is not None and not any(i.id == int(issue_id) for i in family.issues):
        raise NotFound("No such issue in this family.")
    item = PlanItem(
        service_id=service.id,
        service_name=service.name,
        issue_id=int(issue_id) if issue_id is not None else None,
        member_id=_member(family, member_id),
        status=_status(status),
        owner_id=user.id,
        review_date=_date(review_date, "review date") if review_date else None,
        notes=_text(notes, "notes", 4000),
    )
    item.events.append(PlanEvent(status=item.status, by=user.id))
    family.plan_items.append(item)
    family.updated_at = utcnow()
    session.flush()
    record(session, user, "plan.add", "family", family.id, f"plan item {item.id} {service.id} {item.status}")
    return item


def update_plan_item(
    session: Session,
    user: User,
    family_id: str,
    item_id: int,
    *,
    status: str | None = None,
    review_date: date | str | None = None,
    notes: str | None = None,
) -> PlanItem:
    """Move a plan item on (suggested → referred → engaged → ended), or change its review date or notes."""
    family = get_family(session, user, family_id, action="plan.update")
    item = next((p for p in family.plan_items if p.id == int(item_id)), None)
    if item is None:
        raise NotFound("No such plan item in this family.")
    if status is not None and _status(status) != item.status:
        item.status = status
        item.events.append(PlanEvent(status=status, by=user.id))
    if review_date is not None:
        item.review_date = _date(review_date, "review date") if review_date else None
    if notes is not None:
        item.notes = _text(notes, "notes", 4000)
    item.updated_at = family.updated_at = utcnow()
    record(session, user, "plan.update", "family", family.id, f"plan item {item.id} {item.status}")
    return item


def add_goal(
    session: Session, user: User, family_id: str, area: str, text: str, *, member_id: int | None = None
) -> Goal:
    """The family's own goal, in its own words, for one wellbeing area."""
    family = get_family(session, user, family_id, action="goal.add")
    goal = Goal(area=_area(area), text=_text(text, "goal", 1000, required=True), member_id=_member(family, member_id))
    family.goals.append(goal)
    session.flush()
    record(session, user, "goal.add", "family", family.id, f"goal {goal.id}")
    return goal


def add_score(
    session: Session,
    user: User,
    family_id: str,
    area: str,
    score: int | str,
    *,
    member_id: int | None = None,
    recorded_at: datetime | None = None,
) -> ProgressScore:
    """A wellbeing self-rating, 1 (worst) to 10 (best), for one area."""
    family = get_family(session, user, family_id, action="score.add")
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 10:
        raise PlannerError(f"A progress score is a whole number from 1 to 10, not {str(score)[:10]!r}.")
    row = ProgressScore(
        area=_area(area),
        score=value,
        member_id=_member(family, member_id),
        recorded_at=recorded_at or utcnow(),
        recorded_by=user.id,
    )
    family.scores.append(row)
    family.updated_at = utcnow()
    session.flush()
    record(session, user, "score.add", "family", family.id, f"score {row.id}")
    return row


def erase_family(session: Session, user: User, family_id: str) -> None:
    """Erase a family on request: every row about it goes; the audit log keeps an entry naming no one."""
    family = get_family(session, user, family_id, action="family.erase", audit_success=False)
    family_ref = family.id
    session.delete(family)
    session.flush()
    record(session, user, "family.erase", "family", family_ref, "erased on request: personal data deleted")


# ---------------------------------------------------------------------------------------------------- checks


def _text(value: str | None, what: str, limit: int, *, required: bool = False) -> str | None:
    text = None if value is None else str(value).strip()
    if required and not text:
        raise PlannerError(f"The {what} is needed.")
    if text and len(text) > limit:
        raise PlannerError(f"The {what} is longer than {limit} characters.")
    return text or None


def _date(value: date | str, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise PlannerError(f"The {what} {str(value)[:20]!r} is not a date (YYYY-MM-DD).") from None


def _status(status: str) -> str:
    if status not in STATUSES:
        raise PlannerError(f"Unknown plan status {status!r}: use one of {', '.join(STATUSES)}.")
    return status


def _area(area: str) -> str:
    areas = default_family_issues().wellbeing_areas
    if area not in areas:
        raise PlannerError(f"Unknown wellbeing area {area!r}: use one of {', '.join(areas)}.")
    return area


def _member(family: Family, member_id: int | str | None) -> int | None:
    if member_id in (None, ""):
        return None
    if not any(m.id == int(member_id) for m in family.members):
        raise NotFound("No such member in this family.")
    return int(member_id)


_BANDS = (
    (0, 4, "0-4"),
    (5, 9, "5-9"),
    (10, 15, "10-15"),
    (16, 17, "16-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
)


def _age_band(born: date, on: date | None = None) -> str:
    """The pipeline's age band for a date of birth (``"65+"`` above the last)."""
    on = on or date.today()
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((band for low, high, band in _BANDS if low <= age <= high), "65+")
