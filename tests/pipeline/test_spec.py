from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from circles.errors import SpecError
from circles.pipeline.spec import load_spec
from tests.helpers import DEMO, ROOT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


MINIMAL = """\
name: mini
output: out
geography:
  layers:
    lsoa: {embedded: lsoa11}
sources:
  t:
    files: data.csv
    columns: {postcode: pc}
stages: [read, geocode]
"""


def test_demo_spec_loads_and_resolves_relative_to_its_folder():
    spec = load_spec(DEMO)
    assert spec.name == "demo"
    assert spec.resolve(spec.output) == (ROOT / "reports" / "demo").resolve()
    assert spec.resolve(spec.synthetic.folder) == (ROOT / "data" / "demo").resolve()
    assert list(spec.geography.layers) == ["lsoa", "msoa", "ward2025", "ward2004", "ward2017"]


def test_minimal_spec(tmp_path):
    (tmp_path / "data.csv").write_text("pc\nBB2 1AA\n")
    spec = load_spec(_write(tmp_path, MINIMAL))
    assert spec.source_files(spec.sources["t"]) == [tmp_path / "data.csv"]
    assert spec.disclosure.policy == "nhs"


def test_unknown_key_named_with_line_and_suggestion(tmp_path):
    (tmp_path / "data.csv").write_text("pc\n")
    text = MINIMAL.replace("lsoa: {embedded: lsoa11}", "lsoa:\n      embeded: lsoa11")
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, text))
    message = str(info.value)
    assert "line 6, geography.layers.lsoa.embeded: unknown key. Did you mean 'embedded'?" in message


def test_wrong_type_and_unknown_stage_reported_together(tmp_path):
    (tmp_path / "data.csv").write_text("pc\n")
    text = MINIMAL.replace("stages: [read, geocode]", "stages: [read, geocod]\ndisclosure: {round_to: five}")
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, text))
    message = str(info.value)
    assert "line 10, stages: unknown stage 'geocod'. Did you mean 'geocode'?" in message
    assert "line 11, disclosure.round_to: Input should be a valid integer" in message


def test_missing_required_key(tmp_path):
    (tmp_path / "data.csv").write_text("pc\n")
    text = MINIMAL.replace("    columns: {postcode: pc}\n", "")
    with pytest.raises(SpecError, match=r"line 7, sources.t.columns: required key is missing"):
        load_spec(_write(tmp_path, text))


def test_missing_file_named(tmp_path):
    with pytest.raises(SpecError, match=r"line 8, sources.t.files: no file matches .*data.csv"):
        load_spec(_write(tmp_path, MINIMAL))


def test_missing_required_layer_file_but_optional_is_fine(tmp_path):
    (tmp_path / "data.csv").write_text("pc\n")
    text = MINIMAL.replace(
        "    lsoa: {embedded: lsoa11}", "    lsoa: {embedded: lsoa11}\n    w: {path: nowhere.geojson, code: X}"
    )
    with pytest.raises(SpecError, match=r"geography.layers.w.path: .*nowhere.geojson does not exist"):
        load_spec(_write(tmp_path, text))
    load_spec(_write(tmp_path, text.replace("code: X}", "code: X, optional: true}")))


def test_not_yaml_and_not_a_mapping(tmp_path):
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(_write(tmp_path, "name: [unclosed"))
    with pytest.raises(SpecError, match="a pipeline spec is a YAML mapping"):
        load_spec(_write(tmp_path, "- just a list"))


def test_postcode_field_is_required(tmp_path):
    (tmp_path / "data.csv").write_text("pc\n")
    text = MINIMAL.replace("columns: {postcode: pc}", "columns: {client_id: id}")
    with pytest.raises(SpecError, match="needs a 'postcode' field"):
        load_spec(_write(tmp_path, text))


def test_demo_spec_keys_are_all_known():
    # every stage in the demo is either built or planned; loading checks it, this guards the file itself
    stages = yaml.safe_load(DEMO.read_text())["stages"]
    assert stages[:2] == ["read", "validate"] and "maps" in stages
