"""What commissioners see (circles.stats.hotspot_classes): a hot spot's own rate is high; neighbours alone never
make one. On planted grids, with the real rate comparison and the real Gi* and LISA tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from circles.stats import area_hotspots, compare_to_benchmark, crude_rate, hotspot_classes

SIZE = 7
CELLS = [(x, y) for y in range(SIZE) for x in range(SIZE)]
POPULATION = 4000


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_code": [f"C{x}{y}" for x, y in CELLS]},
        geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in CELLS],
        crs=27700,
    )


def classify(grid: gpd.GeoDataFrame, counts: list[int], permutations: int = 9999, seed: int = 3) -> pd.Series:
    """Counts per cell -> rates against the grid's own rate -> Gi* and LISA -> labels, by area code."""
    codes = grid["area_code"].to_numpy()
    count = pd.Series(counts, index=codes, name="people")
    population = pd.Series(POPULATION, index=codes)
    rates = crude_rate(count, population, per=1000)
    study = count.sum() / population.sum() * 1000
    comparison = compare_to_benchmark(rates["rate_lower"], rates["rate_upper"], study)
    spots = area_hotspots(grid, count, population=population, permutations=permutations, seed=seed)
    return hotspot_classes(comparison, spots.gi["gi_bin"].reindex(codes), spots.lisa["lisa_category"].reindex(codes))


def test_the_table_of_rules():
    comparison = pd.Series(["higher", "higher", "similar", "lower", "lower", "similar", "higher", "not compared"])
    gi_bin = pd.Series([2, 1, 3, 3, -3, -2, -2, 3])
    lisa = pd.Series(["Not significant", "High-High", "High-High", "Not significant"] + ["Not significant"] * 4)
    assert hotspot_classes(comparison, gi_bin, lisa).tolist() == [
        "Hot spot",  # own rate higher, Gi* hot at 95%
        "Hot spot",  # own rate higher, LISA High-High (Gi* only at 90%)
        "Next to a hot spot",  # in a high cluster, own rate only similar
        "Next to a hot spot",  # a LOW area in a high cluster: never hot
        "Cold spot",
        "Next to a cold spot",
        "Next to a cold spot",  # a HIGH area in a low cluster, as a low one in a high cluster
        "Not tested (no rate)",
    ]
    with pytest.raises(ValueError, match="one value per area"):
        hotspot_classes(comparison, gi_bin[:3], lisa)


def test_a_low_area_ringed_by_high_ones_is_never_a_hot_spot(grid):
    """The case of Little Harwood: Gi* sums an area with its neighbours, so the low centre of a high ring is hot by
    Gi*; its own rate is significantly lower, so it is next to a hot spot. The ring's own rates are high, but with
    the low centre and ordinary areas around each, no ring cell is in a significant cluster of its own."""
    ring = {(x, y) for x in (2, 3, 4) for y in (2, 3, 4)} - {(3, 3)}
    counts = [2 if cell == (3, 3) else 150 if cell in ring else 40 for cell in CELLS]
    labels = classify(grid, counts)
    assert labels["C33"] == "Next to a hot spot"
    assert {labels[f"C{x}{y}"] for x, y in ring} == {"High rate, on its own"}
    assert (labels == "Hot spot").sum() == 0


def test_planted_high_neighbourhoods_are_hot_spots_and_a_lone_high_area_is_not(grid):
    block = {(x, y) for x in (0, 1, 2) for y in (0, 1, 2)}
    counts = [150 if cell in block else 120 if cell == (5, 5) else 40 for cell in CELLS]
    labels = classify(grid, counts)
    block_labels = [labels[f"C{x}{y}"] for x, y in block]
    assert block_labels.count("Hot spot") >= 6  # two corner-side cells have too few high neighbours
    assert set(block_labels) <= {"Hot spot", "High rate, on its own"}
    assert labels["C55"] == "High rate, on its own"  # significantly high, but its neighbours are not
    assert (labels == "Hot spot").sum() == block_labels.count("Hot spot")


def test_without_spatial_pattern_few_areas_are_hot_spots(grid):
    """Rates that vary from area to area (gamma-Poisson) but are placed at random: whatever the draw, the share
    called hot stays near or below the nominal 5%, though many areas are individually higher or lower."""
    rng = np.random.default_rng(20261201)
    shares, individually = [], []
    for seed in range(8):
        counts = rng.poisson(rng.gamma(shape=20, scale=2, size=len(CELLS))).tolist()
        labels = classify(grid, counts, permutations=999, seed=seed)
        shares.append(float((labels == "Hot spot").mean()))
        individually.append(float(labels.isin(["Hot spot", "High rate, on its own"]).mean()))
    assert np.mean(shares) <= 0.05 and max(shares) <= 0.1
    assert np.mean(individually) > np.mean(shares)  # the test is not vacuous: high areas exist, unclustered
