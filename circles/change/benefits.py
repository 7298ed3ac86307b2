"""Benefits in money: crisis contacts avoided, priced and discounted, realised against expected, by quarter.

The realised benefit is the difference-in-differences of the **cost of crisis contacts a family-month** (each
contact priced with the design stage's unit costs) — so its interval comes straight from the bootstrap of the
estimate — times the pilot's family-months in each quarter after its start. The expected benefit is what the
options appraisal assumed for the option the pilot tests: its contacts avoided a family a year (low, central and
high) times the same unit costs, for the same family-months. Both are discounted with the HM Treasury Green Book
convention (:func:`circles.costs.scenarios.discount_factors`: the first year from the pilot start undiscounted,
3.5% a year after) and summed over the quarters of the UK financial year.

References
----------
HM Treasury (2022). *The Green Book: Central Government Guidance on Appraisal and Evaluation*, ch. 6 and annex
A6 (discounting). HM Treasury (2020). *The Magenta Book: Central Government Guidance on Evaluation*, ch. 3
(counterfactual impact evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.change.effect import DiDResult
from circles.costs.scenarios import GREEN_BOOK_RATE, discount_factors
from circles.errors import ChangeError

__all__ = ["BenefitsRealised", "pilot_family_months", "expected_per_family_month", "benefits_by_quarter"]


@dataclass(frozen=True)
class BenefitsRealised:
    """Expected and realised benefits by financial quarter, as :func:`benefits_by_quarter` returns them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row a quarter (``quarter`` "2011/12 Q1", ``start``), ``family_months``, ``discount_factor``; the
        quarter's ``expected_low``, ``expected``, ``expected_high`` and ``realised``, ``realised_low``,
        ``realised_high`` (pounds, discounted), and the same cumulatively (``cumulative_*``).
    realised, realised_low, realised_high : float
        The realised benefit to date (pounds, discounted) and its interval.
    expected, expected_low, expected_high : float
        What the appraisal expected for the same family-months.
    level : float
        The interval's level.
    rate : float
        The discount rate a year.
    method : str
    """

    table: pd.DataFrame
    realised: float
    realised_low: float
    realised_high: float
    expected: float
    expected_low: float
    expected_high: float
    level: float
    rate: float
    method: str


def pilot_family_months(cohort: pd.DataFrame, *, after_months: int, as_of: pd.Timestamp | None = None) -> pd.Series:
    """Pilot family-months after start, by month: each pilot family from its start month for ``after_months``.

    Months after ``as_of`` are not counted (they have not happened). Returns a Series indexed by ``Period[M]``.

    Examples
    --------
    >>> cohort = pd.DataFrame({"group": ["pilot", "pilot", "comparison"],
    ...                        "start_date": pd.to_datetime(["2011-04-01", "2011-05-10", "2011-04-01"])})
    >>> pilot_family_months(cohort, after_months=2).to_dict()
    {Period('2011-04', 'M'): 1, Period('2011-05', 'M'): 2, Period('2011-06', 'M'): 1}
    """
    starts = cohort.loc[cohort["group"] == "pilot", "start_date"].dt.to_period("M")
    if starts.empty:
        raise ChangeError("the cohort has no pilot family, so no benefit can be realised: check its 'group' column")
    months = pd.Series([s + k for s in starts for k in range(after_months)])
    if as_of is not None:
        months = months[months <= pd.Timestamp(as_of).to_period("M")]
    return months.value_counts().sort_index().rename("family_months")


def expected_per_family_month(avoided: Mapping[str, tuple[float, float, float]], unit_costs: Mapping[str, float]):
    """The appraisal's expected benefit a family-month (low, central, high): contacts avoided a family a year
    × unit cost, summed over items, ÷ 12.

    Examples
    --------
    >>> expected_per_family_month({"A&E": (0.2, 0.6, 1.2)}, {"A&E": 250})
    (4.166666666666667, 12.5, 25.0)
    """
    unknown = [item for item in avoided if item not in unit_costs]
    if unknown:
        raise ChangeError(f"the option avoids {unknown[0]!r}, which has no unit cost: add it to design.unit_costs")
    totals = np.zeros(3)
    for item, levels in avoided.items():
        totals += np.asarray(levels, dtype=float) * float(unit_costs[item])
    low, central, high = (float(v) / 12 for v in totals)
    return low, central, high


def benefits_by_quarter(
    cost_effect: DiDResult,
    family_months: pd.Series,
    expected: tuple[float, float, float],
    *,
    start: pd.Timestamp,
    rate: float = GREEN_BOOK_RATE,
) -> BenefitsRealised:
    """Realised (from the DiD of crisis cost a family-month) and expected benefits by financial quarter.

    Parameters
    ----------
    cost_effect : DiDResult
        The difference-in-differences of the cost of crisis contacts a family-month (pounds); a fall (negative
        estimate) is a benefit.
    family_months : pandas.Series
        Pilot family-months by ``Period[M]`` (:func:`pilot_family_months`).
    expected : (low, central, high)
        The appraisal's expected benefit a family-month (:func:`expected_per_family_month`).
    start : Timestamp
        The pilot start: year 0 of the discounting.
    rate : float, default 0.035

    Examples
    --------
    >>> from circles.change.effect import DiDResult
    >>> effect = DiDResult(measure="cost", estimate=-30.0, lower=-50.0, upper=-10.0, level=0.95, se=10.0,
    ...     pilot_before=100.0, pilot_after=70.0, comparison_before=100.0, comparison_after=100.0, n_pilot=30,
    ...     n_comparison=90, distribution=np.array([-30.0]), method="test")
    >>> months = pd.Series({pd.Period("2011-04", "M"): 30, pd.Period("2011-07", "M"): 30})
    >>> out = benefits_by_quarter(effect, months, (5.0, 10.0, 20.0), start=pd.Timestamp("2011-04-01"))
    >>> out.table[["quarter", "realised", "expected"]].values.tolist()
    [['2011/12 Q1', 900.0, 300.0], ['2011/12 Q2', 900.0, 300.0]]
    >>> out.realised, out.realised_low, out.realised_high
    (1800.0, 600.0, 3000.0)
    """
    if family_months.empty:
        raise ChangeError("no pilot family-months after the start: nothing can be realised yet")
    months = family_months.sort_index()
    years = ((months.index - pd.Timestamp(start).to_period("M")).map(lambda d: d.n) // 12).to_numpy()
    if (years < 0).any():
        raise ChangeError("a pilot family-month falls before the pilot start: check the cohort's start dates")
    factors = discount_factors(int(years.max()) + 1, rate)[years]
    weighted = pd.Series(months.to_numpy() * factors, index=months.index)
    quarter = months.index.asfreq("Q-MAR")
    frame = pd.DataFrame({"family_months": months.to_numpy(), "weighted": weighted.to_numpy()}, index=quarter)
    table = frame.groupby(level=0).sum()
    table["discount_factor"] = (table["weighted"] / table["family_months"]).round(6)
    saving = -np.array([cost_effect.estimate, cost_effect.upper, cost_effect.lower])  # benefit: central, low, high
    for name, per_month in zip(("realised", "realised_low", "realised_high"), saving[[0, 1, 2]], strict=True):
        table[name] = table["weighted"] * per_month
    for name, per_month in zip(("expected_low", "expected", "expected_high"), expected, strict=True):
        table[name] = table["weighted"] * per_month
    money = ["expected_low", "expected", "expected_high", "realised", "realised_low", "realised_high"]
    for name in money:
        table[f"cumulative_{name}"] = table[name].cumsum()
    table = table.drop(columns="weighted").round({c: 2 for c in money} | {f"cumulative_{c}": 2 for c in money})
    table.insert(0, "start", [q.start_time.date().isoformat() for q in table.index])
    table.insert(0, "quarter", [f"{q.qyear - 1}/{q.qyear % 100:02d} Q{q.quarter}" for q in table.index])
    table = table.reset_index(drop=True)
    total = table.iloc[-1]
    return BenefitsRealised(
        table=table,
        realised=float(total["cumulative_realised"]),
        realised_low=float(total["cumulative_realised_low"]),
        realised_high=float(total["cumulative_realised_high"]),
        expected=float(total["cumulative_expected"]),
        expected_low=float(total["cumulative_expected_low"]),
        expected_high=float(total["cumulative_expected_high"]),
        level=cost_effect.level,
        rate=rate,
        method=(
            "realised = −(difference-in-differences of crisis cost a family-month) × pilot family-months, interval "
            f"from the bootstrap of the estimate ({cost_effect.level:.0%}); expected = the appraisal's contacts "
            "avoided a family a year × unit costs ÷ 12 for the same family-months; both discounted (Green Book, "
            f"{rate:.1%} a year from the pilot start) and summed by financial quarter"
        ),
    )
