"""The planner's families as a Change-stage pilot: ``cohort.csv``, ``outcomes.csv`` and ``family_needs.csv``.

:func:`circles.planner.export.export_source` writes these beside ``take_up.csv``, under the same family pseudonyms;
:mod:`circles.change` reads them (the planner's families are the pilot group; a comparison group comes from
elsewhere). Every date is ``YYYY-MM-DD``, every month ``YYYY-MM``; no name, date of birth, address, postcode or note
is read or written. The choices, in full:

``cohort.csv`` — one row per family:
    ``family_id``; ``group`` = ``pilot``; ``start_date`` = the day its first plan item was added (any status), else
    the day the family was recorded; ``age_band`` of its eldest adult member (18 or over) with a band, else blank;
    ``lsoa_code``, ``ward_code``; ``lead_practitioner`` ``yes`` when the family has one; ``whole_family_plan``
    ``yes`` when the plan items that reached *referred*, *engaged* or *ended* cover at least two members, or one of
    them is for the family as a whole (no member); ``closed_date`` = the day the last of those items ended, blank
    while any is still open or when none reached referral (items only ever *suggested* are not support).
``outcomes.csv`` — ``family_id``, ``period`` (``YYYY-MM``), ``measure``, ``value``; long:
    ``wellbeing`` = the mean progress score (1–10, over areas and members) recorded that month, months with a
    score only; ``plan_items_engaged`` = plan items engaged at some time in that month (from the day an item was
    engaged to the day it ended), every month from the start month to the closing month (or the export's month).
``family_needs.csv`` — one row per family and Supporting Families headline outcome of its issues:
    ``headline_outcome`` (the issue list's ``outcome``; issues not in the list are left out), ``identified_date`` =
    the first issue under it raised, ``outcome`` = ``positive`` when every issue under it is resolved else
    ``not yet``, ``outcome_date`` = the last resolution (positive only), ``sustained_to`` = the export date
    (positive only: every issue under it is resolved, so the outcome has held since ``outcome_date``; a need that
    came back and is open again is ``not yet``, one that came back and was resolved again counts from its last
    resolution).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select

from circles.change.outcomes import COHORT_COLUMNS, FAMILY_NEEDS_COLUMNS, OUTCOME_COLUMNS
from circles.planner.issues import default_family_issues
from circles.planner.models import Family, FamilyIssue, Member, PlanEvent, PlanItem, ProgressScore

__all__ = ["OUTCOME_FILES", "outcome_tables"]

#: The files the export writes, in the Change stage's formats (:mod:`circles.change.outcomes`).
OUTCOME_FILES = {
    "cohort.csv": COHORT_COLUMNS,
    "outcomes.csv": OUTCOME_COLUMNS,
    "family_needs.csv": FAMILY_NEEDS_COLUMNS,
}

_ADULT_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_TAKE_UP = ("referred", "engaged", "ended")

Pseudonym = Callable[[str, object], str]


def _day(at: datetime | date | None) -> str:
    if at is None:
        return ""
    return (at.date() if isinstance(at, datetime) else at).isoformat()


def _months(first: date, last: date) -> list[tuple[int, int]]:
    months, (year, month) = [], (first.year, first.month)
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class _Item:
    """A plan item's member, when it was added, and when it first reached each status (from its events)."""

    def __init__(self, item: PlanItem, events: list[PlanEvent]) -> None:
        self.member_id, self.status, self.created = item.member_id, item.status, item.created_at
        self.first: dict[str, datetime] = {}
        for event in events:
            self.first.setdefault(event.status, event.at)
        ended = [e.at for e in events if e.status == "ended"]
        self.ended = (max(ended) if ended else item.updated_at) if item.status == "ended" else None
        self.take_up = item.status in _TAKE_UP or any(s in self.first for s in _TAKE_UP)

    def engaged_in(self, year: int, month: int, as_of: date) -> bool:
        if "engaged" not in self.first:
            return False
        start = self.first["engaged"].date()
        end = self.ended.date() if self.ended is not None else as_of
        return (start.year, start.month) <= (year, month) <= (end.year, end.month)


def _items(session) -> dict[str, list[_Item]]:
    events: dict[int, list[PlanEvent]] = defaultdict(list)
    for event in session.scalars(select(PlanEvent).order_by(PlanEvent.at, PlanEvent.id)):
        events[event.plan_item_id].append(event)
    items: dict[str, list[_Item]] = defaultdict(list)
    for item in session.scalars(select(PlanItem).order_by(PlanItem.id)):
        items[item.family_id].append(_Item(item, events.get(item.id, [])))
    return items


def _cohort_row(family, items: list[_Item], bands: list[str], family_id: str) -> dict[str, str]:
    adults = [b for b in bands if b in _ADULT_BANDS]
    support = [i for i in items if i.take_up]
    members = {i.member_id for i in support if i.member_id is not None}
    whole = len(members) >= 2 or any(i.member_id is None for i in support)
    closed = max(i.ended for i in support) if support and all(i.ended is not None for i in support) else None
    return {
        "family_id": family_id,
        "group": "pilot",
        "start_date": _day(min((i.created for i in items), default=family.created_at)),
        "age_band": max(adults, key=_ADULT_BANDS.index) if adults else "",
        "lsoa_code": family.lsoa_code or "",
        "ward_code": family.ward_code or "",
        "lead_practitioner": "yes" if family.lead_practitioner_id is not None else "no",
        "whole_family_plan": "yes" if whole else "no",
        "closed_date": _day(closed),
    }


def _engaged_rows(cohort: dict[str, str], items: list[_Item], as_of: date) -> list[dict[str, str]]:
    first = date.fromisoformat(cohort["start_date"])
    last = date.fromisoformat(cohort["closed_date"]) if cohort["closed_date"] else as_of
    if last < first:  # a family recorded after the export date has no months yet
        return []
    return [
        {
            "family_id": cohort["family_id"],
            "period": f"{year:04d}-{month:02d}",
            "measure": "plan_items_engaged",
            "value": str(sum(i.engaged_in(year, month, as_of) for i in items)),
        }
        for year, month in _months(first, last)
    ]


def _wellbeing_rows(session, pseudonym: Pseudonym) -> list[dict[str, str]]:
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    query = select(ProgressScore.family_id, ProgressScore.recorded_at, ProgressScore.score)
    for family_id, at, score in session.execute(query.order_by(ProgressScore.recorded_at, ProgressScore.id)):
        scores[(family_id, at.strftime("%Y-%m"))].append(score)
    return [
        {
            "family_id": pseudonym("family", family_id),
            "period": period,
            "measure": "wellbeing",
            "value": f"{sum(values) / len(values):.2f}".rstrip("0").rstrip("."),
        }
        for (family_id, period), values in scores.items()
    ]


def _need_row(family_id: str, outcome: str, issues: list[tuple[datetime, datetime | None]], as_of: date) -> dict:
    """One family's headline outcome from its issues (raised_at, resolved_at)."""
    positive = all(resolved is not None for _, resolved in issues)
    return {
        "family_id": family_id,
        "headline_outcome": outcome,
        "identified_date": _day(min(raised for raised, _ in issues)),
        "outcome": "positive" if positive else "not yet",
        "outcome_date": _day(max(resolved for _, resolved in issues)) if positive else "",
        "sustained_to": as_of.isoformat() if positive else "",
    }


def _need_rows(session, pseudonym: Pseudonym, as_of: date) -> list[dict[str, str]]:
    known = default_family_issues().by_code()
    grouped: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    query = select(FamilyIssue.family_id, FamilyIssue.issue_code, FamilyIssue.raised_at, FamilyIssue.resolved_at)
    for family_id, code, raised, resolved in session.execute(query.order_by(FamilyIssue.id)):
        if code in known and raised is not None:
            grouped[(family_id, known[code].outcome)].append((raised, resolved))
    rows = [_need_row(pseudonym("family", f), outcome, issues, as_of) for (f, outcome), issues in grouped.items()]
    return sorted(rows, key=lambda row: (row["family_id"], row["headline_outcome"]))


def outcome_tables(session, pseudonym: Pseudonym, *, as_of: date) -> dict[str, list[dict[str, str]]]:
    """The rows of ``cohort.csv``, ``outcomes.csv`` and ``family_needs.csv`` (keys: the file names), as text.

    ``pseudonym`` is the export's (``pseudonym("family", id)`` is the ``family_id`` of ``take_up.csv``);
    ``as_of`` is the export date (``sustained_to`` of a need that has held, the end of an open family's months).
    """
    items = _items(session)
    bands: dict[str, list[str]] = defaultdict(list)
    for family_id, band in session.execute(select(Member.family_id, Member.age_band)):
        if band:
            bands[family_id].append(band)
    cohort, outcomes = [], []
    columns = (Family.id, Family.created_at, Family.ward_code, Family.lsoa_code, Family.lead_practitioner_id)
    for family in session.execute(select(*columns).order_by(Family.created_at, Family.id)):  # never a sealed column
        row = _cohort_row(family, items.get(family.id, []), bands.get(family.id, []), pseudonym("family", family.id))
        cohort.append(row)
        outcomes.extend(_engaged_rows(row, items.get(family.id, []), as_of))
    outcomes.extend(_wellbeing_rows(session, pseudonym))
    outcomes.sort(key=lambda row: (row["family_id"], row["measure"], row["period"]))
    cohort.sort(key=lambda row: row["family_id"])
    return {"cohort.csv": cohort, "outcomes.csv": outcomes, "family_needs.csv": _need_rows(session, pseudonym, as_of)}
