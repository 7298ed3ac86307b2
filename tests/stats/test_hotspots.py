"""Hot spots: weights and islands, agreement with esda, bins and FDR, the planted demo signal, calibration."""

from __future__ import annotations

import copy
import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from esda.significance import calculate_significance
from scipy.spatial import distance_matrix
from scipy.stats import false_discovery_control
from shapely.geometry import box

import circles.stats.hotspots as hotspots
from circles.demo.synthetic import DEFAULT_SEED, PLANTED_CORES, PLANTED_HOTSPOTS, generate_demo_data
from circles.errors import GeographyError
from circles.geo.areas import assign_areas
from circles.geo.geocoding import geocode
from circles.geo.layers import embedded_layer, read_postcode_directory
from circles.stats.aggregate import count_by_area
from circles.stats.hotspots import (
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    GI_LABEL_COLOURS,
    ISLAND_LABEL,
    LISA_COLOURS,
    HotspotError,
    NoVariationError,
    getis_ord,
    gi_bins,
    hotspot_table,
    local_moran,
    significance_thresholds,
    spatial_weights,
)

PLANTED = list(PLANTED_HOTSPOTS)


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lsoa():
    return embedded_layer("lsoa11", layer_name="lsoa")


@pytest.fixture(scope="module")
def queen(lsoa):
    return spatial_weights(lsoa.areas)


@pytest.fixture(scope="module")
def demo_counts(tmp_path_factory, lsoa):
    """Per-LSOA counts of the demo data for a seed, rebuilt in memory as the pipeline makes them."""
    cache: dict[int, gpd.GeoDataFrame] = {}
    directory = read_postcode_directory()

    def make(seed: int) -> gpd.GeoDataFrame:
        if seed not in cache:
            demo = generate_demo_data(tmp_path_factory.mktemp(f"demo{seed}"), seed)
            frames = []
            for path in demo.take_up_files:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
                frame.insert(0, "source_row", [f"{path.name}:{i + 2}" for i in range(len(frame))])
                frame.insert(0, "source_file", path.name)
                frames.append(frame)
            located = geocode(pd.concat(frames, ignore_index=True), directory)
            assert located.outcomes["matched"] == sum(located.outcomes.values())
            placement = assign_areas(located.records, lsoa)
            assert placement.counts["unplaced"] == 0
            cache[seed] = count_by_area(placement.placed, lsoa)
        return cache[seed]

    return make


@pytest.fixture(scope="module")
def people(demo_counts) -> pd.Series:
    """Distinct people per LSOA in the default demo, indexed by area code."""
    return demo_counts(DEFAULT_SEED).set_index("area_code")["people"]


def squares(codes_and_cells: dict[str, tuple[int, int]], size: float = 100.0) -> gpd.GeoDataFrame:
    """Square areas of ``size`` metres at grid cells, in EPSG:27700."""
    return gpd.GeoDataFrame(
        {"area_code": list(codes_and_cells)},
        geometry=[box(x * size, y * size, (x + 1) * size, (y + 1) * size) for x, y in codes_and_cells.values()],
        crs=27700,
    )


@pytest.fixture
def with_island() -> gpd.GeoDataFrame:
    """A 3 × 3 block of squares and one square far from it ("Z")."""
    cells = {f"A{x}{y}": (x, y) for y in range(3) for x in range(3)} | {"Z": (20, 20)}
    return squares(cells)


def esda_gi(values: np.ndarray, weights, permutations: int, seed: int = 12345, star: bool = True):
    """A direct esda call, as a user would make it, on a private copy of the weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(
            values, copy.deepcopy(weights.w), star=star, transform="B", permutations=permutations, seed=seed, n_jobs=1
        )


def two_sided(observed, simulated) -> np.ndarray:
    greater = calculate_significance(observed, simulated, alternative="greater")
    lesser = calculate_significance(observed, simulated, alternative="lesser")
    return np.minimum(1, 2 * np.minimum(greater, lesser))


# --- weights ------------------------------------------------------------------------------------------------


def test_queen_on_the_embedded_lsoas_has_no_islands(queen, lsoa):
    assert len(queen) == 91
    assert queen.ids == tuple(lsoa.areas["area_code"])
    assert queen.islands == ()
    assert queen.w.transform == "B"
    assert queen.w.asymmetry() == []
    assert min(queen.w.cardinalities.values()) >= 1
    assert set(queen.w.weights[queen.ids[0]]) == {1.0}


def test_a_detached_square_is_reported_as_an_island(with_island):
    reported = spatial_weights(with_island)
    assert reported.islands == ("Z",)
    assert reported.w.neighbors["Z"] == []
    assert not reported.islands_attached
    assert sorted(reported.w.neighbors["A11"]) == sorted(c for c in reported.ids if c.startswith("A") and c != "A11")

    attached = spatial_weights(with_island, islands="nearest")
    assert attached.islands == ("Z",)  # still listed
    assert attached.islands_attached
    assert attached.w.islands == []
    assert attached.w.neighbors["Z"] == ["A22"]  # the corner square nearest to it
    assert "Z" in attached.w.neighbors["A22"]  # joined both ways
    assert attached.w.asymmetry() == []


def test_knn_gives_each_area_its_k_nearest_centroids(lsoa):
    knn = spatial_weights(lsoa.areas, method="knn", k=5)
    assert knn.k == 5 and knn.islands == ()
    assert set(knn.w.cardinalities.values()) == {5}
    centroids = lsoa.areas.geometry.centroid
    d = distance_matrix(np.c_[centroids.x, centroids.y], np.c_[centroids.x, centroids.y])
    np.fill_diagonal(d, np.inf)
    codes = lsoa.areas["area_code"].to_numpy()
    for i, code in enumerate(codes):
        assert set(knn.w.neighbors[code]) == set(codes[np.argsort(d[i])[:5]])


def test_distance_band_reports_the_areas_left_without_neighbours(lsoa):
    centroids = lsoa.areas.geometry.centroid
    d = distance_matrix(np.c_[centroids.x, centroids.y], np.c_[centroids.x, centroids.y])
    np.fill_diagonal(d, np.inf)
    nearest = pd.Series(d.min(axis=1), index=lsoa.areas["area_code"])

    band = spatial_weights(lsoa.areas, method="distance", threshold=600.0)
    expected = tuple(nearest.index[nearest > 600.0])
    assert 0 < len(expected) < 91
    assert band.islands == expected
    assert band.threshold == 600.0

    tiny = spatial_weights(lsoa.areas, method="distance", threshold=10.0)
    assert len(tiny.islands) == 91
    with pytest.raises(HotspotError, match="Every area is an island"):
        getis_ord(np.arange(91.0), tiny)

    default = spatial_weights(lsoa.areas, method="distance")
    assert default.islands == ()
    assert default.threshold == pytest.approx(nearest.max())  # the smallest band giving everyone a neighbour

    attached = spatial_weights(lsoa.areas, method="distance", threshold=600.0, islands="nearest")
    assert attached.islands == expected and attached.w.islands == []


def test_distances_are_metres_whatever_the_crs_of_the_areas(lsoa):
    in_metres = spatial_weights(lsoa.areas, method="distance", threshold=600.0)
    in_degrees = spatial_weights(lsoa.areas.to_crs(4326), method="distance", threshold=600.0)
    assert in_degrees.islands == in_metres.islands
    assert in_degrees.w.neighbors == in_metres.w.neighbors


def test_weights_errors_say_what_is_wrong(lsoa, with_island):
    with pytest.raises(GeographyError, match="no 'area_code' column"):
        spatial_weights(with_island.rename(columns={"area_code": "code"}))
    with pytest.raises(GeographyError, match="unique code"):
        spatial_weights(with_island.assign(area_code="same"))
    with pytest.raises(HotspotError, match="Did you mean 'queen'"):
        spatial_weights(with_island, method="quen")
    with pytest.raises(HotspotError, match="k must be a whole number from 1 to 90"):
        spatial_weights(lsoa.areas, method="knn", k=91)
    with pytest.raises(HotspotError, match="positive number of metres"):
        spatial_weights(lsoa.areas, method="distance", threshold=0)


# --- Gi*: esda's numbers, our bins --------------------------------------------------------------------------


def test_gi_star_reports_esdas_numbers(queen, people):
    y = people.reindex(queen.ids).to_numpy(dtype=float)
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - esda seeds the legacy global generator
    result = getis_ord(people, queen, permutations=999, correction="none")
    assert (np.random.get_state()[1] == state).all()  # noqa: NPY002 - the caller's stream is left alone
    assert queen.w.transform == "B"  # esda worked on a copy
    direct = esda_gi(y, queen, permutations=999)
    np.testing.assert_allclose(result["gi_z"], direct.z_sim)
    np.testing.assert_allclose(result["gi_z_analytic"], direct.Zs)
    np.testing.assert_allclose(result["gi_p"], two_sided(direct.Gs, direct.rGs), rtol=1e-6)
    # the two-sided p is esda's one-sided p_sim doubled, except where ties in the low tail make it larger
    doubled = np.minimum(1, 2 * direct.p_sim)
    assert (result["gi_p"].to_numpy() >= doubled - 1e-6).all()
    high_side = result["gi_z"].to_numpy() > 0
    np.testing.assert_allclose(result["gi_p"].to_numpy()[high_side], doubled[high_side], rtol=1e-6)
    # p-values are exact multiples of 1 / (P + 1)
    hits = result["gi_p"].to_numpy() * 1000 / 2
    np.testing.assert_allclose(hits, np.rint(hits), atol=1e-9)
    # the same seed gives the same answer; another seed changes some p-values
    assert getis_ord(people, queen, permutations=999, correction="none").equals(result)
    assert not getis_ord(people, queen, permutations=999, seed=1, correction="none")["gi_p"].equals(result["gi_p"])


def test_esda_p_sim_is_still_the_directed_one_sided_value(queen, people):
    """Guards the module's account of ``p_sim``: if esda changes its default, this fails and the docs must."""
    direct = esda_gi(people.reindex(queen.ids).to_numpy(dtype=float), queen, permutations=999)
    np.testing.assert_allclose(direct.p_sim, calculate_significance(direct.Gs, direct.rGs, alternative="directed"))


def test_bins_follow_the_thresholds():
    z = np.array([3.1, 2.2, 1.7, 0.3, -3.1, -2.2, -1.7, 2.5])
    p = np.array([0.005, 0.03, 0.08, 0.6, 0.005, 0.03, 0.08, 0.01])
    assert gi_bins(z, p, correction="none").tolist() == [3, 2, 1, 0, -3, -2, -1, 3]  # p = 0.01 is at 99%
    # Bonferroni over 8 tests: cut-offs 0.0125, 0.00625, 0.00125
    assert gi_bins(z, p, correction="bonferroni").tolist() == [2, 0, 0, 0, -2, 0, 0, 1]
    # BH by hand, sorted p: .005 .005 .01 .03 .03 .08 .08 .6 against k * a / 8
    #   a = .10: .0125k -> largest k with p(k) < .0125k is k = 7 (.08 < .0875): cut-off .0875
    #   a = .05: .00625k -> k = 3 (.01 < .01875), k = 4 fails (.03 > .025), k = 5 (.03 < .03125): cut-off .03125
    #   a = .01: .00125k -> k = 2 (.005 < .0025)? no; k = 3 (.01 < .00375)? no; none: cut-off .01 / 8
    thresholds = significance_thresholds(p, correction="fdr")
    assert thresholds == pytest.approx({0.1: 0.0875, 0.05: 0.03125, 0.01: 0.00125})
    assert gi_bins(z, p, correction="fdr").tolist() == [2, 2, 1, 0, -2, -2, -1, 2]
    # missing entries (islands) are left out of the count of tests
    z_nan, p_nan = np.append(z, np.nan), np.append(p, np.nan)
    assert gi_bins(z_nan, p_nan, correction="bonferroni").tolist() == [2, 0, 0, 0, -2, 0, 0, 1, 0]


@pytest.mark.parametrize("alpha", [0.10, 0.05, 0.01])
def test_fdr_cut_off_rejects_exactly_what_benjamini_hochberg_rejects(alpha):
    rng = np.random.default_rng(7)
    for _ in range(200):
        p = np.concatenate([rng.uniform(0, 1, 80), rng.uniform(0, 0.003, rng.integers(0, 12))])
        cut = significance_thresholds(p, correction="fdr", levels=[alpha])[alpha]
        assert ((p <= cut) == (false_discovery_control(p) <= alpha)).all()


def test_result_bins_labels_and_colours_are_consistent(queen, people):
    result = getis_ord(people, queen, permutations=999, correction="none")
    side = np.sign(result["gi_z"].to_numpy())
    assert result["gi_bin"].tolist() == gi_bins(side, result["gi_p"], correction="none").tolist()
    assert (result["gi_label"] == result["gi_bin"].map(GI_BIN_LABELS)).all()
    significant = result["gi_bin"] != 0
    assert significant.any()
    assert (np.sign(result.loc[significant, "gi_bin"]) == np.sign(result.loc[significant, "gi_z"])).all()
    assert (result["gi_significant"] == (result["gi_p"] <= 0.05)).all()
    assert list(GI_BIN_COLOURS) == [3, 2, 1, 0, -1, -2, -3]
    assert set(result["gi_label"]) <= set(GI_LABEL_COLOURS)
    assert result.attrs["correction"] == "none" and result.attrs["n_tests"] == 91


def test_fdr_and_bonferroni_are_recorded_with_their_cut_offs(queen, people):
    fdr = getis_ord(people, queen, permutations=999)
    assert fdr.attrs["correction"] == "fdr" and fdr.attrs["correction_note"] == ""
    p = fdr["gi_p"].to_numpy()
    assert fdr.attrs["thresholds"] == {
        "90%": esda.fdr(p, 0.10),
        "95%": esda.fdr(p, 0.05),
        "99%": esda.fdr(p, 0.01),
    }
    bonferroni = getis_ord(people, queen, permutations=999, correction="bonferroni")
    assert bonferroni.attrs["thresholds"]["95%"] == pytest.approx(0.05 / 91)


def test_without_esda_fdr_bonferroni_is_used_and_said(monkeypatch, queen, people):
    monkeypatch.setattr(hotspots, "_esda_fdr", None)
    with pytest.warns(UserWarning, match="esda.fdr is unavailable"):
        result = getis_ord(people, queen, permutations=999)
    assert result.attrs["correction"] == "bonferroni"
    assert "unavailable" in result.attrs["correction_note"]
    assert result.attrs["thresholds"]["99%"] == pytest.approx(0.01 / 91)


def test_islands_keep_their_value_but_get_no_statistic(with_island):
    weights = spatial_weights(with_island)
    values = pd.Series(np.arange(1.0, 11.0), index=weights.ids)
    gi = getis_ord(values, weights, permutations=999, correction="none")
    assert gi.loc["Z", "gi_label"] == ISLAND_LABEL
    assert gi.loc["Z", ["gi_z", "gi_p", "gi_bin", "gi_significant"]].isna().all()
    assert gi.drop(index="Z")[["gi_z", "gi_p", "gi_bin"]].notna().all().all()
    assert gi.attrs["n_tests"] == 9 and gi.attrs["islands"] == ["Z"]
    # the island's value still enters the others' permutations: same numbers as esda on all ten values
    direct = esda_gi(values.to_numpy(), weights, permutations=999)
    np.testing.assert_allclose(gi["gi_z"].drop(index="Z"), direct.z_sim[:9])

    lisa = local_moran(values, weights, permutations=999, correction="none")
    assert lisa.loc["Z", "lisa_category"] == ISLAND_LABEL
    assert lisa.loc["Z", ["lisa_i", "lisa_z", "lisa_p", "lisa_q"]].isna().all()
    assert lisa.loc["Z", "lisa_value"] == 10.0

    attached = getis_ord(values, spatial_weights(with_island, islands="nearest"), permutations=999)
    assert attached["gi_p"].notna().all() and attached.attrs["islands"] == ["Z"]


def test_values_must_be_aligned_and_valid(queen, people):
    with pytest.raises(HotspotError, match="index is not the area codes"):
        getis_ord(people.reset_index(drop=True), queen)
    with pytest.raises(HotspotError, match="one number per area"):
        getis_ord(people.to_numpy()[:90], queen)
    with pytest.raises(HotspotError, match="missing or not finite in area"):
        getis_ord(people.astype(float).where(people.index != queen.ids[3]), queen)
    with pytest.raises(HotspotError, match="non-negative"):
        getis_ord(people - 50, queen)
    with pytest.raises(NoVariationError, match="not all equal"):  # the pipeline skips such a layer, saying why
        local_moran(np.ones(91), queen)
    with pytest.raises(NoVariationError, match="not all equal"):
        getis_ord(np.zeros(91), queen)
    with pytest.raises(HotspotError, match="at least 99"):
        getis_ord(people, queen, permutations=10)
    with pytest.raises(HotspotError, match="Unknown correction"):
        getis_ord(people, queen, correction="holm")
    with pytest.raises(HotspotError, match="positive base"):
        local_moran(people, queen, base=people - people)
    # a Series in another order is aligned by code, not by position
    shuffled = people.sample(frac=1, random_state=3)
    assert getis_ord(shuffled, queen, permutations=999).equals(getis_ord(people, queen, permutations=999))


# --- local Moran ----------------------------------------------------------------------------------------------


def test_local_moran_reports_esdas_numbers_in_geoda_categories(queen, people):
    y = people.reindex(queen.ids).to_numpy(dtype=float)
    result = local_moran(people, queen, permutations=999, correction="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = esda.Moran_Local(y, copy.deepcopy(queen.w), transformation="r", permutations=999, seed=12345, n_jobs=1)
    assert queen.w.transform == "B"
    np.testing.assert_allclose(result["lisa_i"], direct.Is)
    np.testing.assert_allclose(result["lisa_z"], direct.z_sim)
    np.testing.assert_allclose(result["lisa_p"], two_sided(direct.Is, direct.rlisas), rtol=1e-6)
    assert result["lisa_q"].tolist() == direct.q.tolist()
    names = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
    expected = np.where(result["lisa_p"] <= 0.05, result["lisa_q"].map(names), "Not significant")
    assert (result["lisa_category"] == expected).all()
    assert (result["lisa_category"] != "Not significant").any()
    assert set(result["lisa_category"]) <= set(LISA_COLOURS)
    assert LISA_COLOURS["High-High"] == "#FF0000" and LISA_COLOURS["Not significant"] == "#EEEEEE"


def test_local_moran_with_a_base_uses_the_eb_rate(queen, people):
    base = pd.Series(np.random.default_rng(1).integers(800, 2500, 91), index=queen.ids)
    result = local_moran(people, queen, base=base, permutations=999, correction="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = esda.Moran_Local_Rate(
            people.reindex(queen.ids).to_numpy(dtype=float),
            base.to_numpy(dtype=float),
            copy.deepcopy(queen.w),
            transformation="r",
            permutations=999,
            seed=12345,
            n_jobs=1,
        )
    np.testing.assert_allclose(result["lisa_value"], direct.y)  # the EB-standardised rate, not the count
    np.testing.assert_allclose(result["lisa_i"], direct.Is)
    np.testing.assert_allclose(result["lisa_p"], two_sided(direct.Is, direct.rlisas), rtol=1e-6)
    assert "Moran_Local_Rate" in result.attrs["statistic"]


# --- the planted demo signal --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 1, 2, 3])
def test_planted_neighbourhoods_are_found_and_nothing_far_from_them(seed, queen, demo_counts):
    """The demo plants two neighbourhoods (a core LSOA and those around it) at raised intensity.

    Gi* by conditional permutation tests each area's neighbourhood, so the cores, whose neighbours are all
    planted, are hot at 95% after FDR; edge LSOAs, half of whose neighbours are ordinary, need not be. Nothing
    outside the neighbourhoods and their immediate surroundings is called hot, and local Moran's I calls the
    cores High-High.
    """
    people = demo_counts(seed).set_index("area_code")["people"]
    assert set(people.nlargest(len(PLANTED)).index) == set(PLANTED)
    gi = getis_ord(people, queen)
    assert gi.attrs["correction"] == "fdr"
    assert (gi.loc[list(PLANTED_CORES), "gi_bin"] >= 2).all()
    surroundings = set(PLANTED).union(*(queen.w.neighbors[c] for c in PLANTED))
    assert set(gi.index[gi["gi_bin"] >= 2]) <= surroundings
    assert (gi["gi_bin"] <= -2).sum() <= 1  # no cold cluster was planted
    lisa = local_moran(people, queen)
    assert (lisa.loc[list(PLANTED_CORES), "lisa_category"] == "High-High").all()


# --- calibration ------------------------------------------------------------------------------------------------


def test_shuffled_counts_are_called_hot_at_about_the_nominal_rate(queen, people):
    """With the counts dealt to areas at random there is no spatial pattern: the share of areas called hot
    at 95% should be about 2.5% (the hot half of a two-sided 5% test), and lower with FDR."""
    shares = {"none": [], "fdr": []}
    for seed in range(20):
        shuffled = np.random.default_rng(seed).permutation(people.to_numpy(dtype=float))
        for correction in shares:
            result = getis_ord(shuffled, queen, permutations=999, correction=correction)
            shares[correction].append(float((result["gi_bin"] >= 2).mean()))
    uncorrected, fdr = np.mean(shares["none"]), np.mean(shares["fdr"])
    assert 0.005 <= uncorrected <= 0.06, uncorrected
    assert fdr < uncorrected


# --- the joined table ---------------------------------------------------------------------------------------


def test_hotspot_table_joins_both_by_area_code_and_writes_a_geopackage(queen, demo_counts, tmp_path):
    table = demo_counts(DEFAULT_SEED).sample(frac=1, random_state=5)  # rows in another order than the weights
    joined = hotspot_table(table, "people", queen, permutations=999)
    assert isinstance(joined, gpd.GeoDataFrame) and joined.crs.to_epsg() == 27700
    assert joined["area_code"].tolist() == table["area_code"].tolist()
    assert list(joined.columns[: len(table.columns)]) == list(table.columns)
    by_code = joined.set_index("area_code")
    gi = getis_ord(table.set_index("area_code")["people"], queen, permutations=999)
    lisa = local_moran(table.set_index("area_code")["people"], queen, permutations=999)
    for expected in (gi, lisa):
        pd.testing.assert_frame_equal(
            by_code[expected.columns].loc[list(queen.ids)], expected, check_names=False, check_index_type=False
        )
    assert joined.attrs["getis_ord"]["correction"] == "fdr"
    assert joined.attrs["local_moran"]["permutations"] == 999

    joined.to_file(tmp_path / "hotspots.gpkg", layer="lsoa")
    back = gpd.read_file(tmp_path / "hotspots.gpkg", layer="lsoa")
    assert len(back) == 91 and back.crs.to_epsg() == 27700
    assert {"gi_bin", "gi_label", "lisa_category", "lisa_p"} <= set(back.columns)

    with pytest.raises(HotspotError, match="different areas"):
        hotspot_table(table.iloc[:90], "people", queen)
    with pytest.raises(HotspotError, match="no column 'peple'.*Did you mean 'people'"):
        hotspot_table(table, "peple", queen)
