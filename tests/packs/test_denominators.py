"""Every rate says what population it is per, and where the population came from when the manifest knows."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from circles.packs.context import population_source, rate_unit, residents
from circles.packs.render import build_pack

EMBEDDED_FILES = [
    {"key": "rates.populations.lsoa", "file": "population_lsoa11_mid2020_bwd.csv"},
    {"key": "rates.populations.ward2025", "file": "population_ward2025_census2021_bwd.csv"},
]


@pytest.mark.parametrize(
    ("rates", "unit"),
    [
        ({"per": 1000, "age_band": "all"}, "per 1,000 residents (all ages)"),
        ({"per": 1000, "age_band": "18+"}, "per 1,000 residents aged 18+"),
        ({"per": 10000, "age_band": "0-15"}, "per 10,000 residents aged 0–15"),
        ({}, "per 1,000 residents (all ages)"),
    ],
)
def test_the_rate_unit_names_the_population(rates, unit):
    assert rate_unit(rates) == unit
    assert unit.endswith(residents(rates))


def test_the_population_source_is_the_embedded_title_or_the_file_name():
    layers = {"lsoa": {"population": 100}, "ward2025": {"population": 104}, "msoa": {"population": 100}}
    manifest = {"reference_files": EMBEDDED_FILES, "rates": {"layers": layers}}
    assert population_source(manifest, "lsoa") == "ONS mid-2020 LSOA estimates"
    assert population_source(manifest, "ward2025") == "Census 2021 usual residents (TS007)"
    # a derived layer: summed from the one layer with a file and the same total
    assert population_source(manifest, "msoa") == (
        "summed by best fit from the LSOA (neighbourhoods) populations (ONS mid-2020 LSOA estimates)"
    )
    own = {"reference_files": [{"key": "rates.populations.lsoa", "file": "pop_2022.csv"}], "rates": {"layers": {}}}
    assert population_source(own, "lsoa") == "pop_2022.csv"
    assert population_source({"rates": {"layers": {}}}, "lsoa") is None


@pytest.mark.slow
def test_the_demo_packs_say_all_ages_and_the_population_source(session_demo):
    packs = session_demo.report / "packs"
    definition = (packs / "customer_definition.html").read_text(encoding="utf-8")
    assert "Rate per 1,000 residents (all ages), 95% interval" in definition
    assert "people in contact with services per 1,000 residents (all ages)" in definition
    assert "population: ONS mid-2020 LSOA estimates" in definition
    # one population source for the report: the wards' are summed from the LSOAs', never Census 2021 beside it
    assert "population: summed by best fit from the LSOA (neighbourhoods) populations (ONS mid-2020" in definition
    assert "Census 2021" not in definition
    assert "Rate per 1,000 residents (all ages)</th>" in definition  # the deprivation profile
    report = (packs / "hotspot_report.html").read_text(encoding="utf-8")
    assert "Rates are people in contact with services per 1,000 residents (all ages)" in report
    assert re.search(r"Populations: .*LSOA \(neighbourhoods\): ONS mid-2020 LSOA estimates", report)
    for path in packs.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[Rr]ate per 1,000(?! residents)", text), path.name  # never per 1,000 of what?


@pytest.mark.slow
def test_adults_only_rates_say_aged_18_plus(session_demo, tmp_path):
    """A run whose rates are per adult (``rates.age_band: 18+``) never prints "per 1,000 residents" bare."""
    report = tmp_path / "report"
    shutil.copytree(session_demo.report, report)
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    manifest["rates"]["age_band"] = "18+"
    (report / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for name in ("customer_definition", "hotspot_report"):
        html = build_pack(name, report)["html"].read_text(encoding="utf-8")
        assert "per 1,000 residents aged 18+" in html
        assert "(all ages)" not in html
