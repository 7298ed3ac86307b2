from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from circles.errors import GeographyError
from circles.geo.layers import ANALYSIS_CRS, embedded_layer, read_area_layer, read_postcode_directory


def test_embedded_layers_have_the_borough_areas():
    lsoa, msoa = embedded_layer("lsoa11"), embedded_layer("msoa11")
    assert len(lsoa) == 91 and len(msoa) == 18
    assert lsoa.areas.crs == ANALYSIS_CRS
    assert lsoa.areas["area_code"].str.match(r"^E01\d{6}$").all()
    assert lsoa.areas["area_name"].str.startswith("Blackburn with Darwen ").all()
    # MSOAs are dissolved from the LSOAs: same total area, each the union of its LSOAs
    assert msoa.areas.area.sum() == pytest.approx(lsoa.areas.area.sum(), rel=1e-6)
    # the borough is about 137 km²
    assert 130e6 < lsoa.areas.area.sum() < 140e6


def test_embedded_msoas_match_the_real_msoa_names(shared_geo):
    real = gpd.read_file(shared_geo / "msoa_2021.geojson")
    assert sorted(embedded_layer("msoa11").areas["area_name"]) == sorted(real["MSOA21NM"])


def test_embedded_lsoas_match_the_real_lsoa_codes(shared_geo):
    real = pd.read_csv(shared_geo / "imd2019_lsoa.csv")
    assert sorted(embedded_layer("lsoa11").areas["area_code"]) == sorted(real["lsoa_code"])


def test_postcode_directory_is_the_borough():
    directory = read_postcode_directory()
    assert 5000 < len(directory) < 5300
    assert (directory["oslaua"] == "E06000008").all()
    assert directory["pcds"].is_unique
    # British National Grid metres, in and around Blackburn
    assert directory["oseast1m"].between(360_000, 380_000).all()
    assert directory["osnrth1m"].between(410_000, 435_000).all()


def test_read_area_layer_names_a_missing_column(embedded_geo):
    with pytest.raises(GeographyError, match=r"no code column 'wd25code'.*Did you mean 'wd25cd'"):
        read_area_layer(embedded_geo / "wards2025_bwd.geojson", code="wd25code")


def test_read_area_layer_rejects_repeated_codes(tmp_path, embedded_geo):
    wards = gpd.read_file(embedded_geo / "wards2025_bwd.geojson")
    wards.loc[1, "wd25cd"] = wards.loc[0, "wd25cd"]
    path = tmp_path / "dupes.gpkg"
    wards.to_file(path)
    with pytest.raises(GeographyError, match="one unique code per area"):
        read_area_layer(path, code="wd25cd", name="wd25nm")


def test_read_area_layer_unreadable_file(tmp_path):
    bad = tmp_path / "wards.geojson"
    bad.write_text("not json")
    with pytest.raises(GeographyError, match="Cannot read area layer"):
        read_area_layer(bad, code="x")


def test_real_wards_read_in_british_national_grid(embedded_geo):
    wards = read_area_layer(embedded_geo / "wards2004_bwd.geojson", code="wd13cd", name="wd13nm", layer_name="ward2004")
    assert len(wards) == 23
    assert wards.areas.crs == ANALYSIS_CRS
    assert {"Shadsworth with Whitebirk", "Bastwell", "Sudell"} <= set(wards.areas["area_name"])
