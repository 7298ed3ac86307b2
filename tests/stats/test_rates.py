from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from esda.smoothing import Empirical_Bayes
from shapely.geometry import box

from circles.errors import CirclesError, DisclosureError, RateError
from circles.geo.populations import read_population
from circles.ingest.disclosure import POLICIES, protect_table
from circles.stats.rates import (
    COMPARISON_COLOURS,
    COMPARISONS,
    area_rates,
    byar_interval,
    compare_to_benchmark,
    crude_rate,
    empirical_bayes,
    exact_poisson_interval,
    poisson_interval,
    proportion,
    wilson_interval,
)

# ------------------------------------------------------------------------------------------ Poisson intervals


def test_byar_textbook_values():
    # O = 10 at 95%: Byar 4.79-18.39; the exact (Garwood) interval is 4.80-18.39.
    lower, upper = byar_interval(10)
    assert lower[0] == pytest.approx(4.7874, abs=1e-4)
    assert upper[0] == pytest.approx(18.3915, abs=1e-4)
    e_lower, e_upper = exact_poisson_interval(10)
    assert round(e_lower[0], 2) == 4.80 and round(e_upper[0], 2) == 18.39
    assert round(upper[0], 2) == 18.39


def test_byar_hand_computed_and_99_8():
    # O = 25, z = 1.959964: 25 * (1 - 1/225 - z/15)^3 and 26 * (1 - 1/234 + z/(3*sqrt 26))^3
    lower, upper = byar_interval([25])
    assert lower[0] == pytest.approx(16.1743, abs=1e-4)
    assert upper[0] == pytest.approx(36.9065, abs=1e-4)
    lower, upper = byar_interval([25], confidence=0.998)  # z = 3.090232
    z = 3.090232306
    assert lower[0] == pytest.approx(25 * (1 - 1 / 225 - z / 15) ** 3)
    assert upper[0] == pytest.approx(26 * (1 - 1 / 234 + z / (3 * np.sqrt(26))) ** 3)


def test_byar_zero_count():
    lower, upper = byar_interval([0])
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(3.668, abs=1e-3)


@pytest.mark.parametrize(("confidence", "start", "tolerance"), [(0.95, 10, 0.01), (0.998, 10, 0.02), (0.998, 13, 0.01)])
def test_byar_close_to_exact_from_ten(confidence, start, tolerance):
    # 95%: within 0.2% from O = 10. 99.8%: the lower limit is 1.5% off at O = 10 and within 1% from O = 13.
    counts = np.r_[np.arange(start, 200), [250, 500, 1000, 5000, 100_000]]
    b_lower, b_upper = byar_interval(counts, confidence=confidence)
    e_lower, e_upper = exact_poisson_interval(counts, confidence=confidence)
    assert np.all(np.abs(b_lower / e_lower - 1) < tolerance)
    assert np.all(np.abs(b_upper / e_upper - 1) < tolerance)


def test_exact_interval_matches_chi_squared_tables():
    lower, upper = exact_poisson_interval([0, 1, 5])
    assert lower.round(4).tolist() == [0.0, 0.0253, 1.6235]
    assert upper.round(4).tolist() == [3.6889, 5.5716, 11.6683]


def test_intervals_are_vectorised_and_keep_missing():
    counts = pd.Series([10, pd.NA, 0], dtype="Int64")
    lower, upper = byar_interval(counts)
    assert lower.shape == (3,) and np.isnan(lower[1]) and np.isnan(upper[1])
    lower, upper = exact_poisson_interval([np.nan, 3])
    assert np.isnan(lower[0]) and not np.isnan(lower[1])


def test_poisson_interval_phe_rule():
    lower, upper = poisson_interval([9, 10])
    e_lower, e_upper = exact_poisson_interval([9])
    b_lower, b_upper = byar_interval([10])
    assert (lower[0], upper[0]) == (e_lower[0], e_upper[0])
    assert (lower[1], upper[1]) == (b_lower[0], b_upper[0])
    with pytest.raises(RateError, match="Did you mean 'exact'"):
        poisson_interval([1], method="exakt")  # type: ignore[arg-type]


def test_interval_input_errors():
    with pytest.raises(RateError, match="zero or more"):
        byar_interval([-1])
    with pytest.raises(RateError, match="must be numbers"):
        byar_interval(["ten"])
    for bad in [95, 0, 1, -0.5]:
        with pytest.raises(RateError, match="confidence"):
            byar_interval([10], confidence=bad)


# ------------------------------------------------------------------------------------------------ crude rates


def test_crude_rate_hand_computed_with_real_population(embedded_geo: Path):
    pop = read_population(embedded_geo / "population_lsoa11_mid2020_bwd.csv", code="lsoa11_code")
    counts = pd.Series({"E01012571": 25, "E01012572": 0})
    out = crude_rate(counts, pop.loc[counts.index], per=1000)
    # 25 / 1815 * 1000 = 13.7741; Byar limits 16.1743 and 36.9065 over 1815
    assert out.loc["E01012571", "rate"] == pytest.approx(13.7741, abs=1e-4)
    assert out.loc["E01012571", "rate_lower"] == pytest.approx(8.9115, abs=1e-4)
    assert out.loc["E01012571", "rate_upper"] == pytest.approx(20.3341, abs=1e-4)
    # 0 of 1510: exact upper 3.6889 / 1510 * 1000
    assert out.loc["E01012572", "rate"] == 0
    assert out.loc["E01012572", "rate_lower"] == 0
    assert out.loc["E01012572", "rate_upper"] == pytest.approx(2.4430, abs=1e-4)


def test_crude_rate_columns_and_na():
    published = pd.Series([20, pd.NA, 10, 5], dtype="Int64")
    population = pd.Series([4000, 1000, 0, np.nan])
    out = crude_rate(published, population, per=1000)
    assert out.columns.tolist() == ["rate", "rate_lower", "rate_upper"]
    assert (out.dtypes == "Float64").all()
    assert out["rate"].tolist()[0] == 5.0
    assert out.iloc[1:].isna().all().all()  # suppressed count, zero population, missing population


def test_crude_rate_per_100000_and_scalar_population():
    out = crude_rate([54], 129_500, per=100_000)
    assert out["rate"].iloc[0] == pytest.approx(41.699, abs=1e-3)
    out = crude_rate([10, 20], 1000)
    assert out["rate"].tolist() == [10.0, 20.0]


def test_crude_rate_aligns_series_by_index():
    counts = pd.Series({"a": 10, "b": 20})
    population = pd.Series({"b": 2000, "a": 1000})
    assert crude_rate(counts, population)["rate"].to_dict() == {"a": 10.0, "b": 10.0}
    with pytest.raises(RateError, match="different indexes"):
        crude_rate(counts, pd.Series({"a": 1000, "c": 2000}))
    with pytest.raises(RateError, match="same length"):
        crude_rate([1, 2, 3], [100, 200])
    with pytest.raises(RateError, match="per must be"):
        crude_rate([1], [100], per=0)
    with pytest.raises(RateError, match="population must be zero or more"):
        crude_rate([1], [-100])


def test_crude_rate_from_published_counts():
    exact = pd.DataFrame({"area": list("abc"), "n": [3, 12, 143]})
    published = protect_table(exact, ["n"], POLICIES["nhs"])
    out = crude_rate(published["n"], [1000, 1000, 1000])
    assert out["rate"].tolist() == [pd.NA, 10.0, 145.0]


# ------------------------------------------------------------------------------------------------ proportions


def test_wilson_textbook_values():
    lower, upper = wilson_interval([0, 5, 10], [10, 10, 10])
    assert lower.round(4).tolist() == [0.0, 0.2366, 0.7225]
    assert upper.round(4).tolist() == [0.2775, 0.7634, 1.0]


def test_wilson_na_and_errors():
    lower, upper = wilson_interval([0, pd.NA, 0], [0, 10, np.nan])
    assert np.isnan(lower).all() and np.isnan(upper).all()
    with pytest.raises(RateError, match="cannot exceed"):
        wilson_interval([11], [10])
    with pytest.raises(RateError, match="zero or more"):
        wilson_interval([-1], [10])


def test_proportion_frame():
    out = proportion(pd.Series([5, 0], index=["x", "y"]), pd.Series([10, 10], index=["x", "y"]), per=100)
    assert out.columns.tolist() == ["proportion", "proportion_lower", "proportion_upper"]
    assert out.loc["x"].round(2).tolist() == [50.0, 23.66, 76.34]
    assert out.loc["y"].round(2).tolist() == [0.0, 0.0, 27.75]
    assert proportion([pd.NA], [10]).isna().all().all()


# ------------------------------------------------------------------------------------------------ comparison


def test_compare_to_benchmark_cases():
    lower = pd.Series([6.0, 3.0, 1.0, 5.0, 2.0, np.nan], index=list("abcdef"))
    upper = pd.Series([9.0, 7.0, 4.0, 8.0, 5.0, 3.0], index=list("abcdef"))
    out = compare_to_benchmark(lower, upper, 5.0)
    assert out.to_dict() == {
        "a": "higher",
        "b": "similar",
        "c": "lower",
        "d": "similar",  # a limit equal to the benchmark includes it
        "e": "similar",
        "f": "not compared",
    }
    assert out.name == "comparison"
    assert compare_to_benchmark([1.0], [2.0], np.nan).tolist() == ["not compared"]
    assert compare_to_benchmark([1.0, 1.0], [2.0, 2.0], [0.5, 3.0]).tolist() == ["higher", "lower"]
    with pytest.raises(RateError, match="swapped"):
        compare_to_benchmark([3.0], [2.0], 1.0)


def test_comparison_colours_are_fingertips_blue_orange_blue():
    assert set(COMPARISON_COLOURS) == set(COMPARISONS)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in COMPARISON_COLOURS.values())
    # Fingertips' own blues, the strong one on "higher" (where a commissioner's eye must go first)
    assert COMPARISON_COLOURS["higher"] == "#5555E6"  # dark blue
    assert COMPARISON_COLOURS["lower"] == "#C2CCFF"  # light blue
    assert COMPARISON_COLOURS["similar"] == "#FFC000"


# ------------------------------------------------------------------------------------------ empirical Bayes


def test_empirical_bayes_shrinks_small_areas_more():
    # Two areas with the same crude rate (80 per 1,000), one small and one large.
    counts = [8, 480, 60, 60, 240]
    population = [100, 6000, 1000, 3000, 6000]
    crude = np.array(counts) / np.array(population)
    overall = sum(counts) / sum(population)
    eb = empirical_bayes(counts, population).to_numpy(dtype=float)
    shrink = np.abs(eb - overall) / np.abs(crude - overall)
    assert shrink[0] < shrink[1]  # the small area keeps less of its distance from the overall rate
    assert np.all(np.abs(eb - overall) <= np.abs(crude - overall) + 1e-12)
    assert eb == pytest.approx(Empirical_Bayes(np.array(counts), np.array(population)).r.ravel())


def test_empirical_bayes_negative_variance_gives_overall_rate():
    # Less variation than chance: esda alone gives a negative rate here; Marshall's rule gives the overall rate.
    counts, population = [10, 10, 11, 9], [1000, 1000, 1000, 1000]
    assert Empirical_Bayes(np.array(counts), np.array(population)).r.min() < 0
    eb = empirical_bayes(counts, population)
    assert eb.tolist() == pytest.approx([0.01] * 4)


def test_empirical_bayes_leaves_out_missing():
    counts = pd.Series([8, pd.NA, 60, 60, 240], dtype="Int64")
    population = [100, 500, 1000, 3000, 0]
    eb = empirical_bayes(counts, population)
    assert eb.name == "eb_rate"
    assert eb.isna().tolist() == [False, True, False, False, True]
    assert eb.dropna().tolist() == pytest.approx(empirical_bayes([8, 60, 60], [100, 1000, 3000]).tolist())


# ---------------------------------------------------------------------------------------------- area tables


def _area_table() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "area_code": ["A", "B", "C", "D"],
            "area_name": ["Aa", "Bb", "Cc", "Dd"],
            "records": [60, 15, 3, 200],
            "people": [40, 10, 3, 120],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs=27700,
    )


def test_area_rates_from_published_counts():
    published = protect_table(_area_table(), ["people"], POLICIES["nhs"])
    population = pd.Series({"D": 6000, "C": 500, "B": 2000, "A": 2000})
    out = area_rates(published, count="people", population=population, per=1000, policy=POLICIES["nhs"])
    assert isinstance(out, gpd.GeoDataFrame)
    assert {"rate", "rate_lower", "rate_upper", "comparison", "eb_rate"} <= set(out.columns)
    # published: 40, 10, <NA>, 120; overall = 170 / 10,000 people = 17 per 1,000 (C left out)
    assert out.attrs["benchmark_rate"] == pytest.approx(17.0)
    assert out.attrs["rate_per"] == 1000
    assert out["rate"].tolist() == [20.0, 5.0, pd.NA, 20.0]
    assert out["comparison"].tolist() == ["similar", "lower", "not compared", "similar"]
    assert out["eb_rate"].isna().tolist() == [False, False, True, False]
    expected_eb = empirical_bayes([40, 10, 120], [2000, 2000, 6000]) * 1000
    assert out["eb_rate"].dropna().tolist() == pytest.approx(expected_eb.tolist())
    assert "rate" not in published.columns  # the input is not changed


def test_area_rates_population_column_and_given_benchmark():
    table = pd.DataFrame({"area_code": ["A", "B", "C"], "people": [100, 50, 10], "pop": [1000, 1000, 1000]})
    out = area_rates(table, count="people", population="pop", per=100, benchmark=5.0)
    assert out.attrs["benchmark_rate"] == 5.0
    assert out["rate"].tolist() == [10.0, 5.0, 1.0]
    assert out["comparison"].tolist() == ["higher", "similar", "lower"]


def test_area_rates_errors():
    table = pd.DataFrame({"area_code": ["A", "B"], "people": [12, 10], "pop": [1000, 1000]})
    with pytest.raises(RateError, match="Did you mean 'people'"):
        area_rates(table, count="peple", population="pop")
    with pytest.raises(RateError, match="Did you mean 'pop'"):
        area_rates(table, count="people", population="popn")
    with pytest.raises(RateError, match=r"No population for 1 area\(s\) of the table, e.g. B"):
        area_rates(table, count="people", population=pd.Series({"A": 1000}))
    with pytest.raises(DisclosureError, match="published counts"):
        area_rates(table, count="people", population="pop", policy=POLICIES["nhs"])
    with pytest.raises(RateError, match="benchmark"):
        area_rates(table, count="people", population="pop", benchmark="england")  # type: ignore[arg-type]
    assert issubclass(RateError, CirclesError)


def test_area_rates_with_real_ward_populations(embedded_geo: Path):
    adults = read_population(
        embedded_geo / "population_ward2025_census2021_bwd.csv", code="ward_code", layout="nomis_ts007", age_band="18+"
    )
    rng = np.random.default_rng(7)
    exact = pd.DataFrame({"area_code": adults.index, "people": rng.poisson(adults.to_numpy() * 0.02)})
    published = protect_table(exact, ["people"], POLICIES["nhs"])
    out = area_rates(published, count="people", population=adults, per=1000, policy=POLICIES["nhs"])
    assert len(out) == 17
    assert published["people"].notna().all()
    assert out.attrs["benchmark_rate"] == pytest.approx(published["people"].sum() / 114_970 * 1000)
    assert set(out["comparison"]) <= {"higher", "similar", "lower"}
    assert (out["rate_lower"] <= out["rate"]).all() and (out["rate"] <= out["rate_upper"]).all()
