"""The effect of the pilot: difference in differences with a bootstrap interval, and the smallest effect detectable.

:func:`family_rates` turns the long outcomes file into one row a family: its rate of contacts a month before and
after its start. :func:`difference_in_differences` compares the pilot families' change with the (matched)
comparison families' change; the comparison group's change stands for what would have happened to the pilot
families without the pilot (a common trend), so the difference in the changes is the pilot's effect. Its interval
resamples families, pilot and comparison separately (Efron & Tibshirani 1993). :func:`minimum_detectable_effect`
says how large a true effect would have to be for an evaluation of this size to detect it (Bloom 1995).

References
----------
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall, chs. 13–14.

Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power of experimental
designs. *Evaluation Review* 19(5), 547–556.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd
from scipy import stats

from circles.errors import ChangeError

__all__ = ["DiDResult", "DetectableEffect", "family_rates", "difference_in_differences", "minimum_detectable_effect"]

_GROUPS = ("pilot", "comparison")
_RATES = ("family_id", "group", "before", "after", "change")


@dataclass(frozen=True)
class DiDResult:
    """A difference in differences, as :func:`difference_in_differences` returns it.

    Attributes
    ----------
    measure : str
        What was counted (e.g. "crisis contacts"), per family-month.
    estimate : float
        (pilot after − before) − (comparison after − before), per family-month; negative is a fall.
    lower, upper : float
        The bootstrap interval at ``level``.
    level : float
        Confidence level of the interval.
    se : float
        Standard deviation of the bootstrap replicates.
    pilot_before, pilot_after, comparison_before, comparison_after : float
        Mean rates a family-month (the comparison weighted by the matching weights).
    n_pilot, n_comparison : int
        Families in each group (with a positive weight).
    distribution : numpy.ndarray
        The bootstrap replicates of the estimate (to carry the interval into money).
    method : str
        One line for the method notes.
    """

    measure: str
    estimate: float
    lower: float
    upper: float
    level: float
    se: float
    pilot_before: float
    pilot_after: float
    comparison_before: float
    comparison_after: float
    n_pilot: int
    n_comparison: int
    distribution: np.ndarray
    method: str


@dataclass(frozen=True)
class DetectableEffect:
    """The minimum detectable effect of a difference in differences, as :func:`minimum_detectable_effect` returns it.

    Attributes
    ----------
    mde : float
        The smallest true difference in differences (absolute, per family-month) detected with ``power``.
    share_of_baseline : float
        ``mde`` ÷ the pilot families' rate before (nan when that is 0).
    n_pilot, n_comparison : int
        Families in each group.
    alpha, power : float
        Two-sided significance level and power.
    multiplier : float
        t(1 − alpha/2, df) + t(power, df), df = n_pilot + n_comparison − 2.
    statement : str
        The result in plain English.
    """

    mde: float
    share_of_baseline: float
    n_pilot: int
    n_comparison: int
    alpha: float
    power: float
    multiplier: float
    statement: str


def _check(frame: pd.DataFrame, columns: Sequence[str], what: str, **settings: object) -> None:
    """Check a frame has ``columns`` and each setting is in range; raise :class:`ChangeError` saying what to do.

    The one place the inputs are checked. Settings: ``measures``, ``cohort``, ``unit_costs`` and ``months`` (name →
    value) for the outcomes; ``fraction`` (name → value in (0, 1)), ``n_resamples`` and ``weights`` (a Series
    indexed by family id) for the rates.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ChangeError(f"the {what} must be a pandas DataFrame; got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = "make it with family_rates()" if what == "rates" else "read it with circles.change.outcomes"
        raise ChangeError(
            f"the {what} have no {', '.join(map(repr, missing))} column; its columns are "
            f"{', '.join(map(str, frame))}. {hint[0].upper()}{hint[1:]}."
        )
    measures = settings.get("measures")
    if measures is not None:
        if isinstance(measures, str) or not len(measures):
            raise ChangeError(
                f"give measures as a list, e.g. ['ae_attendances', 'police_incidents']; got {measures!r}."
            )
        known = set(frame["measure"].astype(str))
        unknown = [m for m in measures if m not in known]
        if unknown:
            raise ChangeError(
                f"measure {', '.join(map(repr, unknown))} has no rows in the outcomes; the measures "
                f"are {', '.join(sorted(known))}. Use one of those."
            )
        unit_costs = settings.get("unit_costs")
        if unit_costs is not None and [m for m in measures if m not in unit_costs]:
            raise ChangeError(
                f"weights have no value for {', '.join(repr(m) for m in measures if m not in unit_costs)}"
                "; give a unit cost (or 1) for every measure."
            )
    for name, value in dict(settings.get("months", {})).items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ChangeError(f"{name} must be a whole number of months, 1 or more; got {value!r}.")
    for name, value in dict(settings.get("fraction", {})).items():
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < 1:
            raise ChangeError(f"{name} must be a number between 0 and 1 (e.g. 0.95); got {value!r}.")
    n = settings.get("n_resamples")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1):
        raise ChangeError(f"n_resamples must be a whole number of bootstrap resamples (e.g. 2000); got {n!r}.")
    if what == "rates":
        _check_groups(frame, settings.get("weights"))
    if what == "outcomes":
        _check(settings["cohort"], ("family_id", "group", "start_date"), "cohort")
        _check_outcomes(frame[frame["measure"].isin(list(measures))], settings["cohort"], **settings["months"])


def _check_outcomes(rows: pd.DataFrame, cohort: pd.DataFrame, before_months: int, after_months: int) -> None:
    """The measures' rows have numbers, one a family-month, and cover every family's windows."""
    value = pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(value).all():
        raise ChangeError(
            f"{int((~np.isfinite(value)).sum())} outcome rows have a blank or non-numeric value; "
            "read the outcomes with circles.change.outcomes, which quarantines them."
        )
    if rows.duplicated(["family_id", "period", "measure"]).any():
        raise ChangeError("the outcomes have more than one row for a family, month and measure; give one.")
    if cohort["family_id"].duplicated().any() or cohort["start_date"].isna().any():
        raise ChangeError("the cohort needs one row a family, each with a start_date; fix the cohort file.")
    start, month = _months(pd.to_datetime(cohort["start_date"])), _months(rows["period"])
    # a month nobody has a row for is taken as not observed (rather than 0 for everyone)
    if len(rows) and (start.min() - before_months < month.min() or start.max() + after_months - 1 > month.max()):
        raise ChangeError(
            f"the outcomes cover {len(np.unique(month))} months, fewer than the {before_months} before "
            f"and {after_months} after every family's start; shorten before_months or after_months."
        )


def _check_groups(rates: pd.DataFrame, weights: pd.Series | None) -> None:
    """The rates' groups are pilot and comparison, values finite, weights known, and each group ≥ 2 families."""
    other = sorted(set(rates["group"].astype(str)) - set(_GROUPS))
    if other:
        raise ChangeError(
            f"rates group {', '.join(map(repr, other))} is neither 'pilot' nor 'comparison'; fix the "
            "cohort's group column."
        )
    values = rates[["before", "after", "change"]].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ChangeError("the rates have blank or infinite values; make them with family_rates().")
    if weights is not None:
        if not isinstance(weights, pd.Series):
            raise ChangeError("weights must be a Series indexed by family id (MatchResult.matched['weight']).")
        strangers = sorted(set(weights.index.astype(str)) - set(rates["family_id"].astype(str)))
        if strangers:
            raise ChangeError(
                f"weights name {len(strangers)} families not in the rates (e.g. {strangers[0]!r}); make "
                "the rates from the same cohort as the matching."
            )
        if not (np.isfinite(weights.to_numpy(dtype=float)) & (weights.to_numpy(dtype=float) >= 0)).all():
            raise ChangeError("weights must be 0 or more and finite (MatchResult.matched['weight']).")
    kept = rates if weights is None else rates[rates["family_id"].astype(str).map(_weights(weights)).fillna(0) > 0]
    for group in _GROUPS:
        count = int((kept["group"] == group).sum())
        if count < 2:
            raise ChangeError(
                f"the {group} group has {count} famil{'y' if count == 1 else 'ies'} (with a positive "
                "weight); a difference in differences needs at least 2 in each group."
            )


def _weights(weights: pd.Series) -> pd.Series:
    return pd.Series(weights.to_numpy(dtype=float), index=weights.index.astype(str))


def _months(values: pd.Series) -> np.ndarray:
    """Months since year 0 of a column of monthly periods, dates or 'YYYY-MM' strings."""
    periods = values if isinstance(values.dtype, pd.PeriodDtype) else pd.to_datetime(values).dt.to_period("M")
    return (periods.dt.year * 12 + periods.dt.month - 1).to_numpy(dtype=int)


def family_rates(
    outcomes: pd.DataFrame,
    cohort: pd.DataFrame,
    *,
    measures: Sequence[str],
    before_months: int = 12,
    after_months: int = 12,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Each family's rate a month before and after its start: the sum of ``measures``, per family-month.

    Months count from the family's start month (month 0): before is months −``before_months``..−1, after is
    0..``after_months`` − 1. A family-month with no row counts 0 (the outcomes file leaves out months with no
    contacts); the windows must lie inside the months the outcomes cover, or the missing months would count as 0.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        Long: ``family_id``, ``period`` (monthly periods, dates or 'YYYY-MM'), ``measure``, ``value``.
    cohort : pandas.DataFrame
        One row a family: ``family_id``, ``group``, ``start_date``.
    measures : sequence of str
        The measures summed (e.g. ``["ae_attendances", "police_incidents"]`` for crisis contacts).
    before_months, after_months : int, default 12
        Lengths of the windows.
    weights : mapping of str to float, optional
        Each measure's value is multiplied by ``weights[measure]`` first (unit costs: £ a family-month).

    Returns
    -------
    pandas.DataFrame
        One row a cohort family: ``family_id``, ``group``, ``before``, ``after``, ``change`` (after − before).

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall (the rates are
    the family-level units :func:`difference_in_differences` resamples).

    Examples
    --------
    >>> cohort = pd.DataFrame({"family_id": ["F1"], "group": ["pilot"], "start_date": pd.to_datetime(["2011-04-01"])})
    >>> outcomes = pd.DataFrame({"family_id": ["F1", "F1", "F1"], "period": ["2011-02", "2011-03", "2011-04"],
    ...                          "measure": ["ae_attendances", "police_incidents", "ae_attendances"],
    ...                          "value": [2.0, 1.0, 1.0]})
    >>> family_rates(outcomes, cohort, measures=["ae_attendances", "police_incidents"], before_months=2,
    ...              after_months=1)
      family_id  group  before  after  change
    0        F1  pilot     1.5    1.0    -0.5
    """
    _check(
        outcomes,
        ("family_id", "period", "measure", "value"),
        "outcomes",
        measures=measures,
        cohort=cohort,
        unit_costs=weights,
        months={"before_months": before_months, "after_months": after_months},
    )
    rows = outcomes[outcomes["measure"].isin(list(measures))]
    value = rows["value"].to_numpy(dtype=float)
    start = pd.Series(_months(pd.to_datetime(cohort["start_date"])), index=cohort["family_id"].astype(str))
    month = _months(rows["period"])
    relative = month - rows["family_id"].astype(str).map(start).to_numpy(dtype=float)
    if weights is not None:
        value = value * rows["measure"].map(dict(weights)).to_numpy(dtype=float)
    phase = np.where(
        (relative >= -before_months) & (relative < 0),
        "before",
        np.where((relative >= 0) & (relative < after_months), "after", ""),
    )
    sums = (
        pd.DataFrame({"family_id": rows["family_id"].astype(str).to_numpy(), "phase": phase, "value": value})
        .query("phase != ''")
        .pivot_table(index="family_id", columns="phase", values="value", aggfunc="sum")
    )
    sums = sums.reindex(index=start.index, columns=["before", "after"]).fillna(0.0)
    result = pd.DataFrame({"family_id": start.index, "group": cohort["group"].astype(str).to_numpy()})
    result["before"] = sums["before"].to_numpy() / before_months
    result["after"] = sums["after"].to_numpy() / after_months
    result["change"] = result["after"] - result["before"]
    return result


def _arrays(rates: pd.DataFrame, weights: pd.Series | None, group: str) -> tuple[np.ndarray, ...]:
    """Before, after, change and weight of one group's families with a positive weight."""
    rows = rates[rates["group"] == group]
    w = (
        np.ones(len(rows))
        if weights is None
        else rows["family_id"].astype(str).map(_weights(weights)).fillna(0.0).to_numpy(dtype=float)
    )
    keep = w > 0
    return tuple(rows[c].to_numpy(dtype=float)[keep] for c in ("before", "after", "change")) + (w[keep],)


def difference_in_differences(
    rates: pd.DataFrame,
    *,
    weights: pd.Series | None = None,
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    measure: str = "crisis contacts",
    counts_shown: tuple[str, str] | None = None,
) -> DiDResult:
    """The pilot's effect: the pilot families' change less the comparison families' change, with its interval.

    With matching ``weights`` the comparison mean is weighted (families without a weight are left out). The
    interval is a bootstrap over families, pilot and comparison families resampled separately (the weights held
    fixed), by SciPy's ``bootstrap``: bias-corrected and accelerated (BCa) when it can be computed, else the
    percentile interval (e.g. when every change is the same). The same seed gives the same interval.

    Parameters
    ----------
    rates : pandas.DataFrame
        From :func:`family_rates`.
    weights : pandas.Series, optional
        Matching weight per family id (``MatchResult.matched["weight"]``).
    n_resamples : int, default 2000
        Bootstrap resamples.
    level : float, default 0.95
        Confidence level.
    seed : int, default 0
        Seed of the resampling.
    measure : str, default "crisis contacts"
        What the rates count, for the method note.
    counts_shown : (str, str), optional
        The pilot and comparison family counts as the method note gives them (the pipeline passes them as its
        disclosure policy publishes them); default the exact counts.

    Returns
    -------
    DiDResult

    Raises
    ------
    ChangeError
        A column missing, a group with fewer than 2 families, weights for families not in the rates.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall, ch. 14 (BCa).

    Examples
    --------
    >>> rates = pd.DataFrame({"family_id": ["P1", "P2", "P3", "C1", "C2", "C3"], "group": ["pilot"] * 3 +
    ...                       ["comparison"] * 3, "before": [1.0, 1.2, 0.8, 1.0, 0.9, 1.1],
    ...                       "after": [0.6, 0.9, 0.5, 1.0, 1.0, 1.0]})
    >>> rates["change"] = rates["after"] - rates["before"]
    >>> result = difference_in_differences(rates, n_resamples=999)
    >>> round(result.estimate, 3), result.n_pilot, result.n_comparison
    (-0.333, 3, 3)
    """
    _check(rates, _RATES, "rates", weights=weights, n_resamples=n_resamples, fraction={"level": level})
    before_p, after_p, change_p, w_p = _arrays(rates, weights, "pilot")
    before_c, after_c, change_c, w_c = _arrays(rates, weights, "comparison")

    def did(i_p: np.ndarray, i_c: np.ndarray, axis: int = -1) -> np.ndarray:
        i_p, i_c = np.asarray(i_p, dtype=int), np.asarray(i_c, dtype=int)
        pilot = np.average(change_p[i_p], axis=axis, weights=w_p[i_p])
        return pilot - np.average(change_c[i_c], axis=axis, weights=w_c[i_c])

    data = (np.arange(len(change_p)), np.arange(len(change_c)))
    common = {"vectorized": True, "confidence_level": level, "axis": -1}
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):  # BCa fails on degenerate data
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            data, did, n_resamples=n_resamples, method="BCa", rng=np.random.default_rng(seed), **common
        )
        how = "BCa"
        interval = result.confidence_interval
        if not np.isfinite([interval.low, interval.high]).all():
            result = stats.bootstrap(data, did, n_resamples=0, method="percentile", bootstrap_result=result, **common)
            how, interval = "percentile", result.confidence_interval
    weighted = " matching-weighted" if weights is not None else ""
    shown = counts_shown or (str(len(change_p)), str(len(change_c)))
    return DiDResult(
        measure=measure,
        estimate=float(did(*data)),
        lower=float(interval.low),
        upper=float(interval.high),
        level=float(level),
        se=float(result.standard_error),
        pilot_before=float(np.average(before_p, weights=w_p)),
        pilot_after=float(np.average(after_p, weights=w_p)),
        comparison_before=float(np.average(before_c, weights=w_c)),
        comparison_after=float(np.average(after_c, weights=w_c)),
        n_pilot=len(change_p),
        n_comparison=len(change_c),
        distribution=np.asarray(result.bootstrap_distribution, dtype=float),
        method=(
            f"Difference in differences of {measure} a family-month ({shown[0]} pilot and {shown[1]}"
            f"{weighted} comparison families); {level:.0%} {how} bootstrap interval from {n_resamples:,} "
            f"resamples of families, each group resampled separately (Efron & Tibshirani 1993), seed {seed}."
        ),
    )


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"


def minimum_detectable_effect(
    rates: pd.DataFrame,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    weights: pd.Series | None = None,
    measure: str = "crisis contacts",
    counts_shown: tuple[str, str] | None = None,
) -> DetectableEffect:
    """The smallest true effect this evaluation would detect: Bloom's (1995) minimum detectable effect.

    MDE = (t(1 − alpha/2, df) + t(power, df)) × sqrt(s_p²/n_p + s_c²/n_c), where s² are the variances of the
    families' change scores and df = n_p + n_c − 2 (Student's t from SciPy). With matching ``weights`` the
    variances are weighted and n is Kish's effective number of families, (Σw)²/Σw² (the family count when the
    weights in a group are equal).

    Parameters
    ----------
    rates : pandas.DataFrame
        From :func:`family_rates`.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting an effect of the MDE's size.
    weights : pandas.Series, optional
        Matching weight per family id (``MatchResult.matched["weight"]``).
    measure : str, default "crisis contacts"
        What the rates count, for the statement.
    counts_shown : (str, str), optional
        The pilot and comparison family counts as the statement gives them (the pipeline passes them as its
        disclosure policy publishes them); default the exact counts.

    Returns
    -------
    DetectableEffect

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power of experimental
    designs. *Evaluation Review* 19(5), 547–556.

    Examples
    --------
    >>> rates = pd.DataFrame({"family_id": ["P1", "P2", "P3", "C1", "C2", "C3"], "group": ["pilot"] * 3 +
    ...                       ["comparison"] * 3, "before": [1.0] * 6, "after": [0.5, 1.0, 1.5, 0.0, 1.0, 2.0]})
    >>> rates["change"] = rates["after"] - rates["before"]
    >>> effect = minimum_detectable_effect(rates)
    >>> round(effect.multiplier, 3), round(effect.mde, 3)  # (2.776 + 0.941) × sqrt(0.25/3 + 1/3)
    (3.717, 2.4)
    """
    _check(rates, _RATES, "rates", weights=weights, fraction={"alpha": alpha, "power": power})
    variance_over_n, counts = 0.0, []
    for group in _GROUPS:
        _, _, change, w = _arrays(rates, weights, group)
        variance = float(np.cov(change, aweights=w)) if np.ptp(w) else float(np.var(change, ddof=1))
        variance_over_n += variance / (w.sum() ** 2 / (w**2).sum())
        counts.append(len(change))
    df = counts[0] + counts[1] - 2
    multiplier = float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df))
    mde = multiplier * float(np.sqrt(variance_over_n))
    before_p, _, _, w_p = _arrays(rates, weights, "pilot")
    baseline = float(np.average(before_p, weights=w_p))
    share = mde / baseline if baseline else float("nan")
    of_baseline = f" ({share:.0%} of the {_number(baseline)} before)" if baseline else ""
    tenths = round(power * 10, 9)
    shown = counts_shown or (str(counts[0]), str(counts[1]))
    often = f"{int(tenths)} times in 10" if tenths == int(tenths) else f"{power:.0%} of the time"
    statement = (
        f"With {shown[0]} pilot and {shown[1]} comparison families, a fall of {_number(mde)} {measure} a "
        f"family-month{of_baseline} is the smallest this evaluation would detect {often}; smaller effects "
        "may be real but would not be told apart from chance."
    )
    return DetectableEffect(
        mde=mde,
        share_of_baseline=share,
        n_pilot=counts[0],
        n_comparison=counts[1],
        alpha=float(alpha),
        power=float(power),
        multiplier=multiplier,
        statement=statement,
    )
