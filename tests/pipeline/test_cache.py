"""The stage cache (circles.pipeline.cache): reruns reuse what did not change, and keep nothing personal."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from circles.errors import SpecError
from circles.pipeline.cache import cache_folder
from circles.pipeline.runner import run_pipeline
from tests.helpers import demo_spec_in

_STAGES = [
    "read",
    "validate",
    "pseudonymise",
    "geocode",
    "assign_areas",
    "aggregate",
    "rates",
    "deprivation",
    "hotspots",
]


def _spec(folder: Path, **changes) -> Path:
    path = demo_spec_in(folder, maps=False)
    spec = yaml.safe_load(path.read_text())
    spec["stages"] = _STAGES
    spec["hotspots"] |= {"permutations": 99, "layers": ["lsoa", "ward2025"]}
    for section, values in changes.items():
        spec[section] = values if values is None else spec[section] | values
    spec = {k: v for k, v in spec.items() if v is not None}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _run(folder: Path, **kwargs):
    return run_pipeline(folder / "demo.yaml", quiet=True, **kwargs)


def _csvs(report: Path) -> dict[str, bytes]:
    return {str(p.relative_to(report)): p.read_bytes() for p in sorted(report.rglob("*.csv"))}


def _statuses(manifest: dict) -> dict[str, str]:
    return {s["stage"]: s["status"] for s in manifest["stages"]}


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """The reduced demo run twice into one folder, nothing changed in between."""
    folder = tmp_path_factory.mktemp("cache")
    _spec(folder)
    first = _run(folder)
    first_csvs = _csvs(first.output_dir)
    second = _run(folder)
    return folder, first, first_csvs, second


def test_an_unchanged_rerun_reuses_every_stage_after_the_records(twice):
    folder, first, first_csvs, second = twice
    assert first.manifest["cache"]["reused"] == []
    assert second.manifest["cache"]["reused"] == ["rates", "deprivation", "hotspots"]
    statuses = _statuses(second.manifest)
    assert [s for s in _STAGES if statuses[s] == "ran"] == _STAGES[:6]  # the record stages always run
    # the same report, file for file: the reused stages' tables are the last run's
    assert _csvs(second.output_dir) == first_csvs
    assert second.manifest["hotspots"] == first.manifest["hotspots"]
    assert second.manifest["rows"] == first.manifest["rows"]


def test_a_changed_section_reruns_its_stage_and_those_after_it(twice, tmp_path):
    folder = twice[0]
    spec = yaml.safe_load((folder / "demo.yaml").read_text())
    spec["hotspots"]["permutations"] = 199
    (folder / "demo.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    try:
        result = _run(folder)
    finally:
        spec["hotspots"]["permutations"] = 99
        (folder / "demo.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert result.manifest["cache"]["reused"] == ["rates", "deprivation"]
    assert result.manifest["hotspots"]["layers"]["lsoa"]["permutations"] == 199
    # back to 99: the cache now holds the 199 run, so hotspots runs again and the rest is reused
    assert _run(folder).manifest["cache"]["reused"] == ["rates", "deprivation"]


def test_from_a_stage_reruns_it_and_every_stage_after_it(twice):
    folder = twice[0]
    result = _run(folder, from_stage="deprivation")
    assert result.manifest["cache"]["reused"] == ["rates"]
    assert result.manifest["cache"]["from"] == "deprivation"
    with pytest.raises(SpecError, match="--from 'mapz'"):
        _run(folder, from_stage="mapz")


def test_an_altered_state_file_is_not_trusted(twice):
    folder, _, first_csvs, _ = twice
    cache = cache_folder(folder / "report")
    index = json.loads((cache / "index.json").read_text())
    state = cache / "state" / index["stages"]["deprivation"]["state"]
    blob = bytearray(state.read_bytes())
    blob[-1] ^= 0xFF
    state.write_bytes(bytes(blob))
    result = _run(folder)
    assert result.manifest["cache"]["reused"] == ["rates", "hotspots"]  # deprivation ran again
    assert _csvs(result.output_dir) == first_csvs


def test_no_cache_runs_everything_and_leaves_the_cache_alone(twice):
    folder = twice[0]
    index = cache_folder(folder / "report") / "index.json"
    before = index.read_bytes()
    result = _run(folder, cache=False)
    assert result.manifest["cache"] == {"used": False}
    assert set(_statuses(result.manifest).values()) == {"ran"}
    assert index.read_bytes() == before


def test_the_cache_holds_nothing_personal_and_no_plain_state(twice):
    folder = twice[0]
    cache = cache_folder(folder / "report")
    take_up = pd.concat(pd.read_csv(p, dtype=str) for p in sorted((folder / "data" / "take_up").glob("*.csv")))
    ids = set(take_up["client_id"].dropna()) | set(take_up["family_id"].dropna())
    postcodes = {p.replace(" ", "") for p in take_up["postcode"].dropna()} | set(take_up["postcode"].dropna())
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    states = list((cache / "state").iterdir())
    assert len(states) == 3
    for path in cache.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert not any(v.encode() in data for v in ids | postcodes if len(v) >= 5), path
        if path.parent.name == "state":  # encrypted: not even an area name or a column name can be read
            assert b"E01012579" not in data and b"area_code" not in data and b"pandas" not in data


def test_a_file_circles_did_not_write_stays_in_the_cache_folder(twice):
    folder = twice[0]
    cache = cache_folder(folder / "report")
    foreign = cache / "files" / "notes.txt"
    foreign.write_text("mine")
    _run(folder, from_stage="rates")
    assert foreign.read_text() == "mine"


def test_without_a_pseudonymisation_key_no_cache_is_kept(tmp_path):
    path = _spec(tmp_path, pseudonymisation=None)
    spec = yaml.safe_load(path.read_text())
    for field in ("client_id", "family_id"):
        spec["sources"]["take_up"]["columns"][field]["privacy"] = "drop"
    spec["stages"] = ["read", "validate", "pseudonymise", "geocode", "assign_areas"]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = _run(tmp_path)
    assert result.manifest["cache"] == {"used": False}
    assert not cache_folder(tmp_path / "report").exists()


def test_the_packs_key_follows_the_templates_and_every_output_the_packs_can_read(tmp_path, monkeypatch):
    from circles.packs import render
    from circles.pipeline.cache import StageCache

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "base.html").write_text("<h1>{{ title }}</h1>")
    monkeypatch.setattr(render, "templates_dir", lambda: templates)
    staging = tmp_path / "staging"
    (staging / "packs").mkdir(parents=True)
    (staging / "tables").mkdir()
    (staging / "tables" / "rates.csv").write_text("area,rate\nA,1.5\n")
    (staging / "areas.gpkg").write_bytes(b"written at 10:00")
    (staging / "packs" / "old.pdf").write_bytes(b"%PDF")
    cache = StageCache(folder=tmp_path / "cache", cipher=None, previous={}, chain="c")
    manifest = {"pipeline": "demo", "started_utc": "2026-12-01T10:00:00", "warnings": ["publish: removed x"]}
    key = cache.packs_key(staging, manifest)

    (staging / "areas.gpkg").write_bytes(b"written at 11:00")  # packs print no GeoPackage
    (staging / "packs" / "old.pdf").write_bytes(b"%PDF-1.7")  # nor read the packs they replace
    later = manifest | {"started_utc": "2026-12-01T11:00:00", "warnings": ["publish: removed y"]}
    assert cache.packs_key(staging, later) == key

    (templates / "base.html").write_text("<h1>{{ title }}!</h1>")  # a pack's wording
    assert cache.packs_key(staging, manifest) != key
    (templates / "base.html").write_text("<h1>{{ title }}</h1>")
    assert cache.packs_key(staging, manifest) == key
    (staging / "tables" / "rates.csv").write_text("area,rate\nA,1.6\n")
    assert cache.packs_key(staging, manifest) != key


def test_a_reused_stage_publishes_every_file_it_wrote_not_only_those_it_queued(tmp_path):
    """A print map is queued as its PDF and written with its PNG beside it: a rerun must publish both."""
    path = _spec(tmp_path, maps={"paper": ["A4"], "labels": ["ward2025"]})
    spec = yaml.safe_load(path.read_text())
    spec["stages"] = [*_STAGES, "maps"]
    spec["geography"]["layers"] = {k: v for k, v in spec["geography"]["layers"].items() if k in ("lsoa", "ward2025")}
    spec["geography"]["name_by"] = {"lsoa": "ward2025"}
    spec["rates"]["populations"] = {k: v for k, v in spec["rates"]["populations"].items() if k in ("lsoa", "ward2025")}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    first = _run(tmp_path)
    assert "maps/lsoa_rate_a4.pdf" in first.outputs and "maps/lsoa_rate_a4.png" in first.outputs
    second = _run(tmp_path)
    assert "maps" in second.manifest["cache"]["reused"]
    assert sorted(second.outputs) == sorted(first.outputs)
    report = second.output_dir
    assert (report / "maps" / "lsoa_rate_a4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_code_version_covers_the_embedded_reference_data(tmp_path, monkeypatch):
    """In a checkout geo/ lies outside the package: a rebuilt extract must change every key all the same."""
    from circles import resources
    from circles.pipeline.cache import code_digest

    geo = tmp_path / "geo"
    geo.mkdir()
    (geo / "wards.csv").write_text("code,name\nE05000001,A\n")
    monkeypatch.setattr(resources, "packaged", lambda folder: geo)
    code_digest.cache_clear()
    try:
        before = code_digest()
        (geo / "wards.csv").write_text("code,name\nE05000001,B\n")
        code_digest.cache_clear()
        assert code_digest() != before
    finally:
        code_digest.cache_clear()


def test_a_cached_file_changed_since_is_not_reused(twice):
    """The cache hard-links the report's files, so a report file edited in place can change the cache's copy:
    its checksum is checked before the file is reused, and the stage runs again."""
    folder, _, first_csvs, _ = twice
    cache = cache_folder(folder / "report")
    index = json.loads((cache / "index.json").read_text())
    sha = next(iter(index["stages"]["deprivation"]["files"].values()))
    with open(cache / "files" / sha, "a", encoding="utf-8") as edited:  # in place, as a spreadsheet might
        edited.write("edited by hand\n")
    result = _run(folder)
    assert "deprivation" not in result.manifest["cache"]["reused"]
    assert _csvs(result.output_dir) == first_csvs
    assert _run(folder).manifest["cache"]["reused"] == ["rates", "deprivation", "hotspots"]  # the copy was mended
