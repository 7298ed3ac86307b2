"""Outcome tracking: crisis contacts by month from the start, and sustained change at 6, 12 and 18 months.

Both read the outcomes in the long layout of :mod:`circles.change.outcomes` (``family_id``, ``period``,
``measure``, ``value``) and a cohort with each family's ``group`` and ``start_date``; a family-month with no row
for a measure counts 0 (the outcomes file lists what happened, and nothing is a 0).

Sustained change (a family-level measure the programme office watches): at ``m`` months, a family whose crisis
contacts a month over months ``m − 6`` to ``m − 1`` after its start are **below its own average before the
start**. Families with no crisis contact before cannot fall, and are not counted; a family followed for fewer
than ``m`` months is not yet counted at ``m``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from circles.errors import ChangeError

__all__ = ["relative_months", "monthly_rates", "sustained_change"]


def relative_months(outcomes: pd.DataFrame, cohort: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Each family's total of ``measures`` by month relative to its start month (0 = the start month).

    Returns ``family_id``, ``month`` (int) and ``value``; only months with a row in ``outcomes``.

    Examples
    --------
    >>> cohort = pd.DataFrame({"family_id": ["a"], "start_date": pd.to_datetime(["2011-04-15"])})
    >>> outcomes = pd.DataFrame({"family_id": ["a", "a", "a"], "measure": ["x", "y", "x"],
    ...     "period": pd.PeriodIndex(["2011-03", "2011-03", "2011-05"], freq="M"), "value": [1.0, 2.0, 1.0]})
    >>> relative_months(outcomes, cohort, ["x", "y"]).values.tolist()
    [['a', -1, 3.0], ['a', 1, 1.0]]
    """
    for column in ("family_id", "start_date"):
        if column not in cohort:
            raise ChangeError(f"the cohort has no '{column}' column: it is needed to place months from the start")
    rows = outcomes[outcomes["measure"].isin(measures)]
    starts = cohort.set_index("family_id")["start_date"].dt.to_period("M")
    rows = rows[rows["family_id"].isin(starts.index)]
    start = pd.PeriodIndex(rows["family_id"].map(starts), freq="M")
    month = (pd.PeriodIndex(rows["period"], freq="M").asi8 - start.asi8).astype(int)
    out = pd.DataFrame({"family_id": rows["family_id"].to_numpy(), "month": month, "value": rows["value"].to_numpy()})
    return out.groupby(["family_id", "month"], as_index=False, sort=True)["value"].sum()


def monthly_rates(
    outcomes: pd.DataFrame,
    cohort: pd.DataFrame,
    *,
    measures: Sequence[str],
    before_months: int = 12,
    after_months: int = 12,
) -> pd.DataFrame:
    """Mean ``measures`` a family-month by month from the start, by group, weighted by ``cohort['weight']``.

    Returns ``month`` (−before_months … after_months − 1), ``group``, ``families`` (exact: the stage applies
    disclosure control) and ``rate``.

    Examples
    --------
    >>> cohort = pd.DataFrame({"family_id": ["a", "b"], "group": ["pilot", "comparison"], "weight": [1.0, 1.0],
    ...                        "start_date": pd.to_datetime(["2011-04-01", "2011-04-01"])})
    >>> outcomes = pd.DataFrame({"family_id": ["a", "b"], "measure": ["x", "x"],
    ...     "period": pd.PeriodIndex(["2011-03", "2011-04"], freq="M"), "value": [2.0, 1.0]})
    >>> monthly_rates(outcomes, cohort, measures=["x"], before_months=1, after_months=1).values.tolist()
    [[-1, 'comparison', 1, 0.0], [-1, 'pilot', 1, 2.0], [0, 'comparison', 1, 1.0], [0, 'pilot', 1, 0.0]]
    """
    counts = relative_months(outcomes, cohort, measures).set_index(["family_id", "month"])["value"]
    months = np.arange(-before_months, after_months)
    grid = pd.MultiIndex.from_product([cohort["family_id"], months], names=["family_id", "month"])
    values = counts.reindex(grid, fill_value=0.0).rename("value").reset_index()
    info = cohort.set_index("family_id")
    weight = info["weight"] if "weight" in info else pd.Series(1.0, index=info.index)
    values["group"] = values["family_id"].map(info["group"])
    values["weight"] = values["family_id"].map(weight).astype(float)
    values["weighted"] = values["value"] * values["weight"]
    out = values.groupby(["month", "group"], as_index=False).agg(
        families=("family_id", "nunique"), weighted=("weighted", "sum"), weights=("weight", "sum")
    )
    out["rate"] = out["weighted"] / out["weights"]
    return out[["month", "group", "families", "rate"]]


def sustained_change(
    outcomes: pd.DataFrame,
    cohort: pd.DataFrame,
    *,
    measures: Sequence[str],
    before_months: int = 12,
    at: Sequence[int] = (6, 12, 18),
    followed: int | None = None,
) -> pd.DataFrame:
    """Families by group with sustained change at each of ``at`` months (see the module notes).

    ``followed`` is the months after the start every family has been followed (default: the most after-start
    months in the outcomes); a point beyond it is left out. Returns ``months``, ``group``, ``families`` (those
    with crisis contacts before, followed that long) and ``sustained`` (exact counts).

    Examples
    --------
    >>> cohort = pd.DataFrame({"family_id": ["a", "b"], "group": ["pilot", "pilot"],
    ...                        "start_date": pd.to_datetime(["2011-04-01", "2011-04-01"])})
    >>> outcomes = pd.DataFrame({"family_id": ["a", "b", "b"], "measure": ["x", "x", "x"],
    ...     "period": pd.PeriodIndex(["2011-03", "2011-03", "2011-06"], freq="M"), "value": [6.0, 6.0, 9.0]})
    >>> sustained_change(outcomes, cohort, measures=["x"], before_months=6, at=[6], followed=6).values.tolist()
    [[6, 'pilot', 2, 1]]
    """
    counts = relative_months(outcomes, cohort, measures)
    followed = int(counts["month"].max()) + 1 if followed is None else followed
    before = counts[counts["month"].between(-before_months, -1)].groupby("family_id")["value"].sum() / before_months
    rows = []
    for m in [m for m in at if m <= followed]:
        window = counts[counts["month"].between(m - 6, m - 1)].groupby("family_id")["value"].sum() / 6
        for group, families in cohort.groupby("group")["family_id"]:
            base = before.reindex(families).fillna(0.0)
            base = base[base > 0]
            after = window.reindex(base.index).fillna(0.0)
            rows.append({"months": m, "group": group, "families": len(base), "sustained": int((after < base).sum())})
    return pd.DataFrame(rows, columns=["months", "group", "families", "sustained"])
