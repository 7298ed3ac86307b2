"""The one-call analyses of an area layer (circles.stats.area_statistics) that the stages and notebooks share."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from circles.ingest.disclosure import DisclosurePolicy
from circles.stats import HotspotResult, area_hotspots, deprivation_profiles, study_area_rates

CELLS = [(x, y) for y in range(5) for x in range(5)]
PLANTED = {(x, y) for x in (1, 2, 3) for y in (1, 2, 3)}


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    """A 5 x 5 grid of 1 km squares, codes ``Cxy``."""
    return gpd.GeoDataFrame(
        {"area_code": [f"C{x}{y}" for x, y in CELLS]},
        geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in CELLS],
        crs=27700,
    )


@pytest.fixture(scope="module")
def people(grid) -> pd.Series:
    """Counts with a high 3 x 3 block planted in the middle, ordinary (5-7) elsewhere."""
    values = [40 if cell in PLANTED else 5 + (cell[0] + 2 * cell[1]) % 3 for cell in CELLS]
    return pd.Series(values, index=grid["area_code"].to_numpy(), name="people")


@pytest.fixture(scope="module")
def counted(grid, people) -> HotspotResult:
    return area_hotspots(grid, people, permutations=999, seed=7)


def test_the_planted_centre_is_a_hot_spot_and_a_far_corner_is_not(counted):
    assert counted.tested == "count of people"
    assert counted.value == "count" and counted.summary()["value"] == "count"  # maps and packs must say so
    assert counted.gi.loc["C22", "gi_bin"] >= 2  # 95% confidence or more, after FDR
    assert counted.gi.loc["C22", "gi_label"].startswith("Hot spot")
    assert counted.gi.loc["C44", "gi_bin"] <= 0
    assert counted.gi.loc["C00", "gi_bin"] <= 0
    assert counted.correction == "fdr"
    assert counted.islands == ()


def test_summary_counts_match_the_tables(counted):
    summary = counted.summary()
    bins = counted.gi["gi_bin"]
    assert summary["hot_spots"] == {str(b): int((bins == b).sum()) for b in (3, 2, 1)}
    assert summary["cold_spots"] == {str(b): int((bins == b).sum()) for b in (-3, -2, -1)}
    assert sum(summary["hot_spots"].values()) >= 1
    assert summary["lisa"] == counted.lisa["lisa_category"].value_counts().to_dict()
    assert sum(summary["lisa"].values()) == 25
    assert (summary["weights"], summary["permutations"], summary["seed"]) == ("queen", 999, 7)
    assert summary["islands"] == []


def test_classes_are_the_publishable_columns_by_area(counted):
    classes = counted.classes
    assert list(classes.columns) == ["gi_bin", "gi_label", "lisa_category"]
    assert classes.index.name == "area_code" and len(classes) == 25
    assert classes.loc["C22", "gi_bin"] == counted.gi.loc["C22", "gi_bin"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        counted.tested = "something else"


def test_with_a_population_the_empirical_bayes_rate_is_tested(grid, people):
    population = pd.Series(1000, index=people.index)
    rated = area_hotspots(grid, people, population=population, permutations=999, seed=7)
    assert rated.tested == "Empirical Bayes rate of people per resident"
    assert rated.value == "rate" and rated.summary()["value"] == "rate"
    assert rated.gi.loc["C22", "gi_bin"] >= 2
    assert rated.gi.loc["C44", "gi_bin"] <= 0
    assert rated.summary()["tested"] == rated.tested


def test_deprivation_profiles_protect_counts_and_take_shares_from_them():
    counts = pd.DataFrame({"area_code": ["a", "b", "c", "d"], "people": [12, 33, 3, 52]})
    imd = pd.DataFrame({"area_code": ["a", "b", "c", "d"], "imd_decile": [1, 2, 2, 9]})
    imd["imd_quintile"] = (imd["imd_decile"] + 1) // 2
    population = pd.Series([1000, 2000, 500, 4000], index=["a", "b", "c", "d"])
    policy = DisclosurePolicy("test", suppress_below=1, round_to=5)
    result = deprivation_profiles(counts, imd, count="people", policy=policy, population=population)
    decile = result.profiles["decile"]
    # decile 1: 12 -> 10; decile 2: 36 -> 35; decile 9: 52 -> 50 (published, rounded to 5)
    assert decile.loc[decile["imd_decile"].isin([1, 2, 9]), "people"].tolist() == [10, 35, 50]
    assert result.shares == {"most_deprived_10pct": round(10 / 95, 4), "most_deprived_20pct": round(45 / 95, 4)}
    assert decile.loc[0, "rate"] == pytest.approx(10.0)
    # each band is protected on its own exact count: quintile 1 holds 12 + 33 + 3 = 48 -> 50
    assert result.profiles["quintile"]["people"].tolist() == [50, 0, 0, 0, 50]
    assert result.summary("lsoa")["share_of_cases"] == result.shares
    assert result.summary("lsoa")["layer"] == "lsoa"


def test_study_area_rates_benchmark_on_the_exact_total():
    table = pd.DataFrame({"area_code": ["a", "b"], "people": [10, 30]})
    result = study_area_rates(table, pd.Series([1000, 1000], index=["a", "b"]), count="people", total=41)
    assert result.study_area_rate == pytest.approx(20.5)
    assert result.summary()["population"] == 2000
    assert result.summary()["study_area_rate"] == 20.5
    assert result.summary()["higher"] + result.summary()["lower"] == int(
        result.table["comparison"].isin(["higher", "lower"]).sum()
    )
