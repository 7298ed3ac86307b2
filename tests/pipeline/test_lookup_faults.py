"""Lookups and pseudo-codes in a pipeline run (issue 17): a lookup of another edition stops the run with a
SpecError naming the spec key and both sides' codes, not a traceback nor a run that quarantines every record;
records with ONS pseudo-codes are quarantined as outside the study area."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from circles.cli import app
from circles.errors import SpecError
from circles.geo.areas import points_from_grid
from circles.geo.layers import embedded_layer
from circles.ingest.accounting import ROW_ID
from circles.pipeline.spec import load_spec
from circles.pipeline.stages import STAGES, RunState, load_layers
from tests.helpers import demo_spec_in


def _spec_with_ward_lookup(folder: Path, lookup: pd.DataFrame, *, stages: list[str] | None = None) -> Path:
    """The demo spec with ``ward2017`` declared as a lookup file (``lookup``) over the ``lsoa`` layer."""
    path = demo_spec_in(folder, maps=False)
    spec = yaml.safe_load(path.read_text())
    lookup.to_csv(folder / "lsoa_ward.csv", index=False)
    spec["geography"]["layers"]["ward2017"] = {
        "lookup": {"path": str(folder / "lsoa_ward.csv"), "via": "lsoa", "from": "LSOA21CD", "to": "WD22CD"},
        "title": "Wards (2022)",
    }
    if stages is not None:
        spec["stages"] = stages
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _wrong_edition() -> pd.DataFrame:
    """An LSOA (2021) to ward lookup whose codes are none of the borough's 2011 LSOAs (crafted)."""
    return pd.DataFrame({"LSOA21CD": [f"E0103{5000 + i:04d}" for i in range(91)], "WD22CD": "E05011508"})


def test_load_layers_refuses_a_lookup_of_another_edition(tmp_path):
    run = RunState(load_spec(_spec_with_ward_lookup(tmp_path, _wrong_edition())), log=lambda message: None)
    with pytest.raises(SpecError) as caught:
        load_layers(run)
    message = str(caught.value)
    assert message.startswith(f"geography.layers.ward2017.lookup: Lookup {tmp_path / 'lsoa_ward.csv'} holds 0 of ")
    assert "the lookup's LSOA21CD values look like E01035000, E01035001, E01035002 and 88 more" in message
    assert "the layer lsoa has E01012571, E01012572, E01012573 and 88 more" in message


def test_load_layers_warns_of_areas_a_lookup_leaves_out(tmp_path):
    lsoas = embedded_layer("lsoa11").areas["area_code"]
    lookup = pd.DataFrame({"LSOA21CD": lsoas.iloc[3:], "WD22CD": "E05011508"})  # 88 of 91
    run = RunState(load_spec(_spec_with_ward_lookup(tmp_path, lookup)), log=lambda message: None)
    load_layers(run)
    assert len(run.layers["ward2017"]) == 1
    [warning] = [w for w in run.warnings if "lsoa_ward.csv" in w]
    assert "lacks 3 of the 91 areas of layer 'lsoa' (E01012571, E01012572, E01012573)" in warning


def test_a_run_with_a_wrong_edition_lookup_stops_with_a_clear_message(tmp_path):
    stages = ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"]
    spec = _spec_with_ward_lookup(tmp_path, _wrong_edition(), stages=stages)
    result = CliRunner().invoke(app, ["run", str(spec), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "geography.layers.ward2017.lookup" in result.output
    assert "E01035000" in result.output and "E01012571" in result.output
    assert not (tmp_path / "report").exists()


def test_records_with_pseudo_codes_are_outside_the_study_area(tmp_path):
    """The demo's ``lsoa`` layer is placed by the directory's ``lsoa11`` code when the records carry one."""
    spec = load_spec(demo_spec_in(tmp_path, maps=False))
    geography = spec.geography.model_copy(update={"layers": {"lsoa": spec.geography.layers["lsoa"]}, "name_by": {}})
    run = RunState(spec.model_copy(update={"geography": geography}), log=lambda message: None)
    codes = ["E01012571", "L99999999", "S99999999", "E01099999"]
    records = pd.DataFrame(
        {
            ROW_ID: [f"a.csv:{i + 2}" for i in range(4)],
            "source_file": "a.csv",
            "directory_lsoa11": codes,
            "oseast1m": np.full(4, 368000.0),
            "osnrth1m": np.full(4, 428000.0),
        }
    )
    run.records = points_from_grid(records)
    STAGES["assign_areas"].func(run)
    assert isinstance(run.records, gpd.GeoDataFrame)
    assert run.records["lsoa_code"].tolist() == ["E01012571"]
    quarantine = pd.concat(run.quarantine).set_index(ROW_ID)
    assert quarantine["reason"].to_dict() == {
        "a.csv:3": "outside_study_area",
        "a.csv:4": "outside_study_area",
        "a.csv:5": "outside_areas",
    }
    assert quarantine.loc["a.csv:3", "message"] == (
        "Not placed in LSOA (2011): outside the study area "
        "(ONS pseudo-code L99999999: postcode in the Channel Islands)."
    )
    assert quarantine.loc["a.csv:4", "message"].endswith("(ONS pseudo-code S99999999: postcode in Scotland).")
    unknown = "Not placed in LSOA (2011): the directory's lsoa11 code is not in it."
    assert quarantine.loc["a.csv:5", "message"] == unknown
