from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from circles.geo.areas import assign_areas, points_from_grid
from circles.geo.layers import AreaLayer, embedded_layer, read_postcode_directory


@pytest.fixture
def two_squares() -> AreaLayer:
    areas = gpd.GeoDataFrame(
        {"area_code": ["B", "A"], "area_name": ["Bee", "Ay"]},
        geometry=[box(100, 0, 200, 100), box(0, 0, 100, 100)],
        crs=27700,
    )
    return AreaLayer("zone", "Zone", areas, "test")


def test_within_nearest_and_unplaced_are_counted(two_squares):
    pts = gpd.GeoDataFrame(
        {"id": [1, 2, 3, 4]}, geometry=[Point(50, 50), Point(150, 50), Point(250, 50), Point(500, 50)], crs=27700
    )
    result = assign_areas(pts, two_squares, tolerance_m=60)
    assert result.placed["zone_code"].tolist() == ["A", "B", "B"]
    assert result.placed["zone_method"].tolist() == ["within", "within", "nearest"]
    assert result.counts == {"within": 2, "nearest": 1, "by_code": 0, "unplaced": 1}
    assert result.unplaced["id"].tolist() == [4]
    assert result.unplaced["distance_m"].iloc[0] == pytest.approx(300.0)


def test_point_on_a_shared_boundary_takes_the_lowest_code_whatever_the_order(two_squares):
    pts = gpd.GeoDataFrame(geometry=[Point(100, 50)], crs=27700)
    reversed_layer = AreaLayer("zone", "Zone", two_squares.areas.iloc[::-1].reset_index(drop=True), "test")
    for layer in (two_squares, reversed_layer):
        result = assign_areas(pts, layer, tolerance_m=1)
        assert result.placed["zone_code"].tolist() == ["A"]
        assert result.counts["unplaced"] == 0


def test_input_order_and_columns_are_kept(two_squares):
    pts = gpd.GeoDataFrame(
        {"n": [3, 1, 2]}, geometry=[Point(150, 1), Point(1, 1), Point(120, 9)], index=[30, 10, 20], crs=27700
    )
    result = assign_areas(pts, two_squares)
    assert result.placed.index.tolist() == [30, 10, 20]
    assert result.placed["n"].tolist() == [3, 1, 2]


def test_every_borough_postcode_places_in_the_embedded_layers():
    points = points_from_grid(read_postcode_directory())
    for key in ("lsoa11", "msoa11"):
        result = assign_areas(points, embedded_layer(key))
        assert result.counts["unplaced"] == 0
        # the super generalised boundaries leave only a handful outside, taken by the 200 m fallback
        assert 0 < result.counts["nearest"] < 20


def test_lsoa_and_msoa_assignments_nest():
    points = points_from_grid(read_postcode_directory())
    lsoa = assign_areas(points, embedded_layer("lsoa11", layer_name="lsoa")).placed
    both = assign_areas(lsoa, embedded_layer("msoa11", layer_name="msoa")).placed
    names = embedded_layer("lsoa11").areas.set_index("area_code")["area_name"]
    expected_msoa = both["lsoa_code"].map(names).str[:-1]  # "Blackburn with Darwen 001A" is in MSOA "... 001"
    assert both["msoa_code"].str.match(r"^E02\d{6}$").all()
    msoa_names = embedded_layer("msoa11").areas.set_index("area_code")["area_name"]
    assert (both["msoa_code"].map(msoa_names) == expected_msoa).mean() > 0.999


def test_duplicate_index_is_refused(two_squares):
    pts = gpd.GeoDataFrame(geometry=[Point(1, 1), Point(2, 2)], index=[0, 0], crs=27700)
    with pytest.raises(ValueError, match="unique index"):
        assign_areas(pts, two_squares)


def test_points_from_grid_builds_bng_points():
    frame = pd.DataFrame({"oseast1m": [368000.0], "osnrth1m": [428000.0]})
    pts = points_from_grid(frame)
    assert pts.crs == "EPSG:27700"
    assert (pts.geometry.x.iloc[0], pts.geometry.y.iloc[0]) == (368000.0, 428000.0)
