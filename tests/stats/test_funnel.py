"""Funnel plots: Spiegelhalter's exact Poisson limits, bands, the study-area target and coverage by simulation."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from circles.errors import RateError
from circles.stats.funnel import BAND_COLOURS, BANDS, FunnelResult, band_labels, funnel_limits, funnel_table


def interpolated_limit(p: float, theta: float) -> float:
    """Spiegelhalter (2005) appendix A.1.1, written out independently: walk the Poisson cdf term by term."""
    k, pmf = 0, math.exp(-theta)
    below, cdf = 0.0, pmf
    while cdf < p:
        k += 1
        pmf *= theta / k
        below, cdf = cdf, cdf + pmf
    alpha = (cdf - p) / (cdf - below)
    return max(k - alpha, 0.0)


# --------------------------------------------------------------------------------------------- funnel_limits


def test_limits_at_theta_10_match_an_independent_calculation():
    # 10 per 1,000 at 1,000 residents: theta = 10 expected events
    limits = funnel_limits(10, [1000]).iloc[0]
    for column, p in [("lower_95", 0.025), ("upper_95", 0.975), ("lower_99_8", 0.001), ("upper_99_8", 0.999)]:
        assert limits[column] == pytest.approx(interpolated_limit(p, 10.0) / 1000 * 1000, rel=1e-12)
    # the 97.5% quantile of Poisson(10) is 17 (P(Y<=16) = 0.9730 < 0.975 <= P(Y<=17) = 0.9857), interpolated back
    cdf16, cdf17 = stats.poisson.cdf([16, 17], 10)
    assert cdf16 < 0.975 <= cdf17
    assert limits["upper_95"] == pytest.approx(17 - (cdf17 - 0.975) / (cdf17 - cdf16), rel=1e-12)
    assert limits["upper_95"] == pytest.approx(16.1600, abs=1e-4)


def test_rate_scale_and_per():
    # the same theta at 100,000 residents and 10 per 100,000 gives the same limit counts
    per_1000 = funnel_limits(10, [1000]).iloc[0]
    per_100k = funnel_limits(10, [100_000], per=100_000).iloc[0]
    assert per_100k["upper_95"] == pytest.approx(per_1000["upper_95"], rel=1e-12)
    half = funnel_limits(10, [2000]).iloc[0]  # theta = 20
    assert half["upper_99_8"] == pytest.approx(interpolated_limit(0.999, 20.0) / 2000 * 1000, rel=1e-12)


def test_limits_narrow_as_population_grows():
    populations = 100 * 2.0 ** np.arange(14)  # 100 to 819,200: theta 1.2 to 9,830
    limits = funnel_limits(12, populations)
    for level in ("95", "99_8"):
        upper, lower = limits[f"upper_{level}"].to_numpy(), limits[f"lower_{level}"].to_numpy()
        assert (np.diff(upper) < 0).all()
        assert (np.diff(lower) >= 0).all() and (np.diff(lower[lower > 0]) > 0).all()
        assert ((lower <= 12) & (12 <= upper)).all()
    assert limits["upper_99_8"].iloc[-1] - limits["lower_99_8"].iloc[-1] < 1.0


def test_upper_limit_wobble_is_tiny():
    """The interpolated upper limit is not strictly monotone at small expected counts; the wobble is < 0.1%."""
    populations = np.geomspace(10, 200_000, 20_000)
    for column in ("upper_95", "upper_99_8", "lower_95", "lower_99_8"):
        rate = funnel_limits(12, populations)[column].to_numpy()
        rises = np.diff(rate) / np.where(rate[:-1] > 0, rate[:-1], 1)
        if column.startswith("upper"):
            assert rises.max() < 1e-3
        else:
            assert rises.min() >= 0


def test_limits_are_never_negative_and_clamp_at_small_theta():
    limits = funnel_limits(10, [1, 10, 50, 100, 300])
    assert (limits.drop(columns="population").to_numpy() >= 0).all()
    # theta = 0.5: P(Y = 0) = 0.61 > 0.025, so the interpolated lower limit is below 0 and clamped
    assert limits.loc[2, "lower_95"] == 0.0
    assert limits.loc[2, "lower_99_8"] == 0.0


def test_missing_and_zero_populations_give_missing_limits():
    limits = funnel_limits(10, [0, np.nan, 1000])
    assert limits.iloc[:2, 1:].isna().all().all()
    assert limits.iloc[2, 1:].notna().all()


def test_series_index_is_kept_and_levels_name_columns():
    limits = funnel_limits(5, pd.Series([1000, 2000], index=["E05001", "E05002"]), levels=(0.9, 0.99))
    assert list(limits.index) == ["E05001", "E05002"]
    assert list(limits.columns) == ["population", "lower_90", "upper_90", "lower_99", "upper_99"]
    assert band_labels((0.9, 0.99))[0] == "above 99%"


def test_target_zero_gives_zero_limits():
    limits = funnel_limits(0, [1000])
    assert (limits.drop(columns="population").to_numpy() == 0).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: funnel_limits(10, [1000, -5]), "negative"),
        (lambda: funnel_limits(-1, [1000]), "target rate"),
        (lambda: funnel_limits(10, [1000], per=0), "per must be"),
        (lambda: funnel_limits(10, [1000], levels=(0.998, 0.95)), "inner first"),
        (lambda: funnel_limits(10, ["many"]), "must be numbers"),
    ],
)
def test_limit_errors(call, message):
    with pytest.raises(RateError, match=message):
        call()


# ------------------------------------------------------------------ PHEindicatormethods published test values

# ukhsa-collaboration/PHEindicatormethods, tests/testthat/testdata_funnel_rate_outputs_2.csv (commit 39d5df1f),
# "rate (crude per 100,000)": Events, lower_2s_population_1_year, lower_2s_limit, upper_2s_population_1_year,
# upper_2s_limit, lower_3s_..., upper_3s_...; baseline 114.8591735. The populations are per year of 3 years of
# data (events / (3 * population) * 100,000 gives the limit), so the population at each point is 3x the column.
PHE_BASELINE = 114.8591735
PHE_YEARS = 3
PHE_ROWS = [
    (1, 1616.949526, 20.61494982, 7.347518827, 4536.678859, 2679.632184, 12.4395182, 0.290369211, 114796.3768),
    (10, 5337.07421, 62.45619233, 1391.671639, 239.5201023, 7003.931164, 47.59232002, 859.1738425, 387.9696015),
    (99, 34978.76935, 94.34294177, 23351.00812, 141.3215217, 38821.52432, 85.00439016, 20627.03806, 159.9841912),
    (1344, 411466.9163, 108.8787415, 369466.4508, 121.2559352, 424051.9679, 105.6474286, 357990.2328, 125.143079),
]


@pytest.mark.parametrize("row", PHE_ROWS, ids=lambda row: f"events-{row[0]}")
def test_reproduces_phe_indicator_methods_rate_funnel(row):
    """PHE's lower limits are the same; its upper limits are exactly one event higher (exact test vs interpolation).

    PHEindicatormethods finds, for a whole number of events x, the population at which x is exactly significant
    (an exact Poisson test). In the lower tail P(Y <= x) = p, where the interpolated quantile is x itself. In the
    upper tail P(Y >= x) = 1 - p, i.e. P(Y <= x - 1) = p, where the interpolated quantile is x - 1.
    """
    events, *points = row
    per = 100_000
    for (population, published), side, level in zip(
        zip(points[0::2], points[1::2], strict=True),
        ["lower", "upper", "lower", "upper"],
        ["95", "95", "99_8", "99_8"],
        strict=True,
    ):
        n = population * PHE_YEARS
        assert events / n * per == pytest.approx(published, rel=1e-8)  # the published point is x events at n
        ours = funnel_limits(PHE_BASELINE, [n], per=per)[f"{side}_{level}"].iloc[0] * n / per  # as a count
        # PHE's populations come from a bisection to 1e-7 on theta / (1 + events + theta) and are published to 10
        # significant figures: about 1e-7 relative, so allow 1e-6 relative (1e-4 events at small counts)
        assert ours == pytest.approx(events if side == "lower" else events - 1, rel=1e-6, abs=1e-4)


# ---------------------------------------------------------------------------------------------- funnel_table


def wards(n: int = 12, seed: int = 7) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    codes = [f"E0500{i:04d}" for i in range(n)]
    population = pd.Series(rng.integers(3000, 15000, n).astype(float), index=codes)
    counts = pd.Series(rng.poisson(population * 0.012).astype(float), index=codes)
    return counts, population


def test_target_is_sum_over_sum():
    counts, population = wards()
    result = funnel_table(counts, population)
    assert result.target == pytest.approx(counts.sum() / population.sum() * 1000, rel=1e-12)
    assert result.per == 1000
    assert result.levels == (0.95, 0.998)
    per_100k = funnel_table(counts, population, per=100_000)
    assert per_100k.target == pytest.approx(result.target * 100, rel=1e-12)


def test_target_leaves_out_areas_with_no_population_or_count():
    counts = pd.Series({"A": 10.0, "B": 20.0, "C": 50.0, "D": np.nan})
    population = pd.Series({"A": 1000.0, "B": 1000.0, "C": 0.0, "D": 500.0})
    result = funnel_table(counts, population)
    assert result.target == pytest.approx(15.0)
    assert list(result.table["band"].loc[["C", "D"]]) == ["no population", "no population"]
    assert result.table.loc[["C", "D"], ["rate", "lower_95", "upper_99_8"]].isna().all().all()


def test_table_columns_and_rates():
    counts, population = wards()
    table = funnel_table(counts, population).table
    assert list(table.columns) == [
        "name",
        "count",
        "population",
        "rate",
        "lower_95",
        "upper_95",
        "lower_99_8",
        "upper_99_8",
        "band",
    ]
    assert list(table.index) == list(counts.index)
    np.testing.assert_allclose(table["rate"], counts / population * 1000)
    expected = funnel_limits(counts.sum() / population.sum() * 1000, population)
    np.testing.assert_allclose(table["upper_99_8"], expected["upper_99_8"])
    assert set(table["band"]) <= set(BANDS)


def test_planted_outlier_is_above_99_8():
    counts, population = wards()
    counts.iloc[3] = population.iloc[3] * 0.030  # 2.5 times the rate of the others
    counts.iloc[5] = 2.0  # far below
    table = funnel_table(counts, population).table
    assert table["band"].iloc[3] == "above 99.8%"
    assert table["band"].iloc[5] == "below 99.8%"


def test_bands_between_the_limits():
    population = pd.Series([10_000.0] * 5, index=list("ABCDE"))
    limits = funnel_limits(10, [10_000]).iloc[0]
    between_up = (limits["upper_95"] + limits["upper_99_8"]) / 2 * 10  # a count between the upper limits
    between_down = (limits["lower_95"] + limits["lower_99_8"]) / 2 * 10
    counts = pd.Series([100.0, between_up, between_down, 200.0, 10.0], index=list("ABCDE"))
    table = funnel_table(counts, population, target=10).table
    assert list(table["band"]) == ["within 95%", "above 95%", "below 95%", "above 99.8%", "below 99.8%"]


def test_area_equal_to_target_is_within():
    counts = pd.Series({"A": 15.0, "B": 150.0, "C": 1.0})
    population = pd.Series({"A": 1000.0, "B": 10_000.0, "C": 66.0})
    table = funnel_table(counts, population, target=15).table
    assert table.loc["A", "rate"] == 15.0 and table.loc["B", "rate"] == 15.0
    assert list(table.loc[["A", "B"], "band"]) == ["within 95%", "within 95%"]


def test_area_exactly_on_a_limit_is_within():
    # theta = 0.5: both lower limits are clamped to 0, and a count of 0 sits exactly on them
    table = funnel_table(pd.Series({"A": 0.0}), pd.Series({"A": 50.0}), target=10).table
    assert table.loc["A", "lower_95"] == 0.0 == table.loc["A", "rate"]
    assert table.loc["A", "band"] == "within 95%"


def test_zero_population_is_no_population_not_an_error():
    counts = pd.Series({"A": 5.0, "B": 12.0, "C": 0.0})
    population = pd.Series({"A": 0.0, "B": 1000.0, "C": np.nan})
    table = funnel_table(counts, population).table
    assert list(table["band"]) == ["no population", "within 95%", "no population"]
    assert np.isnan(table.loc["A", "rate"])


def test_published_counts_with_suppressed_values():
    # published tables hold nullable integers, <NA> where a small count was suppressed
    counts = pd.Series([10, pd.NA, 12], index=list("abc"), dtype="Int64")
    population = pd.Series([1000, 1000, pd.NA], index=list("abc"), dtype="Int64")
    result = funnel_table(counts, population)
    assert list(result.table["band"]) == ["within 95%", "no population", "no population"]
    assert result.target == pytest.approx(10.0)


def test_negative_count_raises_rate_error_naming_the_area():
    counts, population = wards()
    counts.iloc[2] = -3
    with pytest.raises(RateError, match=re.escape(counts.index[2])) as error:
        funnel_table(counts, population)
    assert "0 or more" in str(error.value) and "Check the source table" in str(error.value)


def test_negative_population_raises_rate_error():
    with pytest.raises(RateError, match="Populations must be 0 or more"):
        funnel_table([1, 2], [100, -100])


def test_series_are_aligned_on_area_code():
    counts, population = wards()
    shuffled = population.sample(frac=1, random_state=1)
    aligned = funnel_table(counts, shuffled).table
    assert list(aligned.index) == list(counts.index)
    np.testing.assert_allclose(aligned["population"], population)


def test_mismatched_areas_raise():
    with pytest.raises(RateError, match="same areas"):
        funnel_table(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": 100.0, "C": 100.0}))
    with pytest.raises(RateError, match="one value per area"):
        funnel_table([1, 2, 3], [100, 100])


def test_arrays_codes_and_names():
    result = funnel_table([5, 50], [1000, 2000], codes=["E05001", "E05002"], names=["Audley", "Bastwell"])
    assert list(result.table.index) == ["E05001", "E05002"]
    assert list(result.table["name"]) == ["Audley", "Bastwell"]
    partial = funnel_table(pd.Series({"X": 1.0, "Y": 2.0}), pd.Series({"X": 10.0, "Y": 10.0}), names={"Y": "Why"})
    assert list(partial.table["name"]) == ["X", "Why"]


def test_no_population_anywhere_needs_a_target():
    with pytest.raises(RateError, match="give a target"):
        funnel_table([1, 2], [0, 0])
    result = funnel_table([1, 2], [0, 0], target=10)
    assert set(result.table["band"]) == {"no population"}
    assert result.curve.empty


def test_curve_spans_the_areas():
    counts, population = wards()
    result = funnel_table(counts, population)
    curve = result.curve
    assert len(curve) == 200
    assert curve["population"].iloc[0] == pytest.approx(0.5 * population.min())
    assert curve["population"].iloc[-1] == pytest.approx(1.1 * population.max())
    assert (np.diff(curve["population"]) > 0).all()
    assert list(curve.columns) == ["population", "lower_95", "upper_95", "lower_99_8", "upper_99_8"]


def test_result_is_frozen_and_counts_bands():
    counts, population = wards()
    result = funnel_table(counts, population)
    assert isinstance(result, FunnelResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.target = 3.0  # type: ignore[misc]
    by_band = result.counts_by_band()
    assert list(by_band) == list(BANDS)
    assert sum(by_band.values()) == len(counts)


def test_band_colours():
    assert list(BAND_COLOURS) == list(BANDS)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", colour) for colour in BAND_COLOURS.values())
    assert BAND_COLOURS["within 95%"] == "#FFC000"  # Fingertips amber ("similar")


# ------------------------------------------------------------------------------------------------ simulation


def test_coverage_by_simulation():
    """With counts drawn from Poisson(target x n), about 5% of areas fall outside 95% and 0.2% outside 99.8%."""
    rng = np.random.default_rng(20050401)
    n_areas, target = 2000, 12.0
    population = pd.Series(rng.integers(1500, 20_000, n_areas).astype(float))
    counts = pd.Series(rng.poisson(population * target / 1000).astype(float))
    bands = funnel_table(counts, population, target=target).table["band"]
    outside_95 = (bands != "within 95%").mean()
    outside_998 = bands.isin(["above 99.8%", "below 99.8%"]).mean()
    assert 0.035 <= outside_95 <= 0.065, outside_95
    assert outside_998 <= 0.005, outside_998
    # both tails are used
    assert (bands.str.startswith("above")).sum() > 10 and (bands.str.startswith("below")).sum() > 10
