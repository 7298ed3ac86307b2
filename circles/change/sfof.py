"""Supporting Families successful family outcomes: which pilot families the programme would count, and why not.

The National Supporting Families Outcome Framework counts a family as a *successful family outcome* when

1. at least ``min_needs`` (3) distinct headline outcomes were identified for it,
2. it had a lead practitioner and
3. a whole-family plan, and
4. every identified need reached a positive outcome, **sustained** at least ``sustain_months`` (6) months after
   the family's support closed: every need's ``sustained_to`` (the last date the outcome was confirmed as still
   holding) is on or after ``closed_date + sustain_months`` calendar months (:class:`pandas.DateOffset`).

A family that does not count gets the **first condition it fails**, checked from the bottom of :data:`STATUSES`
upwards: eligibility first (no whole-family plan, no lead practitioner, fewer than the needed headline needs), then
the needs (not all positive), then timing (support still open, then "too early": closed, every need positive,
but not yet confirmed as holding ``sustain_months`` after closure: the time has not passed, or the outcome has not
been confirmed again since). :data:`STATUSES` itself reads from success outwards, the order of the summary table.

References
----------
Department for Levelling Up, Housing and Communities (2022). *Supporting Families 2022–25: Programme Guidance*,
chapter 3 ("Successful family outcomes") and annex: the National Supporting Families Outcome Framework.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.errors import ChangeError

__all__ = ["STATUSES", "NEED_OUTCOMES", "FamilyOutcomes", "successful_family_outcomes"]

#: A family's status, from success outwards (the summary's order). A family gets the first condition it fails
#: checked from the END of this tuple: eligibility, then the needs, then timing.
STATUSES = (
    "successful",
    "too early: under 6 months since closure",
    "open: support not closed",
    "not all needs positive",
    "fewer than 3 headline needs",
    "no lead practitioner",
    "no whole-family plan",
)

#: The values of ``family_needs.outcome``.
NEED_OUTCOMES = ("positive", "not yet", "worse")

_COHORT_COLUMNS = ("family_id", "group", "closed_date", "lead_practitioner", "whole_family_plan")
_NEED_COLUMNS = ("family_id", "headline_outcome", "outcome", "sustained_to")
_YES = {"yes", "y", "true", "t", "1"}


@dataclass(frozen=True)
class FamilyOutcomes:
    """The pilot families assessed against the Supporting Families outcome rule (see the module docstring).

    ``families``: one row a pilot family: ``family_id``, ``needs`` (distinct headline outcomes identified),
    ``lead_practitioner``, ``whole_family_plan``, ``closed`` (support closed on or before ``as_of``),
    ``all_positive``, ``sustained_months`` (calendar months, with a fraction, from ``closed_date`` to the earliest
    ``sustained_to`` over its needs, capped at ``as_of``; NaN while open or when a need has no ``sustained_to``),
    ``successful``, ``status`` (one of :data:`STATUSES`), ``holding_back`` (the headline outcome(s) not positive, or
    — once closed — not yet sustained, "; "-joined, "" if none). ``summary``: ``status``, ``families`` (every status,
    exact counts: the stage applies disclosure control). ``holding_back``: ``headline_outcome``, ``families`` — the
    families that meet every eligibility condition and whose claim that need holds back, most first.
    """

    families: pd.DataFrame
    summary: pd.DataFrame
    holding_back: pd.DataFrame
    as_of: pd.Timestamp
    rule: str


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ChangeError(
            f"The {what} has no column(s) {', '.join(missing)}: the successful-family-outcomes rule needs "
            f"{', '.join(columns)}. Add them (outcomes.py reads them from the {what} file)."
        )


def _flag(values: pd.Series) -> pd.Series:
    """yes/no, true/false, 1/0 or bool → bool (a blank is no)."""

    def yes(value: object) -> bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | float | np.integer | np.floating):
            return bool(value == value and value != 0)  # NaN is no
        return str(value).strip().lower() in _YES

    return values.map(yes).astype(bool)


def _check_needs(needs: pd.DataFrame, known_outcomes: set[str] | frozenset[str] | None) -> None:
    bad = sorted(set(needs["outcome"].dropna()) - set(NEED_OUTCOMES)) + (
        ["(blank)"] if needs["outcome"].isna().any() else []
    )
    if bad:
        raise ChangeError(
            f"family_needs column 'outcome' holds {', '.join(map(repr, bad[:5]))}: it must be one of "
            f"{', '.join(NEED_OUTCOMES)}. Correct those rows in the family needs file."
        )
    if known_outcomes is not None:
        unknown = sorted(set(needs["headline_outcome"].dropna().astype(str)) - set(known_outcomes))
        if unknown or needs["headline_outcome"].isna().any():
            shown = ", ".join(map(repr, unknown[:5])) or "a blank"
            raise ChangeError(
                f"family_needs column 'headline_outcome' holds {shown}, not a Supporting Families headline "
                f"outcome ({', '.join(sorted(known_outcomes))}). Use the codes of the issue list's outcomes."
            )


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Calendar months from ``start`` to ``end``: whole months m with start + m months ≤ end, plus the fraction.

    ``_months_between(a, b) >= k`` exactly when ``a + DateOffset(months=k) <= b`` for a whole number k.
    """
    if pd.isna(start) or pd.isna(end):
        return float("nan")
    sign, (a, b) = (1, (start, end)) if end >= start else (-1, (end, start))
    whole = (b.year - a.year) * 12 + (b.month - a.month)
    while whole > 0 and a + pd.DateOffset(months=whole) > b:
        whole -= 1
    low, high = a + pd.DateOffset(months=whole), a + pd.DateOffset(months=whole + 1)
    return sign * (whole + (b - low) / (high - low))


def _status(row: pd.Series, min_needs: int, sustain_months: int) -> str:
    if not row["whole_family_plan"]:
        return STATUSES[6]
    if not row["lead_practitioner"]:
        return STATUSES[5]
    if row["needs"] < min_needs:
        return STATUSES[4]
    if not row["all_positive"]:
        return STATUSES[3]
    if not row["closed"]:
        return STATUSES[2]
    if not row["sustained_months"] >= sustain_months:  # NaN (a need never confirmed) is not sustained
        return STATUSES[1]
    return STATUSES[0]


def _per_need(needs: pd.DataFrame, closed: pd.Series, due: pd.Series, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row a family and headline outcome: positive (every row of it), sustained_to (earliest), held (bool)."""
    table = needs.assign(positive=needs["outcome"].eq("positive"), sustained_to=needs["sustained_to"].clip(upper=as_of))
    table = table.groupby(["family_id", "headline_outcome"], sort=True).agg(
        positive=("positive", "all"),
        sustained_to=("sustained_to", lambda s: pd.NaT if s.isna().any() else s.min()),
    )
    table = table.reset_index()
    family_closed = table["family_id"].map(closed).fillna(False).astype(bool)
    sustained = table["sustained_to"].notna() & (table["sustained_to"] >= table["family_id"].map(due))
    table["holding"] = ~table["positive"] | (family_closed & ~sustained)
    return table


def successful_family_outcomes(
    cohort: pd.DataFrame,
    family_needs: pd.DataFrame,
    *,
    as_of,
    sustain_months: int = 6,
    min_needs: int = 3,
    known_outcomes: set[str] | frozenset[str] | None = None,
) -> FamilyOutcomes:
    """Assess the cohort's pilot families against the Supporting Families successful-family-outcome rule.

    Parameters
    ----------
    cohort : DataFrame
        One row a family: ``family_id``, ``group`` (only ``"pilot"`` rows are assessed), ``closed_date``
        (datetime; NaT while support is open), ``lead_practitioner`` and ``whole_family_plan`` (bool or yes/no).
    family_needs : DataFrame
        One row a family and headline outcome: ``family_id``, ``headline_outcome``, ``outcome`` (positive, not yet,
        worse), ``sustained_to`` (datetime: the last date the outcome was confirmed holding). Rows of families
        that are not pilot families in ``cohort`` are ignored; several rows for one family and headline outcome
        count as one need, positive only if every row is, sustained to the earliest ``sustained_to``.
    as_of : date-like
        The assessment date: support closed after it is open; a ``sustained_to`` after it counts as ``as_of``.
    sustain_months : int
        Months after closure every outcome must hold (the guidance: 6).
    min_needs : int
        Distinct headline outcomes a family must have been identified with (the guidance: 3).
    known_outcomes : set of str, optional
        The headline outcome codes (``pipelines/family_issues.yaml``'s ``outcomes``); others are refused.

    Returns
    -------
    FamilyOutcomes

    Raises
    ------
    ChangeError
        A needed column is missing, the cohort has no pilot family, an ``outcome`` is not positive/not yet/worse,
        or (with ``known_outcomes``) a ``headline_outcome`` is unknown; the message names the file column.

    References
    ----------
    Department for Levelling Up, Housing and Communities (2022). *Supporting Families 2022–25: Programme
    Guidance*, chapter 3: the National Supporting Families Outcome Framework.

    Examples
    --------
    >>> cohort = pd.DataFrame({"family_id": ["A", "B"], "group": "pilot", "lead_practitioner": True,
    ...     "whole_family_plan": True, "closed_date": pd.to_datetime(["2012-01-15", "2012-06-01"])})
    >>> needs = pd.DataFrame({"family_id": ["A"] * 3 + ["B"] * 3,
    ...     "headline_outcome": ["housing", "health", "crime"] * 2, "outcome": "positive",
    ...     "sustained_to": pd.Timestamp("2012-09-30")})
    >>> result = successful_family_outcomes(cohort, needs, as_of="2012-09-30")
    >>> print(result.families[["family_id", "status", "sustained_months"]].round(2).to_string(index=False))
    family_id                                  status  sustained_months
            A                              successful              8.50
            B too early: under 6 months since closure              3.97
    >>> int(result.summary.set_index("status").loc["successful", "families"])
    1
    """
    as_of = pd.Timestamp(as_of)
    pilot = _pilot(cohort, family_needs, known_outcomes)
    families, per_need = _assess(pilot, family_needs, as_of, sustain_months)
    families["status"] = families.apply(_status, axis=1, args=(min_needs, sustain_months))
    families["successful"] = families["status"].eq(STATUSES[0])
    held = per_need[per_need["holding"]].groupby("family_id")["headline_outcome"].agg("; ".join)
    families["holding_back"] = [held.get(f, "") for f in families["family_id"]]
    order = ["family_id", "needs", "lead_practitioner", "whole_family_plan", "closed", "all_positive"]
    families = families[[*order, "sustained_months", "successful", "status", "holding_back"]]
    return FamilyOutcomes(
        families=families,
        summary=_summary(families),
        holding_back=_holding_back(families, per_need, min_needs),
        as_of=as_of,
        rule=_rule(min_needs, sustain_months),
    )


def _pilot(
    cohort: pd.DataFrame, family_needs: pd.DataFrame, known_outcomes: set[str] | frozenset[str] | None
) -> pd.DataFrame:
    """The cohort's pilot rows, once both frames are checked."""
    _require(cohort, _COHORT_COLUMNS, "cohort")
    _require(family_needs, _NEED_COLUMNS, "family_needs")
    pilot = cohort[cohort["group"].astype(str).str.strip().str.lower().eq("pilot")]
    if pilot.empty:
        raise ChangeError("The cohort has no pilot family (group = pilot): there is no family to assess.")
    ids = pilot["family_id"].astype(str)
    if ids.duplicated().any():
        raise ChangeError(
            f"cohort column 'family_id' lists {ids[ids.duplicated()].iloc[0]!r} more than once: the cohort has one "
            "row a family."
        )
    _check_needs(family_needs, known_outcomes)
    return pilot


def _assess(
    pilot: pd.DataFrame, family_needs: pd.DataFrame, as_of: pd.Timestamp, sustain_months: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each pilot family's conditions (no status yet), and its needs (see :func:`_per_need`)."""
    families = pd.DataFrame({"family_id": pilot["family_id"].astype(str).to_numpy()})
    closed_date = pd.to_datetime(pilot["closed_date"]).to_numpy()
    families["lead_practitioner"] = _flag(pilot["lead_practitioner"]).to_numpy()
    families["whole_family_plan"] = _flag(pilot["whole_family_plan"]).to_numpy()
    families["closed"] = pd.notna(closed_date) & (closed_date <= as_of.to_datetime64())
    due = pd.Series(closed_date, index=families["family_id"]) + pd.DateOffset(months=sustain_months)
    needs = family_needs.assign(
        family_id=family_needs["family_id"].astype(str), sustained_to=pd.to_datetime(family_needs["sustained_to"])
    )
    needs = needs[needs["family_id"].isin(families["family_id"])]
    per_need = _per_need(needs, families.set_index("family_id")["closed"], due, as_of)
    grouped = per_need.groupby("family_id")
    families["needs"] = families["family_id"].map(grouped.size()).fillna(0).astype(int)
    families["all_positive"] = families["family_id"].map(grouped["positive"].all()).fillna(False).astype(bool)
    earliest = families["family_id"].map(grouped["sustained_to"].agg(lambda s: pd.NaT if s.isna().any() else s.min()))
    families["sustained_months"] = [
        _months_between(pd.Timestamp(c), pd.Timestamp(e)) if shut else float("nan")
        for c, e, shut in zip(closed_date, earliest, families["closed"], strict=True)
    ]
    return families, per_need


def _summary(families: pd.DataFrame) -> pd.DataFrame:
    counts = families["status"].value_counts()
    return pd.DataFrame({"status": list(STATUSES), "families": [int(counts.get(s, 0)) for s in STATUSES]})


def _holding_back(families: pd.DataFrame, per_need: pd.DataFrame, min_needs: int) -> pd.DataFrame:
    eligible = families.loc[
        families["whole_family_plan"] & families["lead_practitioner"] & (families["needs"] >= min_needs), "family_id"
    ]
    held = per_need[per_need["holding"] & per_need["family_id"].isin(eligible)]
    table = held.groupby("headline_outcome")["family_id"].nunique().rename("families").reset_index()
    table = table.sort_values(["families", "headline_outcome"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True).astype({"families": int})


def _rule(min_needs: int, sustain_months: int) -> str:
    return (
        f"A family counts as a successful family outcome when it had at least {min_needs} distinct headline "
        "outcomes identified, a lead practitioner and a whole-family plan, and every identified need reached a "
        f"positive outcome still holding at least {sustain_months} months after its support closed (DLUHC 2022, "
        "Supporting Families 2022–25: Programme Guidance, ch. 3, the National Supporting Families Outcome "
        "Framework)."
    )
