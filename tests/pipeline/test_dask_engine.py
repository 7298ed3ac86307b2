"""The Dask engine gives the pandas engine's answers: row accounting, quarantine and every table.

One local cluster (worker processes) serves the module through ``scheduler=``, which also tests connecting to a
running cluster; one test lets the engine start its own.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import yaml

from circles.demo.synthetic import generate_demo_data
from circles.errors import CirclesError, EngineError, SourceError, SpecError
from circles.pipeline.runner import run_pipeline
from circles.pipeline.spec import load_spec
from tests.helpers import demo_spec_in

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask_geopandas")

#: manifest sections that must be the same whichever engine ran
SAME = (
    "rows",
    "accounting",
    "quarantine_reasons",
    "inputs",
    "validation",
    "pseudonymisation",
    "geocoding",
    "placement",
    "geography",
    "tables",
    "rates",
    "deprivation",
    "hotspots",
    "disclosure",
    "warnings",
)


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        yield cluster.scheduler_address


def _run(spec: Path, output: Path, **engine) -> dict:
    result = run_pipeline(spec, output=output, quiet=True, **engine)
    return json.loads((result.output_dir / "manifest.json").read_text())


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".csv", ".json", ".md", ".txt") and p.name != "manifest.json"
    }


def _assert_same(pandas_dir: Path, dask_dir: Path, pandas_manifest: dict, dask_manifest: dict) -> None:
    ours, theirs = _files(pandas_dir), _files(dask_dir)
    assert sorted(ours) == sorted(theirs)
    differ = [name for name in ours if ours[name] != theirs[name]]
    assert differ == []
    # GeoPackages carry their write time, so their layers are compared rather than their bytes
    packages = sorted(p.relative_to(pandas_dir) for p in pandas_dir.rglob("*.gpkg"))
    assert packages and packages == sorted(p.relative_to(dask_dir) for p in dask_dir.rglob("*.gpkg"))
    for package in packages:
        for layer in pyogrio.list_layers(pandas_dir / package)[:, 0]:
            ours_layer = gpd.read_file(pandas_dir / package, layer=layer)
            assert ours_layer.equals(gpd.read_file(dask_dir / package, layer=layer)), (package, layer)
    for key in SAME:
        assert pandas_manifest.get(key) == dask_manifest.get(key), key
    assert pandas_manifest["engine"] == {"name": "pandas"}
    assert dask_manifest["engine"]["name"] == "dask"


# ------------------------------------------------------------------------------------------- the demo


def test_demo_gives_the_same_outputs_on_both_engines(tmp_path):
    """The engine starts its own local cluster here (no scheduler given)."""
    spec = demo_spec_in(tmp_path, maps=False)
    pandas_manifest = _run(spec, tmp_path / "pandas")
    dask_manifest = _run(spec, tmp_path / "dask", engine="dask")
    _assert_same(tmp_path / "pandas", tmp_path / "dask", pandas_manifest, dask_manifest)
    assert dask_manifest["engine"]["workers"] >= 1
    assert dask_manifest["engine"]["scheduler"] == "local cluster of worker processes"
    assert dask_manifest["rows"]["read"] == 4523
    # the record-level stages after aggregate (network, costs, challenge) ran on records gathered from the cluster
    assert (tmp_path / "dask" / "network" / "service_pairs.csv").exists()


# --------------------------------------------------------------------------- a larger, messier input


def _messy_inputs(folder: Path, seeds: tuple[int, ...] = (11, 12, 13)) -> int:
    """Three synthetic boroughs' worth of take-up files (about 13,500 rows in 30 files) made messy, plus a
    second source in Parquet with other fields. Returns the number of rows written."""
    take_up = folder / "take_up"
    take_up.mkdir(parents=True)
    rng = np.random.default_rng(5)
    frames = {}
    for seed in seeds:
        data = generate_demo_data(folder / f"seed{seed}", seed=seed)
        for path in sorted((data.folder / "take_up").glob("*.csv")):
            frames[f"s{seed}_{path.name}"] = pd.read_csv(path, dtype=str, keep_default_na=False)
    names = sorted(frames)
    first, later = frames[names[0]], frames[names[-1]]
    # duplicates: within a file, and across files with other case and spaces
    repeats = first.sample(40, random_state=1)
    repeats = repeats.assign(client_id=repeats["client_id"].str.lower() + " ")
    frames[names[-1]] = pd.concat([later, repeats, later.head(15)], ignore_index=True)
    # bad values the validation quarantines
    middle = frames[names[len(names) // 2]]
    bad = rng.choice(len(middle), 60, replace=False)
    middle.loc[bad[:15], "referral_date"] = "31/02/2010"
    middle.loc[bad[15:25], "start_date"] = "2199-01-01"
    middle.loc[bad[25:35], "age_band"] = "adult"
    middle.loc[bad[35:40], "client_id"] = "NULL"
    # postcodes the geocoder quarantines: invalid, unknown, blank
    middle.loc[bad[40:48], "postcode"] = "NOT A PC"
    middle.loc[bad[48:55], "postcode"] = "SW1A 1AA"  # a real postcode, not in the borough's directory
    middle.loc[bad[55:60], "postcode"] = ""
    rows = 0
    for name, frame in frames.items():
        frame.to_csv(take_up / name, index=False)
        rows += len(frame)
    # lines the reader quarantines: a wrong number of fields, and a header with no rows
    with open(take_up / names[3], "a", encoding="utf-8") as handle:
        handle.write("C999999,F999999,25-34,M\n")
    rows += 1
    (take_up / "zz_empty.csv").write_text(",".join(first.columns) + "\n", encoding="utf-8")
    # a second source, in Parquet, with an NHS number (pseudonymised) and no family id
    gp = frames[names[0]].head(400).drop(columns=["family_id"])
    gp = gp.assign(nhs_number=["9434765919" if i % 7 else "1234567890" for i in range(len(gp))])
    (folder / "gp").mkdir()
    gp.iloc[:250].to_parquet(folder / "gp" / "gp_register_a.parquet")
    gp.iloc[250:].to_parquet(folder / "gp" / "gp_register_b.parquet")
    return rows + len(gp)


def _messy_spec(folder: Path, *, duplicates: str = "drop") -> Path:
    spec = yaml.safe_load(demo_spec_in(folder).read_text())
    spec.pop("synthetic")
    spec.pop("coding")
    spec.pop("change")  # the pilot's files are the synthetic generator's, and no change stage is listed
    spec["stages"] = [
        s for s in spec["stages"] if s in ("read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate")
    ] + ["rates", "deprivation", "hotspots", "network"]
    spec["hotspots"]["permutations"] = 99
    spec["ingest"]["duplicates"] = duplicates
    spec["ingest"]["reference_date"] = "2026-01-01"
    take_up = spec["sources"]["take_up"]
    take_up["files"] = str(folder / "inputs" / "take_up" / "*.csv")
    gp_columns = {k: v for k, v in take_up["columns"].items() if k != "family_id"}
    gp_columns["nhs_number"] = {"column": "nhs_number", "type": "nhs_number", "privacy": "pseudonymise"}
    spec["sources"]["gp_register"] = {"files": str(folder / "inputs" / "gp" / "*.parquet"), "columns": gp_columns}
    path = folder / "messy.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("messy")
    written = _messy_inputs(folder / "inputs")
    return folder, written


@pytest.mark.parametrize("duplicates", ["drop", "keep"])
def test_messy_multi_source_input_gives_the_same_answers(messy, scheduler, duplicates, tmp_path):
    folder, written = messy
    spec = _messy_spec(tmp_path, duplicates=duplicates)
    shutil.copytree(folder / "inputs", tmp_path / "inputs")
    pandas_manifest = _run(spec, tmp_path / "pandas")
    dask_manifest = _run(spec, tmp_path / "dask", scheduler=scheduler)
    _assert_same(tmp_path / "pandas", tmp_path / "dask", pandas_manifest, dask_manifest)
    assert dask_manifest["engine"]["scheduler"] == scheduler

    rows = dask_manifest["rows"]
    assert rows["read"] == written
    assert rows["read"] == rows["accepted"] + rows["quarantined"]
    reasons = dask_manifest["quarantine_reasons"]
    assert reasons["wrong_field_count"] == 1
    assert reasons["invalid_date"] == 15
    assert reasons["future_date"] == 10 and reasons["date_order"] == 10  # the start dates in 2199
    assert reasons["not_allowed"] == 10
    assert reasons["missing_value"] == 10  # 5 client ids "NULL", 5 blank postcodes
    assert reasons["invalid"] == 8  # "NOT A PC", at validation
    assert reasons["unknown"] == 7  # at geocoding
    assert reasons["invalid_nhs_number"] == len(range(0, 400, 7))
    dups = dask_manifest["validation"]["duplicates"]["found"]
    assert dups >= 55  # the 40 planted across files and 15 within one, plus any the generator repeats itself
    assert reasons.get("duplicate", 0) == (dups if duplicates == "drop" else 0)
    # two sources, one of them Parquet with a field the other lacks, all partitions accounted for
    files = {e["file"] for e in dask_manifest["inputs"]}
    assert {"gp_register_a.parquet", "gp_register_b.parquet", "zz_empty.csv"} <= files
    assert "zz_empty.csv: a header and no rows" in dask_manifest["warnings"]
    assert dask_manifest["pseudonymisation"]["fields"]["nhs_number"].startswith("pseudonymised")
    quarantine = pd.read_csv(tmp_path / "dask" / "quarantine.csv")
    assert len(quarantine.drop_duplicates("source_row")) == rows["quarantined"]
    # the quarantine reads in input order: stage by stage, then file, then line
    lines = quarantine["source_row"].str.extract(r"(\d+)$")[0].astype(int)
    for (_, _), group in quarantine.assign(line=lines).groupby(["stage", "file"], sort=False):
        assert group["line"].is_monotonic_increasing


def test_gathered_records_equal_the_pandas_engines_record_for_record(messy, scheduler, tmp_path, monkeypatch):
    """Beyond the published tables: the records the heavy stages leave, the secrets the audit searches for and
    the ledger are the same (the record-level stages after aggregate see exactly what they see with pandas)."""
    from circles.pipeline import dask_engine
    from circles.pipeline.dask_engine import DASK_STAGES, Partitions
    from circles.pipeline.stages import STAGE_FUNCTIONS, RunState

    folder, _ = messy
    shutil.copytree(folder / "inputs", tmp_path / "inputs")
    spec = load_spec(_messy_spec(tmp_path))
    heavy = ["read", "validate", "pseudonymise", "geocode", "assign_areas"]
    ours = RunState(spec=spec, log=lambda _m: None, quiet=True)
    for stage in heavy:
        STAGE_FUNCTIONS[stage](ours)
    STAGE_FUNCTIONS["aggregate"](ours)
    with distributed.Client(scheduler) as client:
        theirs = RunState(spec=spec, log=lambda _m: None, quiet=True, partitions=Partitions(client=client))
        for stage in heavy:
            DASK_STAGES[stage](theirs)
        gathered = theirs.partitions.collect()
        # the area counts: by tree reductions (this size), then with the people's area-person pairs shuffled
        # between the workers (as above a million records): both the pandas engine's tables
        DASK_STAGES["aggregate"](theirs)
        tree = dict(theirs.area_tables)
        monkeypatch.setattr(dask_engine, "_TREE_PEOPLE", 0)
        DASK_STAGES["aggregate"](theirs)
    assert type(gathered) is type(ours.records)
    pd.testing.assert_frame_equal(gathered, ours.records.reset_index(drop=True))
    assert theirs.secrets_identifiers == ours.secrets_identifiers and len(ours.secrets_identifiers) > 2000
    assert theirs.secrets_pseudonyms == ours.secrets_pseudonyms
    assert theirs.secrets_postcodes == ours.secrets_postcodes
    assert theirs.ledger.entries == ours.ledger.entries
    assert sorted(tree) == sorted(ours.area_tables) == sorted(theirs.area_tables) and len(tree) >= 3
    for name, table in ours.area_tables.items():  # the codes' dtype (object or string) differs, not their values
        pd.testing.assert_frame_equal(tree[name], table, check_dtype=False)
        pd.testing.assert_frame_equal(theirs.area_tables[name], table, check_dtype=False)


def test_bad_file_stops_the_dask_run_with_the_same_error(messy, scheduler, tmp_path):
    folder, _ = messy
    spec = _messy_spec(tmp_path)
    shutil.copytree(folder / "inputs", tmp_path / "inputs")
    broken = tmp_path / "inputs" / "take_up" / "zz_broken.csv"
    broken.write_text("client_id,service\nC1,GP\n", encoding="utf-8")
    messages = []
    for engine in ({}, {"scheduler": scheduler}):
        with pytest.raises(SourceError) as caught:
            run_pipeline(spec, output=tmp_path / "out", quiet=True, **engine)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "zz_broken.csv" in messages[0] and "missing required column" in messages[0]
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------- choosing


def test_engine_is_a_spec_key_checked_with_its_line(tmp_path):
    spec = yaml.safe_load(demo_spec_in(tmp_path).read_text())
    spec["engine"] = "spark"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match=r"line \d+, engine"):
        load_spec(path)
    spec["engine"] = "dask"
    spec["dask"] = {"scheduler": "localhost:8786"}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match="tcp://host:8786"):
        load_spec(path)


def test_command_line_engine_options_are_checked(tmp_path):
    spec = demo_spec_in(tmp_path)
    with pytest.raises(SpecError, match="choose 'pandas' or 'dask'"):
        run_pipeline(spec, engine="spark", quiet=True)
    with pytest.raises(SpecError, match="--scheduler is for the Dask engine"):
        run_pipeline(spec, engine="pandas", scheduler="tcp://127.0.0.1:8786", quiet=True)
    with pytest.raises(SpecError, match="--scheduler 'nowhere'"):
        run_pipeline(spec, scheduler="nowhere", quiet=True)


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    spec = demo_spec_in(tmp_path)
    with pytest.raises(EngineError, match=r"Cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9") as caught:
        run_pipeline(spec, scheduler="tcp://127.0.0.1:9", quiet=True)
    assert isinstance(caught.value, CirclesError)
    assert "dask scheduler" in str(caught.value)


# ------------------------------------------------------------------------------- the anti-join, unit-tested


def test_inner_spatial_join_plus_anti_join_places_as_assign_areas_does():
    """What dask_geopandas.sjoin (inner) leaves out goes through the nearest-area fallback or the quarantine."""
    from shapely.geometry import box

    from circles.geo.areas import assign_areas, points_from_grid
    from circles.geo.layers import AreaLayer
    from circles.pipeline.dask_engine import _place_in_polygons

    areas = gpd.GeoDataFrame(
        {"area_code": ["B", "A", "C"], "area_name": ["B", "A", "C"]},
        geometry=[box(10, 0, 20, 10), box(0, 0, 10, 10), box(5, 5, 15, 15)],  # C overlaps A and B
        crs=27700,
    )
    layer = AreaLayer("zone", "Zone", areas, "example")
    xy = [(2, 2), (10, 2), (7, 7), (25, 5), (900, 900), (12, 2)]
    records = pd.DataFrame(  # partitions are held without geometry: the grid reference is enough
        {
            "source_file": "f.csv",
            "source_row": [f"f.csv:{i}" for i in range(2, 8)],
            "service": "GP",
            "oseast1m": [float(x) for x, _ in xy],
            "osnrth1m": [float(y) for _, y in xy],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    points = points_from_grid(records)
    hits = gpd.sjoin(points[["source_row", "geometry"]], areas[["area_code", "geometry"]], predicate="within")
    placed, small = _place_in_polygons(records, hits, layer, "zone", "no area within 10 m", 10.0)
    assert "geometry" not in placed
    expected = assign_areas(points, layer, tolerance_m=10.0)
    assert placed["zone_code"].tolist() == expected.placed["zone_code"].tolist() == ["A", "A", "A", "B", "B"]
    assert placed["zone_method"].tolist() == ["within", "nearest", "within", "nearest", "within"]
    assert placed.index.tolist() == expected.placed.index.tolist() == [10, 11, 12, 13, 15]
    assert small["counts"] == expected.counts == {"within": 3, "nearest": 2, "by_code": 0, "unplaced": 1}
    quarantine = small["quarantine"]
    assert quarantine["source_row"].tolist() == ["f.csv:6"]
    assert quarantine["message"].iloc[0].startswith("Not placed in Zone: no area within 10 m; the nearest is")
    assert [(e.read, e.accepted, e.quarantined) for e in small["entries"]] == [(6, 5, 1)]


def test_every_worker_gone_is_an_engine_error_not_a_wait_forever():
    """A cluster whose workers were all killed fails its tasks (no-workers-timeout) and the run says so."""
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker, NoValidWorkerError

    from circles.pipeline.dask_cluster import LOCAL_WORKER_CONFIG, _worker_failures

    assert LOCAL_WORKER_CONFIG["distributed.scheduler.no-workers-timeout"] == "120s"
    with pytest.raises(EngineError, match="Every Dask worker is gone"), _worker_failures():
        raise NoValidWorkerError(
            task="read-0", host_restrictions=set(), worker_restrictions=set(), resource_restrictions={}, timeout=120
        )
    with pytest.raises(EngineError, match="ran out of memory"), _worker_failures():
        raise KilledWorker("read-0", SimpleNamespace(address="tcp://127.0.0.1:1"), allowed_failures=3)
