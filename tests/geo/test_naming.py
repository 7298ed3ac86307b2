"""Places people can name (circles.geo.naming): LSOAs named after the ward they lie in, on the embedded BwD data."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from circles.errors import SpecError
from circles.geo.embedded import embedded_file
from circles.geo.layers import embedded_layer
from circles.geo.naming import name_layer, parent_areas
from circles.pipeline.spec import load_spec
from tests.helpers import DEMO


@pytest.fixture(scope="module")
def lsoas():
    return embedded_layer("lsoa11", layer_name="lsoa")


def test_every_lsoa_is_named_after_its_2025_ward_and_names_stay_unique(lsoas):
    wards = embedded_layer("ward2025", layer_name="ward2025")
    named = name_layer(lsoas, wards).areas
    assert named["ward"].notna().all() and set(named["ward"]) <= set(wards.areas["area_name"])
    assert named["area_name"].is_unique and len(named) == 91
    row = named.set_index("area_code").loc["E01012572"]  # ONS: "Blackburn with Darwen 007B"
    assert row["area_name"] == f"{row['ward']} 007B"
    assert (named["area_code"] == lsoas.areas["area_code"]).all()  # codes untouched


def test_the_best_fit_agrees_with_the_ons_lookup_for_nearly_every_lsoa(lsoas):
    """Representative points against ONS's population-weighted best fit (LSOA 2011 -> ward 2017, whose codes are
    those of the 2004-2018 wards): 88 of 91 LSOAs go to the same ward."""
    wards = embedded_layer("ward2004", layer_name="ward2004")
    ours = parent_areas(lsoas.areas, wards.areas)["parent_code"]
    ons = pd.read_csv(embedded_file("lsoa11_ward2017_bwd.csv"), dtype=str).set_index("lsoa11cd")["wd17cd"]
    assert (ours == ons.reindex(ours.index)).sum() == 88


def test_name_by_must_name_layers_with_boundaries(tmp_path):
    spec = yaml.safe_load(DEMO.read_text())
    for name_by, message in (
        ({"lsoa": "wards"}, "the layer it is named by 'wards' is not a layer"),
        ({"lsoa": "ward2017"}, "'ward2017' is built from a lookup and has no boundaries"),
        ({"lsoa": "lsoa"}, "cannot be named after itself"),
    ):
        spec["geography"]["name_by"] = name_by
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump(spec))
        with pytest.raises(SpecError, match=message):
            load_spec(path)
