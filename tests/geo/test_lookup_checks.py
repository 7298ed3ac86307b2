"""Lookups and layers that cannot silently fail (issue 17): a lookup of another edition than the layer it is built
over is refused naming both sides' codes; one that leaves a few areas out says which; ONS pseudo-codes
(``L99999999``...) are never areas."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from circles.errors import GeographyError
from circles.geo.areas import MIN_LOOKUP_MATCH, assign_by_code, check_lookup_match, layer_from_lookup
from circles.geo.layers import (
    AreaLayer,
    embedded_layer,
    embedded_lookup,
    is_pseudo_code,
    pseudo_code_note,
    read_area_layer,
)


@pytest.fixture(scope="module")
def lsoa() -> AreaLayer:
    return embedded_layer("lsoa11", layer_name="lsoa")


@pytest.fixture(scope="module")
def ward2017_table() -> pd.DataFrame:
    return embedded_lookup("ward2017")[1]


def _build(via: AreaLayer, table: pd.DataFrame, warnings: list[str] | None, **columns: str) -> AreaLayer:
    codes = {"from_code": "lsoa11cd", "to_code": "wd17cd", "to_name": "wd17nm"} | columns
    return layer_from_lookup(
        via, table, **codes, layer_name="ward", title="Wards", source="lookup.csv", warnings=warnings
    )


def test_the_embedded_ward2017_lookup_covers_every_lsoa_without_a_warning(lsoa, ward2017_table):
    warnings: list[str] = []
    ward = _build(lsoa, ward2017_table, warnings)
    assert warnings == []
    assert len(ward) == 23
    assert ward.areas.geometry.area.sum() == pytest.approx(lsoa.areas.geometry.area.sum(), rel=1e-9)


def test_ward_2019_codes_chained_over_2017_wards_are_refused_naming_both_sides(lsoa, ward2017_table):
    ward2017 = _build(lsoa, ward2017_table, [])
    wd19 = embedded_layer("ward2025").areas["area_code"]  # the 2018 arrangement: codes unchanged in WD19
    table = pd.DataFrame({"WD19CD": wd19, "LAD19CD": "E06000008", "LAD19NM": "Blackburn with Darwen"})
    with pytest.raises(GeographyError) as caught:
        layer_from_lookup(
            ward2017,
            table,
            from_code="WD19CD",
            to_code="LAD19CD",
            to_name="LAD19NM",
            layer_name="lad",
            title="LAD",
            source="wd19_lad19.csv",
        )
    message = str(caught.value)
    assert "holds 0 of the 23 areas of layer 'ward' (0%; at least 90% are needed)" in message
    assert "the lookup's WD19CD values look like E05011508, E05011509, E05011510 and 14 more" in message
    assert "the layer ward has E05001620, E05001621, E05001622 and 20 more" in message
    assert "use the lookup for the edition of layer 'ward' (whose WD19CD column holds codes like E05001620)" in message


def test_an_lsoa_2021_lookup_over_an_lsoa_2011_layer_is_refused(lsoa):
    # crafted 2021-style codes: none is a 2011 code of the borough
    table = pd.DataFrame({"LSOA21CD": [f"E0103{5000 + i:04d}" for i in range(91)], "WD22CD": "E05011508"})
    with pytest.raises(GeographyError, match=r"holds 0 of the 91 areas") as caught:
        _build(lsoa, table, [], from_code="LSOA21CD", to_code="WD22CD", to_name="WD22CD")
    message = str(caught.value)
    assert "look like E01035000, E01035001, E01035002 and 88 more; the layer lsoa has E01012571, E01012572" in message


def test_a_lookup_lacking_five_percent_warns_with_the_count_and_examples(lsoa, ward2017_table):
    dropped = ["E01012580", "E01012600", "E01012620", "E01012640", "E01012660"]
    table = ward2017_table[~ward2017_table["lsoa11cd"].isin(dropped)]  # 86 of 91: 94.5%
    warnings: list[str] = []
    ward = _build(lsoa, table, warnings)
    assert len(warnings) == 1
    assert "lacks 5 of the 91 areas of layer 'lsoa' (E01012580, E01012600, E01012620 and 2 more)" in warnings[0]
    assert "left out of the layer built from it" in warnings[0]
    missing = lsoa.areas.loc[lsoa.areas["area_code"].isin(dropped)].geometry.area.sum()
    expected = lsoa.areas.geometry.area.sum() - missing
    assert ward.areas.geometry.area.sum() == pytest.approx(expected, rel=1e-9)


def test_the_threshold_is_the_module_constant(lsoa, ward2017_table):
    assert MIN_LOOKUP_MATCH == 0.9
    codes = ward2017_table["lsoa11cd"].sort_values()
    assert check_lookup_match(lsoa, codes.iloc[:82], from_code="lsoa11cd", source="x.csv", warnings=[]) == 82
    with pytest.raises(GeographyError, match=r"holds 81 of the 91 areas of layer 'lsoa' \(89%"):
        check_lookup_match(lsoa, codes.iloc[:81], from_code="lsoa11cd", source="x.csv", warnings=[])


def test_codes_beyond_the_layer_are_not_a_fault(lsoa, ward2017_table):
    """A national lookup over a borough's layer holds many more codes than the layer: that is normal."""
    extra = pd.DataFrame({"lsoa11cd": [f"E0100{i:04d}" for i in range(1000)], "wd17cd": "E05000001", "wd17nm": "X"})
    warnings: list[str] = []
    ward = _build(lsoa, pd.concat([ward2017_table, extra]), warnings)
    assert warnings == []
    assert len(ward) == 23


def test_without_a_warnings_list_a_python_warning_is_issued(lsoa, ward2017_table):
    with pytest.warns(UserWarning, match=r"lacks 1 of the 91 areas of layer 'lsoa' \(E01012571\)"):
        _build(lsoa, ward2017_table.iloc[1:], None)


def test_pseudo_codes_are_recognised_and_explained():
    codes = pd.Series(["L99999999", "M99999999", "S99999999", "W99999999", "N99999999", "E99999999"])
    assert is_pseudo_code(codes).all()
    real = pd.Series(["E01012571", "E05011508", "S01006506", "W01000001", "95AA01S1", "", None, "E06000008"])
    assert not is_pseudo_code(real).any()
    assert pseudo_code_note("L99999999") == "ONS pseudo-code L99999999: postcode in the Channel Islands"
    assert pseudo_code_note("S99999999") == "ONS pseudo-code S99999999: postcode in Scotland"
    assert pseudo_code_note("N99999999") == "ONS pseudo-code N99999999: postcode in Northern Ireland"


def test_lookup_rows_with_pseudo_codes_are_left_out_with_a_warning(lsoa, ward2017_table):
    pseudo_from = pd.DataFrame({"lsoa11cd": ["L99999999", "M99999999"], "wd17cd": "E05001620", "wd17nm": "Audley"})
    table = pd.concat([ward2017_table, pseudo_from], ignore_index=True)
    table.loc[table["lsoa11cd"].isin(["E01012571", "E01012572"]), "wd17cd"] = "E99999999"
    warnings: list[str] = []
    ward = _build(lsoa, table, warnings)
    assert len(warnings) == 2
    assert "2 row(s) hold ONS pseudo-codes in column 'lsoa11cd' (L99999999, M99999999)" in warnings[0]
    assert "2 area(s) of layer 'lsoa' (E01012571, E01012572) map to an ONS pseudo-code" in warnings[1]
    assert not is_pseudo_code(ward.areas["area_code"]).any()
    assert len(ward) == 23  # Audley keeps its other four LSOAs
    left_out = lsoa.areas.loc[lsoa.areas["area_code"].isin(["E01012571", "E01012572"])].geometry.area.sum()
    assert ward.areas.geometry.area.sum() == pytest.approx(lsoa.areas.geometry.area.sum() - left_out, rel=1e-9)


def test_a_lookup_mapping_everything_to_pseudo_codes_is_refused(lsoa, ward2017_table):
    table = ward2017_table.assign(wd17cd="S99999999")
    with pytest.raises(GeographyError, match=re.escape("to an ONS pseudo-code (S99999999) in column 'wd17cd'")):
        _build(lsoa, table, [])


def test_a_layer_file_with_pseudo_codes_drops_them_with_a_warning(tmp_path):
    frame = gpd.GeoDataFrame(
        {"WD25CD": ["E05011508", "L99999999", "M99999999"], "WD25NM": ["Audley", "Channel Islands", "Isle of Man"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)],
        crs=27700,
    )
    path = tmp_path / "wards.geojson"
    frame.to_file(path)
    warnings: list[str] = []
    layer = read_area_layer(path, code="WD25CD", name="WD25NM", warnings=warnings)
    assert layer.areas["area_code"].tolist() == ["E05011508"]
    assert warnings == [
        f"Area layer {path}: 2 row(s) in column 'WD25CD' hold ONS pseudo-codes (L99999999, M99999999), "
        "which stand for no area; left out of the layer."
    ]


def test_a_layer_file_of_pseudo_codes_only_is_an_error(tmp_path):
    frame = gpd.GeoDataFrame({"code": ["L99999999"]}, geometry=[box(0, 0, 1, 1)], crs=27700)
    path = tmp_path / "islands.geojson"
    frame.to_file(path)
    with pytest.raises(GeographyError, match="has no areas"):
        read_area_layer(path, code="code", warnings=[])


def test_assign_by_code_keeps_the_code_it_could_not_place():
    layer = AreaLayer(
        "lsoa",
        "LSOA",
        gpd.GeoDataFrame({"area_code": ["E01012571"], "area_name": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=27700),
        "test",
    )
    records = pd.DataFrame({"directory_lsoa11": ["E01012571", "L99999999", None, "E01099999"]})
    result = assign_by_code(records, layer, records["directory_lsoa11"])
    assert result.placed["lsoa_code"].tolist() == ["E01012571"]
    assert result.unplaced["given_code"].fillna("(blank)").tolist() == ["L99999999", "(blank)", "E01099999"]
