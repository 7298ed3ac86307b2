"""Family rates, difference in differences with a bootstrap interval, and the minimum detectable effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from circles.change.effect import difference_in_differences, family_rates, minimum_detectable_effect
from circles.change.matching import propensity_match
from circles.errors import ChangeError

MEASURES = ["ae_attendances", "police_incidents"]
BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64"]


def panel(
    effect: float, *, seed: int = 7, pilots: int = 30, comparisons: int = 90, confounded: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded synthetic cohort and outcomes, months −12..+17, with ``effect`` a family-month planted in the pilot.

    Crisis contacts are Poisson with a family frailty, a common upward trend after the start and, when
    ``confounded``, pilot families drawn from the young age bands whose contacts rise faster whatever happens.
    """
    rng = np.random.default_rng(seed)
    n = pilots + comparisons
    is_pilot = np.arange(n) < pilots
    p_band = [0.5, 0.3, 0.1, 0.05, 0.05] if confounded else [0.2] * 5
    band = np.where(is_pilot, rng.choice(BANDS, size=n, p=p_band), rng.choice(BANDS, size=n))
    young = np.isin(band, ["18-24", "25-34"])
    starts = pd.Timestamp("2011-04-01") + pd.to_timedelta(rng.integers(0, 3, n) * 31, unit="D")
    cohort = pd.DataFrame(
        {
            "family_id": [f"P{i:03d}" if p else f"C{i:03d}" for i, p in enumerate(is_pilot)],
            "group": np.where(is_pilot, "pilot", "comparison"),
            "start_date": starts.normalize().to_period("M").to_timestamp(),
            "age_band": band,
        }
    )
    frailty = rng.gamma(4.0, 0.25, n)  # mean 1
    rows = []
    for month in range(-12, 18):
        after = month >= 0
        rate = 0.8 * frailty + 0.1 * after + (0.8 * after * young if confounded else 0.0)
        rate = np.maximum(rate + effect * after * is_pilot, 0.01)
        for measure, share in zip(MEASURES, (0.6, 0.4), strict=True):
            counts = rng.poisson(rate * share)
            period = (cohort["start_date"].dt.to_period("M") + month).astype(str)
            rows.append(
                pd.DataFrame(
                    {
                        "family_id": cohort["family_id"],
                        "period": period,
                        "measure": measure,
                        "value": counts.astype(float),
                    }
                )
            )
    outcomes = pd.concat(rows, ignore_index=True)
    outcomes["period"] = pd.PeriodIndex(outcomes["period"], freq="M")
    return cohort, outcomes[outcomes["value"] > 0].reset_index(drop=True)  # zero months left out, as in the files


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.DataFrame]:
    return panel(-0.3)


@pytest.fixture(scope="module")
def rates(planted) -> pd.DataFrame:
    cohort, outcomes = planted
    return family_rates(outcomes, cohort, measures=MEASURES)


# ------------------------------------------------------------------------------------------------ family rates


def test_family_rates_count_missing_months_as_zero_and_divide_by_the_window() -> None:
    cohort = pd.DataFrame(
        {"family_id": ["F1", "F2"], "group": ["pilot", "comparison"], "start_date": pd.to_datetime(["2011-04-01"] * 2)}
    )
    outcomes = pd.DataFrame(
        {
            "family_id": ["F1", "F1", "F1", "F1", "F1", "F1"],
            "period": pd.PeriodIndex(["2010-03", "2010-04", "2011-03", "2011-04", "2012-03", "2012-04"], freq="M"),
            "measure": [
                "ae_attendances",
                "ae_attendances",
                "police_incidents",
                "ae_attendances",
                "ae_attendances",
                "ae_attendances",
            ],
            "value": [5.0, 6.0, 3.0, 2.0, 4.0, 7.0],
        }
    )
    rates = family_rates(outcomes, cohort, measures=MEASURES)
    # before: 2010-04 (month −12) and 2011-03 (−1); 2010-03 is month −13. After: 2011-04 (0) and 2012-03 (11).
    assert rates.to_dict("records") == [
        {"family_id": "F1", "group": "pilot", "before": 9 / 12, "after": 6 / 12, "change": 6 / 12 - 9 / 12},
        {"family_id": "F2", "group": "comparison", "before": 0.0, "after": 0.0, "change": 0.0},
    ]
    costed = family_rates(outcomes, cohort, measures=MEASURES, weights={"ae_attendances": 100, "police_incidents": 10})
    assert costed.loc[0, "before"] == pytest.approx((600 + 30) / 12)
    only_ae = family_rates(outcomes, cohort, measures=["ae_attendances"], before_months=1, after_months=1)
    assert only_ae.loc[0, ["before", "after"]].tolist() == [0.0, 2.0]


def test_family_rates_of_the_panel_are_near_the_planted_rates(rates: pd.DataFrame) -> None:
    assert len(rates) == 120 and rates["family_id"].is_unique
    means = rates.groupby("group")[["before", "after"]].mean()
    assert means.loc["comparison", "before"] == pytest.approx(0.8, abs=0.12)
    assert means.loc["comparison", "after"] - means.loc["comparison", "before"] == pytest.approx(0.1, abs=0.1)


def test_family_rates_errors_name_the_problem(planted) -> None:
    cohort, outcomes = planted
    with pytest.raises(ChangeError, match="measure 'crisis' has no rows in the outcomes"):
        family_rates(outcomes, cohort, measures=["crisis"])
    with pytest.raises(ChangeError, match="shorten before_months or after_months"):
        family_rates(outcomes, cohort, measures=MEASURES, after_months=24)
    with pytest.raises(ChangeError, match="weights have no value for 'police_incidents'"):
        family_rates(outcomes, cohort, measures=MEASURES, weights={"ae_attendances": 150.0})
    with pytest.raises(ChangeError, match="the cohort have no 'start_date' column"):
        family_rates(outcomes, cohort.drop(columns="start_date"), measures=MEASURES)
    with pytest.raises(ChangeError, match="before_months must be a whole number of months"):
        family_rates(outcomes, cohort, measures=MEASURES, before_months=0)
    with pytest.raises(ChangeError, match="more than one row for a family, month and measure"):
        family_rates(pd.concat([outcomes, outcomes.head(1)]), cohort, measures=MEASURES)


# ---------------------------------------------------------------------------------------- difference in differences


def test_interval_contains_the_planted_effect_and_excludes_zero(rates: pd.DataFrame) -> None:
    result = difference_in_differences(rates, n_resamples=999, seed=1)
    assert result.lower < -0.3 < result.upper
    assert result.upper < 0
    assert result.estimate == pytest.approx(-0.3, abs=0.12)
    assert (result.n_pilot, result.n_comparison) == (30, 90)
    assert result.lower < result.estimate < result.upper
    assert len(result.distribution) == 999
    assert result.se == pytest.approx(np.std(result.distribution, ddof=1))
    assert "BCa bootstrap interval from 999 resamples" in result.method


def test_estimate_is_the_difference_of_the_changes(rates: pd.DataFrame) -> None:
    result = difference_in_differences(rates, n_resamples=99)
    means = rates.groupby("group")[["before", "after"]].mean()
    assert result.pilot_before == pytest.approx(means.loc["pilot", "before"])
    assert result.comparison_after == pytest.approx(means.loc["comparison", "after"])
    by_hand = (means.loc["pilot", "after"] - means.loc["pilot", "before"]) - (
        means.loc["comparison", "after"] - means.loc["comparison", "before"]
    )
    assert result.estimate == pytest.approx(by_hand)


def test_interval_spans_zero_when_there_is_no_effect() -> None:
    cohort, outcomes = panel(0.0)
    result = difference_in_differences(family_rates(outcomes, cohort, measures=MEASURES), n_resamples=999)
    assert result.lower < 0 < result.upper
    assert abs(result.estimate) < 0.1


def test_bootstrap_is_deterministic_for_a_seed(rates: pd.DataFrame) -> None:
    one = difference_in_differences(rates, n_resamples=199, seed=5)
    two = difference_in_differences(rates, n_resamples=199, seed=5)
    other = difference_in_differences(rates, n_resamples=199, seed=6)
    np.testing.assert_array_equal(one.distribution, two.distribution)
    assert (one.lower, one.upper) == (two.lower, two.upper)
    assert not np.array_equal(one.distribution, other.distribution)


def test_matching_weights_remove_a_bias_from_selection_on_a_diverging_trend() -> None:
    cohort, outcomes = panel(-0.3, seed=11, pilots=40, comparisons=300, confounded=True)
    rates = family_rates(outcomes, cohort, measures=MEASURES)
    naive = difference_in_differences(rates, n_resamples=199)
    match = propensity_match(cohort, covariates=["age_band"], ratio=3)
    weighted = difference_in_differences(rates, weights=match.matched["weight"], n_resamples=999)
    # young families' contacts rise faster whatever happens; the pilot is mostly young, so the naive comparison
    # misses the planted effect (its interval lies above −0.3) while the matched one finds it
    assert naive.lower > -0.3
    assert weighted.lower < -0.3 < weighted.upper and weighted.upper < 0
    assert weighted.n_pilot == 40 - len(match.unmatched)
    assert weighted.n_comparison == len(match.pairs)
    assert "matching-weighted" in weighted.method


def test_percentile_interval_when_bca_cannot_be_computed() -> None:
    rates = pd.DataFrame(
        {
            "family_id": ["P1", "P2", "C1", "C2", "C3"],
            "group": ["pilot", "pilot", "comparison", "comparison", "comparison"],
            "before": [1.0] * 5,
            "after": [0.5, 0.5, 1.0, 1.0, 1.0],
        }
    ).assign(change=lambda r: r["after"] - r["before"])
    result = difference_in_differences(rates, n_resamples=99)
    assert (result.estimate, result.lower, result.upper, result.se) == (-0.5, -0.5, -0.5, 0.0)
    assert "percentile bootstrap" in result.method


def test_difference_in_differences_errors(rates: pd.DataFrame) -> None:
    one_pilot = rates[(rates["group"] == "comparison") | (rates["family_id"] == "P000")]
    with pytest.raises(ChangeError, match="the pilot group has 1 family"):
        difference_in_differences(one_pilot, n_resamples=99)
    with pytest.raises(ChangeError, match="weights name 1 families not in the rates"):
        difference_in_differences(rates, weights=pd.Series({"P000": 1.0, "X999": 1.0}), n_resamples=99)
    with pytest.raises(ChangeError, match="the rates have no 'change' column"):
        difference_in_differences(rates.drop(columns="change"))
    with pytest.raises(ChangeError, match="level must be a number between 0 and 1"):
        difference_in_differences(rates, level=95)


# ------------------------------------------------------------------------------------------ minimum detectable effect


def test_minimum_detectable_effect_by_hand() -> None:
    rates = pd.DataFrame(
        {
            "family_id": ["P1", "P2", "P3", "C1", "C2", "C3", "C4"],
            "group": ["pilot"] * 3 + ["comparison"] * 4,
            "before": [0.5, 0.5, 0.8, 1.0, 1.0, 1.0, 1.0],
            "change": [-1.0, 0.0, 1.0, 0.0, 2.0, 4.0, 6.0],
        }
    ).assign(after=lambda r: r["before"] + r["change"])
    effect = minimum_detectable_effect(rates)
    # s_p² = 1, s_c² = 20/3; df = 5; t(0.975, 5) = 2.570582, t(0.8, 5) = 0.919544 (tables)
    assert effect.multiplier == pytest.approx(2.570582 + 0.919544, abs=1e-5)
    assert effect.mde == pytest.approx(3.490126 * np.sqrt(1 / 3 + (20 / 3) / 4), abs=1e-5)
    assert effect.share_of_baseline == pytest.approx(effect.mde / 0.6)
    assert (effect.n_pilot, effect.n_comparison, effect.alpha, effect.power) == (3, 4, 0.05, 0.8)
    assert effect.statement.startswith(
        f"With 3 pilot and 4 comparison families, a fall of {effect.mde:.2f} crisis contacts a family-month "
        f"({effect.share_of_baseline:.0%} of the 0.60 before) is the smallest this evaluation would detect "
        "8 times in 10; smaller effects may be real"
    )


def test_minimum_detectable_effect_of_the_panel_and_its_power(rates: pd.DataFrame) -> None:
    effect = minimum_detectable_effect(rates, power=0.9)
    df = 118
    sd = rates.groupby("group")["change"].var()
    expected = (stats.t.ppf(0.975, df) + stats.t.ppf(0.9, df)) * np.sqrt(sd["pilot"] / 30 + sd["comparison"] / 90)
    assert effect.mde == pytest.approx(expected)
    assert 0.1 < effect.mde < 0.3  # the planted −0.3 is detectable
    assert "9 times in 10" in effect.statement
    assert minimum_detectable_effect(rates, power=0.8).mde < effect.mde


def test_minimum_detectable_effect_with_equal_weights_is_unweighted(rates: pd.DataFrame) -> None:
    halves = pd.Series(0.5, index=rates["family_id"]).where(rates["group"].eq("comparison").to_numpy(), 1.0)
    assert minimum_detectable_effect(rates, weights=halves).mde == pytest.approx(minimum_detectable_effect(rates).mde)
    with pytest.raises(ChangeError, match="power must be a number between 0 and 1"):
        minimum_detectable_effect(rates, power=80)
