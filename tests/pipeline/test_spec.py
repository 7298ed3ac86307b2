from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from circles.errors import SpecError
from circles.pipeline.spec import load_spec
from tests.helpers import DEMO, PIPELINES, ROOT


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


# ------------------------------------------------------------------------------------ column origins (issue 24)

POLICE = """\
name: police
output: out
geography:
  layers:
    lsoa: {embedded: lsoa11}
sources:
  police:
    files: police.csv
    columns:
      postcode: Postcode
      referral_date: {column: Incident date, type: date}
      start_date: {column: Incident date, type: date}
stages: [read, validate]
"""


def _police(tmp_path: Path, text: str = POLICE, rows: str = "Postcode,Incident date\nBB2 1AA,01/04/2010\n") -> Path:
    (tmp_path / "police.csv").write_text(rows)
    return _write(tmp_path, text)


def test_one_column_feeding_two_fields_is_a_spec_error_at_the_second_fields_line(tmp_path):
    with pytest.raises(SpecError) as info:
        load_spec(_police(tmp_path))
    assert str(info.value) == (
        "Invalid pipeline spec:\n"
        f"  {tmp_path / 'spec.yaml'}, line 12, sources.police.columns.start_date: fields 'referral_date' and "
        "'start_date' both read the column 'Incident date'; one source column feeds one field. Map 'start_date' to "
        "its own column, or, if it really holds the same value, declare it a copy: start_date: {copy_of: "
        "referral_date}"
    )


def test_double_mapping_is_found_ignoring_case_and_spaces_as_the_reader_matches(tmp_path):
    text = POLICE.replace("start_date: {column: Incident date", "start_date: {column: ' incident DATE'")
    with pytest.raises(SpecError, match=r"line 12, sources.police.columns.start_date: fields 'referral_date' and"):
        load_spec(_police(tmp_path, text))


def test_copy_of_takes_the_fields_rules_unless_it_gives_its_own(tmp_path):
    text = POLICE.replace("start_date: {column: Incident date, type: date}", "start_date: {copy_of: referral_date}")
    columns = load_spec(_police(tmp_path, text)).sources["police"].column_specs()
    assert (columns["start_date"].type, columns["start_date"].copy_of, columns["start_date"].column) == (
        "date",
        "referral_date",
        None,
    )
    text = POLICE.replace(
        "start_date: {column: Incident date, type: date}", "start_date: {copy_of: referral_date, type: text}"
    )
    assert load_spec(_police(tmp_path, text)).sources["police"].column_specs()["start_date"].type == "text"


@pytest.mark.parametrize(
    ("copy", "message"),
    [
        (
            "{copy_of: referal_date}",
            "line 12, sources.police.columns.start_date.copy_of: no field 'referal_date' in this source to copy. "
            "Did you mean 'referral_date'? Fields: postcode, referral_date, start_date",
        ),
        (
            "{copy_of: start_date}",
            "line 12, sources.police.columns.start_date.copy_of: 'start_date' copies 'start_date', which is itself",
        ),
        (
            "{copy_of: referral_date, column: Incident date}",
            "line 12, sources.police.columns.start_date: give exactly one of 'column' (read from the file), 'value' "
            "(a constant for every row) or 'copy_of' (another field's value); this gives column and copy_of",
        ),
    ],
)
def test_copy_of_problems_named_with_their_line(tmp_path, copy, message):
    text = POLICE.replace("start_date: {column: Incident date, type: date}", f"start_date: {copy}")
    with pytest.raises(SpecError) as info:
        load_spec(_police(tmp_path, text))
    assert message in str(info.value)


def test_a_copy_of_a_copy_is_refused(tmp_path):
    text = POLICE.replace(
        "start_date: {column: Incident date, type: date}",
        "start_date: {copy_of: referral_date}\n      end_date: {copy_of: start_date}",
    )
    with pytest.raises(SpecError, match=r"line 13, .*end_date.copy_of: 'end_date' copies 'start_date', which is a "):
        load_spec(_police(tmp_path, text))


def test_unknown_key_lists_the_allowed_keys(tmp_path):
    (tmp_path / "data.csv").write_text("pc\n")
    text = MINIMAL.replace("lsoa: {embedded: lsoa11}", "lsoa: {embedded: lsoa11, cod: X}")
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, text))
    assert str(info.value) == (
        f"Invalid pipeline spec:\n  {tmp_path / 'spec.yaml'}, line 5, geography.layers.lsoa.cod: unknown key. Did "
        "you mean 'code'? Allowed: embedded, path, lookup, code, name, title, layer, directory, optional."
    )


def test_unknown_key_allowed_lists_use_the_yaml_names(tmp_path):
    # the lookup's keys are 'from', 'to' and 'name' in YAML (aliases), and spec_path is never a YAML key
    (tmp_path / "data.csv").write_text("pc\n")
    (tmp_path / "lu.csv").write_text("a,b\n")
    text = MINIMAL.replace(
        "    lsoa: {embedded: lsoa11}",
        "    lsoa: {embedded: lsoa11}\n    w: {lookup: {path: lu.csv, via: lsoa, from: a, to: b, nam: c}}",
    )
    with pytest.raises(SpecError, match=r"Allowed: path, via, from, to, name\."):
        load_spec(_write(tmp_path, text))
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, MINIMAL + "stagez: []\n"))
    assert "stagez: unknown key. Did you mean 'stages'? Allowed: name, description, output," in str(info.value)
    assert "spec_path" not in str(info.value)


def test_value_sets_a_constant_and_is_checked_once(tmp_path):
    text = POLICE.replace(
        "start_date: {column: Incident date, type: date}",
        "provider: {value: Lancashire Care}\n      service: Service Name",
    )
    spec = load_spec(_police(tmp_path, text))
    assert spec.sources["police"].column_specs()["provider"].value == "Lancashire Care"
    bad = text.replace("{value: Lancashire Care}", "{value: Lancs, type: category, allowed: [Lancashire Care]}")
    with pytest.raises(SpecError, match=r"line 12, sources.police.columns.provider: 'value' 'Lancs' is not one of "):
        load_spec(_police(tmp_path, bad))
    bad = text.replace("{value: Lancashire Care}", "{value: '31/02/2010', type: date}")
    with pytest.raises(SpecError, match=r"'value' '31/02/2010' is not a date in the column's date_formats"):
        load_spec(_police(tmp_path, bad))
    with pytest.raises(SpecError, match=r"'value' is blank"):
        load_spec(_police(tmp_path, text.replace("{value: Lancashire Care}", "{value: ' '}")))


def test_yaml_numbers_and_dates_given_as_values_become_text(tmp_path):
    text = POLICE.replace(
        "start_date: {column: Incident date, type: date}",
        "start_date: {value: 2010-04-01, type: date}\n      cohort: {value: 3, type: integer}",
    )
    columns = load_spec(_police(tmp_path, text)).sources["police"].column_specs()
    assert (columns["start_date"].value, columns["cohort"].value) == ("2010-04-01", "3")


BANDS = '["0-4", "5-9", "10-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]'


def test_age_years_needs_bands_that_do_not_overlap(tmp_path):
    ages = POLICE.replace("start_date: {column: Incident date, type: date}", "age_band: {column: Age, type: age_years}")
    with pytest.raises(SpecError, match=r"line 12, sources.police.columns.age_band: 'type: age_years' bands each age"):
        load_spec(_police(tmp_path, ages))
    load_spec(_police(tmp_path, ages.replace("type: age_years}", f"type: age_years, allowed: {BANDS}}}")))
    overlap = ages.replace("type: age_years}", 'type: age_years, allowed: ["0-17", "16-24", "25+"]}')
    with pytest.raises(SpecError, match=r"age bands '0-17' and '16-24' overlap: ages 16 to 17 would be in both"):
        load_spec(_police(tmp_path, overlap))
    unreadable = ages.replace("type: age_years}", 'type: age_years, allowed: ["young", "old"]}')
    with pytest.raises(SpecError, match=r"age band 'young' is not understood"):
        load_spec(_police(tmp_path, unreadable))


def test_age_years_takes_the_bands_of_the_same_field_in_another_source(tmp_path):
    (tmp_path / "other.csv").write_text("Postcode,Band\nBB2 1AA,18-24\n")
    text = POLICE.replace(
        "start_date: {column: Incident date, type: date}", "age_band: {column: Age, type: age_years}"
    ).replace(
        "stages:",
        f"  other:\n    files: other.csv\n    columns:\n      postcode: Postcode\n"
        f"      age_band: {{column: Band, type: category, allowed: {BANDS}}}\nstages:",
    )
    spec = load_spec(_police(tmp_path, text))
    assert spec.sources["police"].column_specs()["age_band"].allowed[-1] == "65+"


def test_starter_records_spec_loads_once_its_extract_exists(tmp_path):
    text = (PIPELINES / "starter_records.yaml").read_text()
    assert "    files: data/extracts/*.csv" in text
    (tmp_path / "take_up.csv").write_text(
        "Client ID,Family ID,Postcode,Service,Age,Sex,Referral Date,End Date\nC1,F1,BB2 1AA,Early Help,17,F,"
        "01/04/2010,\n"
    )
    path = tmp_path / "starter.yaml"
    path.write_text(text.replace("    files: data/extracts/*.csv", f"    files: {tmp_path / 'take_up.csv'}"))
    spec = load_spec(path)
    columns = spec.sources["take_up"].column_specs()
    assert columns["age_band"].type == "age_years" and columns["provider"].value == "Your provider"
    assert columns["start_date"].type == "date" and spec.stages[-1] == "packs"
    assert set(spec.sections()) >= {"pseudonymisation", "deprivation"} and spec.coding is None
    with pytest.raises(SpecError, match=r"sources.take_up.files: no file matches"):
        load_spec(PIPELINES / "starter_records.yaml")
