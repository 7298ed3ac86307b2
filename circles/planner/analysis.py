"""What the planner's families need, in aggregate, for managers and analysts: always through disclosure control.

Four tables, each counting **distinct families** and each protected by the pipeline's own statistical disclosure
control (:mod:`circles.ingest.disclosure`, the ``nhs`` policy unless told: counts of 1 to 7 are suppressed, other
counts rounded to the nearest 5), so nobody reading them ever sees a count of one to seven families:

``issues_by_ward``
    families with each issue in each ward (families with no postcode under the ward ``"unknown"``), with the
    Supporting Families headline outcome the issue reports under. The per-issue totals are published in
    ``unmet``, so a suppressed cell could be recovered by subtraction; complementary (secondary) suppression
    within each issue stops that (:func:`~circles.ingest.disclosure.protect_table` with ``groups``).
``unmet``
    families with each issue of the issue list, beside the number of directory services that match it
    (0: a need the directory does not meet).
``services``
    families with a live plan item (suggested, referred or engaged; not ended) for each service, against the
    service's capacity when the directory gives one.
``time_to_engaged``
    per issue, the families whose issue led to a service they engaged with, and the median number of days from
    the issue being raised to the first "engaged" status of a plan item against it.

An analyst sees every family's contribution; a manager only their team's (the families
:func:`~circles.planner.records.visible_families` gives them); advisors and admins see none. Only area codes,
issue codes, statuses and dates are read: no sealed field (name, address, note) is opened. Every reading is in the
audit log (action ``analysis.read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from circles.ingest.disclosure import DisclosurePolicy, get_policy, protect_table, protect_total
from circles.planner.audit import record
from circles.planner.directory import search_services
from circles.planner.issues import FamilyIssues, default_family_issues
from circles.planner.models import Family, FamilyIssue, PlanEvent, PlanItem, Service, User
from circles.planner.places import ward_names
from circles.planner.records import Forbidden, visible_families

__all__ = [
    "ANALYSIS_ROLES",
    "LIVE_STATUSES",
    "UNKNOWN_WARD",
    "PlannerAnalysis",
    "analyse",
    "issues_by_ward_table",
    "table_records",
]

#: Who may read the aggregates: an analyst (every family) and a manager (their team's).
ANALYSIS_ROLES = ("analyst", "manager")

#: The statuses of a plan item that still takes up a place with the service.
LIVE_STATUSES = ("suggested", "referred", "engaged")

#: The ward of a family with no postcode (or one outside the embedded wards).
UNKNOWN_WARD = "unknown"
UNKNOWN_WARD_NAME = "Not known (no postcode)"

#: Columns that hold whole numbers (published counts, capacities) when they are not missing.
_WHOLE = ("families", "planned", "engaged", "services", "capacity")


@dataclass(frozen=True)
class PlannerAnalysis:
    """The planner's aggregate tables, every count already protected under ``policy``.

    Attributes
    ----------
    policy : DisclosurePolicy
        The small-number rule applied (``policy.describe()`` says it in words).
    families : int or None
        Families counted (every family in the reader's scope, with or without issues), published under the
        policy; None when suppressed (1 to 7 families under ``nhs``).
    issues_by_ward : pandas.DataFrame
        ``ward_code``, ``ward_name``, ``issue_code``, ``issue_label``, ``outcome_label``, ``families`` (float,
        NaN where suppressed), ``suppressed`` (bool) and ``suppression`` (``"primary"``: a small count;
        ``"secondary"``: hidden so a small count cannot be worked out from the issue's total; ``""``).
    unmet : pandas.DataFrame
        ``issue_code``, ``issue_label``, ``families`` (NaN where suppressed), ``suppressed``, ``services``
        (directory services matching the issue; 0 = unmet), one row per issue of the list (and per issue code
        in the records no longer in it); unmet issues first, then the most families first.
    services : pandas.DataFrame
        ``service_id``, ``service_name``, ``planned`` (families with a live plan item; NaN where suppressed),
        ``suppressed``, ``capacity`` (NaN when not known), ``over_capacity`` (published ``planned`` above the
        capacity).
    time_to_engaged : pandas.DataFrame
        ``issue_code``, ``issue_label``, ``engaged`` (families; NaN where suppressed), ``suppressed``,
        ``median_days`` (NaN when ``engaged`` is suppressed or 0), one row per issue raised in scope.
    """

    policy: DisclosurePolicy
    families: int | None
    issues_by_ward: pd.DataFrame
    unmet: pd.DataFrame
    services: pd.DataFrame
    time_to_engaged: pd.DataFrame

    @property
    def rule(self) -> str:
        """The disclosure rule in words, to print beside any of the tables."""
        return f"Disclosure control ({self.policy.name}): {self.policy.describe()}"


def _scope(session: Session, user: User) -> tuple[Select, str]:
    """The ids of the families whose records count for ``user``, and a description for the audit log."""
    if user.role == "analyst":
        return select(Family.id), "all families"
    if user.role == "manager":
        return visible_families(user).with_only_columns(Family.id), f"team {user.team_id}"
    record(session, user, "analysis.read", "analysis", "", f"role {user.role}", outcome="denied")
    session.commit()  # the refusal stays on record although the request fails
    raise Forbidden(f"A {user.role} does not read the planner's aggregates: only analysts and managers do.")


def analyse(
    session: Session,
    user: User,
    *,
    policy: DisclosurePolicy | None = None,
    issues: FamilyIssues | None = None,
) -> PlannerAnalysis:
    """The planner's aggregate tables for ``user``, protected by statistical disclosure control.

    Every count is of distinct families and goes through :func:`circles.ingest.disclosure.protect_table` (or
    :func:`~circles.ingest.disclosure.protect_total` for the single total) before it leaves this function: under
    the default ``nhs`` policy counts of 1 to 7 are suppressed (NaN, with ``suppressed`` True) and other counts
    are rounded to the nearest 5, as NHS practice for small numbers in published health statistics. Figures
    derived from a count (the median days to engagement, the over-capacity flag) are only given where the count
    itself is published, and from the published value, so they reveal nothing the count does not.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    user : User
        An analyst (all families) or a manager (their team's families and their own).
    policy : DisclosurePolicy, optional
        Default :func:`circles.ingest.disclosure.get_policy` ``("nhs")``.
    issues : FamilyIssues, optional
        The plain-language issue list (labels, outcomes, matching services); default the embedded one.

    Returns
    -------
    PlannerAnalysis

    Raises
    ------
    Forbidden
        For an advisor or an admin (the refusal is audited).
    """
    policy = policy or get_policy("nhs")
    issues = issues or default_family_issues()
    scope, described = _scope(session, user)

    families = pd.DataFrame(
        session.execute(select(Family.id, Family.ward_code).where(Family.id.in_(scope))).all(),
        columns=["family_id", "ward_code"],
    )
    raised = pd.DataFrame(
        session.execute(
            select(FamilyIssue.id, FamilyIssue.family_id, FamilyIssue.issue_code, FamilyIssue.raised_at).where(
                FamilyIssue.family_id.in_(scope)
            )
        ).all(),
        columns=["issue_id", "family_id", "issue_code", "raised_at"],
    )
    plans = pd.DataFrame(
        session.execute(
            select(PlanItem.id, PlanItem.family_id, PlanItem.issue_id, PlanItem.service_id, PlanItem.status).where(
                PlanItem.family_id.in_(scope)
            )
        ).all(),
        columns=["plan_item_id", "family_id", "issue_id", "service_id", "status"],
    )
    first_engaged = pd.DataFrame(
        session.execute(
            select(PlanEvent.plan_item_id, func.min(PlanEvent.at))
            .join(PlanItem, PlanItem.id == PlanEvent.plan_item_id)
            .where(PlanEvent.status == "engaged", PlanItem.family_id.in_(scope))
            .group_by(PlanEvent.plan_item_id)
        ).all(),
        columns=["plan_item_id", "engaged_at"],
    )

    total, _ = protect_total(pd.Series([len(families)], dtype="int64"), policy)
    result = PlannerAnalysis(
        policy=policy,
        families=total,
        issues_by_ward=_issues_by_ward(families, raised, issues, policy),
        unmet=_unmet(session, raised, issues, policy),
        services=_services(session, plans, policy),
        time_to_engaged=_time_to_engaged(raised, plans, first_engaged, issues, policy),
    )
    record(session, user, "analysis.read", "analysis", "", f"{described}; policy {policy.name}")
    return result


# ------------------------------------------------------------------------------------------------------ the tables


def _labels(issues: FamilyIssues) -> tuple[dict[str, Any], dict[str, int]]:
    """The issues by code, and each code's place in the list (codes no longer listed sort last)."""
    by_code = issues.by_code()
    return by_code, {code: number for number, code in enumerate(by_code)}


def _protected(
    table: pd.DataFrame, column: str, policy: DisclosurePolicy, *, groups: list[list[str]] | None = None
) -> pd.DataFrame:
    """``table`` with ``column`` protected under ``policy`` (float, NaN where suppressed) and ``suppressed``."""
    if table.empty:
        out = table.copy()
        out[column] = pd.Series(dtype=float)
        out["suppressed"] = pd.Series(dtype=bool)
        if groups is not None:
            out["suppression"] = pd.Series(dtype=object)
        return out
    out = protect_table(table, [column], policy, groups=groups)
    out = out.rename(columns={f"{column}_suppressed": "suppressed", f"{column}_suppression": "suppression"})
    out[column] = out[column].astype("Float64").astype(float)
    out["suppressed"] = out["suppressed"].astype(bool)
    out.attrs = {}
    return out


def _issues_by_ward(
    families: pd.DataFrame, raised: pd.DataFrame, issues: FamilyIssues, policy: DisclosurePolicy
) -> pd.DataFrame:
    by_code, order = _labels(issues)
    names = ward_names()
    merged = raised.merge(families, on="family_id", how="left")
    known = merged["ward_code"].notna() & merged["ward_code"].astype(str).isin(names)
    merged["ward_code"] = merged["ward_code"].where(known, UNKNOWN_WARD)
    counts = merged.groupby(["ward_code", "issue_code"], sort=False)["family_id"].nunique().reset_index(name="families")
    counts["ward_name"] = counts["ward_code"].map(names).fillna(UNKNOWN_WARD_NAME)
    counts["issue_label"] = [by_code[c].label if c in by_code else c for c in counts["issue_code"]]
    counts["outcome_label"] = [by_code[c].outcome_label if c in by_code else "" for c in counts["issue_code"]]
    counts["_unknown"] = counts["ward_code"] == UNKNOWN_WARD
    counts["_order"] = counts["issue_code"].map(order).fillna(len(order))
    counts = counts.sort_values(["_unknown", "ward_name", "_order", "issue_code"]).reset_index(drop=True)
    counts = counts[["ward_code", "ward_name", "issue_code", "issue_label", "outcome_label", "families"]]
    counts["families"] = counts["families"].astype("int64")
    # the per-issue totals are published in `unmet`: hide a second cell of an issue with a single suppressed one
    return _protected(counts, "families", policy, groups=[["issue_code"]])


def _unmet(session: Session, raised: pd.DataFrame, issues: FamilyIssues, policy: DisclosurePolicy) -> pd.DataFrame:
    per_issue = raised.groupby("issue_code")["family_id"].nunique()
    rows = [
        {
            "issue_code": issue.code,
            "issue_label": issue.label,
            "families": int(per_issue.get(issue.code, 0)),
            "services": len(search_services(session, issue)),
        }
        for issue in issues.issues
    ]
    listed = {issue.code for issue in issues.issues}
    # an issue code recorded under an older list: no label, and no way to match it to services
    rows += [
        {"issue_code": code, "issue_label": code, "families": int(count), "services": 0}
        for code, count in per_issue.items()
        if code not in listed
    ]
    table = pd.DataFrame(rows, columns=["issue_code", "issue_label", "families", "services"])
    table = _protected(table, "families", policy)
    table = table[["issue_code", "issue_label", "families", "suppressed", "services"]]
    table = table.sort_values(
        ["services", "families"], ascending=[True, False], na_position="last", kind="stable"
    ).reset_index(drop=True)
    table["services"] = table["services"].astype("int64")
    return table


def _services(session: Session, plans: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    directory = pd.DataFrame(
        session.execute(select(Service.id, Service.name, Service.capacity)).all(),
        columns=["service_id", "service_name", "capacity"],
    )
    live = plans[plans["status"].isin(LIVE_STATUSES)]
    planned = live.groupby("service_id")["family_id"].nunique()
    # a service in a plan but since taken out of the directory keeps its row (name from the plan item)
    gone = sorted(set(planned.index) - set(directory["service_id"]))
    if gone:
        names = dict(
            session.execute(
                select(PlanItem.service_id, func.min(PlanItem.service_name))
                .where(PlanItem.service_id.in_(gone))
                .group_by(PlanItem.service_id)
            ).all()
        )
        extra = pd.DataFrame({"service_id": gone, "service_name": [names.get(s, s) for s in gone], "capacity": None})
        directory = pd.concat([directory, extra], ignore_index=True) if len(directory) else extra
    table = directory.assign(planned=directory["service_id"].map(planned).fillna(0).astype("int64"))
    table["capacity"] = pd.to_numeric(table["capacity"], errors="coerce").astype(float)
    table = table.sort_values(["service_name", "service_id"]).reset_index(drop=True)
    table = _protected(table[["service_id", "service_name", "planned", "capacity"]], "planned", policy)
    # from the published count, so the flag says nothing about a suppressed one
    table["over_capacity"] = (table["planned"] > table["capacity"]).fillna(False).astype(bool)
    return table[["service_id", "service_name", "planned", "suppressed", "capacity", "over_capacity"]]


def _time_to_engaged(
    raised: pd.DataFrame,
    plans: pd.DataFrame,
    first_engaged: pd.DataFrame,
    issues: FamilyIssues,
    policy: DisclosurePolicy,
) -> pd.DataFrame:
    by_code, order = _labels(issues)
    engaged = (
        plans.dropna(subset=["issue_id"])
        .astype({"issue_id": "int64"})
        .merge(first_engaged, on="plan_item_id")
        .merge(raised[["issue_id", "issue_code", "raised_at"]], on="issue_id")
    )
    if len(engaged):
        waited = pd.to_datetime(engaged["engaged_at"]) - pd.to_datetime(engaged["raised_at"])
        # an issue recorded after the service had already engaged (a back-dated record) waited no time
        engaged["days"] = (waited / pd.Timedelta(days=1)).clip(lower=0.0)
    else:
        engaged["days"] = pd.Series(dtype=float)
    # one figure per family and issue: its quickest engagement
    per_family = engaged.groupby(["issue_code", "family_id"])["days"].min().reset_index()
    grouped = per_family.groupby("issue_code")["days"]
    codes = sorted(raised["issue_code"].unique(), key=lambda c: (order.get(c, len(order)), c))
    table = pd.DataFrame(
        {
            "issue_code": codes,
            "issue_label": [by_code[c].label if c in by_code else c for c in codes],
            "engaged": [int(grouped.size().get(c, 0)) for c in codes],
            "_median": [float(grouped.median().get(c, np.nan)) for c in codes],
        }
    )
    table["engaged"] = table["engaged"].astype("int64")
    table = _protected(table, "engaged", policy)
    # a median of a suppressed (or empty) group is not given: it would describe 1 to 7 families
    table["median_days"] = table["_median"].where(table["engaged"].fillna(0) > 0).round(1)
    return table[["issue_code", "issue_label", "engaged", "suppressed", "median_days"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------ for JSON


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """An analysis table as JSON-ready records: suppressed or unknown values as None, counts as whole numbers.

    Examples
    --------
    >>> t = pd.DataFrame({"ward_code": ["E05011511"], "families": [float("nan")], "suppressed": [True]})
    >>> table_records(t)
    [{'ward_code': 'E05011511', 'families': None, 'suppressed': True}]
    >>> table_records(pd.DataFrame({"families": [10.0], "median_days": [4.5]}))
    [{'families': 10, 'median_days': 4.5}]
    """
    records = []
    for row in table.to_dict(orient="records"):
        out: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                value = None
            elif key in _WHOLE and isinstance(value, float):
                value = int(value)
            out[str(key)] = value
        records.append(out)
    return records


def issues_by_ward_table(analysis: PlannerAnalysis) -> list[dict[str, Any]]:
    """The issues-by-ward table as JSON records (a suppressed count is None with ``"suppressed": True``)."""
    return table_records(analysis.issues_by_ward)
