from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from circles.cli import app
from tests.helpers import demo_spec_in

runner = CliRunner()


def test_key_new_writes_a_private_key_outside_the_repo(tmp_path):
    path = tmp_path / "circles.key"
    outcome = runner.invoke(app, ["key", "new", str(path)])
    assert outcome.exit_code == 0, outcome.output
    assert len(path.read_text().strip()) == 64
    assert "fingerprint" in outcome.output
    assert path.read_text().strip() not in outcome.output
    again = runner.invoke(app, ["key", "new", str(path)])
    assert again.exit_code == 2 and "exists" in again.output


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo without maps or optional files, run once through ``circles run`` for this module's tests: the
    folder holding the spec, the synthetic inputs and the report. A test that changes the report copies it."""
    folder = tmp_path_factory.mktemp("cli_demo")
    spec = demo_spec_in(folder, optional_present=False, maps=False)
    outcome = runner.invoke(app, ["run", str(spec), "--quiet"])
    assert outcome.exit_code == 0, outcome.output
    return folder


def test_audit_passes_the_demo_and_fails_on_a_planted_identifier(demo_run, tmp_path):
    report = shutil.copytree(demo_run / "report", tmp_path / "report")  # its manifest names the spec and inputs
    clean = runner.invoke(app, ["audit", str(report)])
    assert clean.exit_code == 0, clean.output
    assert "audit passed" in clean.output

    client = pd.read_csv(next((demo_run / "data" / "take_up").glob("*.csv")), dtype=str)["client_id"].iloc[0]
    table = report / "tables" / "msoa_areas.csv"
    table.write_text(table.read_text().replace("Blackburn with Darwen 001", client, 1))
    leaky = runner.invoke(app, ["audit", str(report)])
    assert leaky.exit_code == 1
    assert "tables/msoa_areas.csv" in leaky.output and "identifier" in leaky.output
    assert client not in leaky.output


def test_audit_without_a_manifest_says_what_to_do(tmp_path):
    outcome = runner.invoke(app, ["audit", str(tmp_path)])
    assert outcome.exit_code == 2
    assert "--spec" in outcome.output


def test_pack_renders_one_pack_from_a_report_and_audits_it(demo_run):
    spec = demo_run / "demo.yaml"
    pack = demo_run / "report" / "packs" / "hotspot_report.pdf"
    assert not pack.exists()  # the run had no packs stage
    outcome = runner.invoke(app, ["pack", "hotspot_report", "--pipeline", str(spec)])
    assert outcome.exit_code == 0, outcome.output
    assert pack.stat().st_size > 5_000
    wrong = runner.invoke(app, ["pack", "hotspots", "--pipeline", str(spec)])
    assert wrong.exit_code == 2 and "hotspot_report" in wrong.output


def test_run_engine_options_reach_the_runner(tmp_path):
    spec = demo_spec_in(tmp_path, optional_present=False, maps=False)
    bad = runner.invoke(app, ["run", str(spec), "--quiet", "--scheduler", "localhost:8786"])
    assert bad.exit_code == 2
    assert "--scheduler 'localhost:8786'" in bad.output and "tcp://host:8786" in bad.output
    wrong = runner.invoke(app, ["run", str(spec), "--quiet", "--engine", "spark"])
    assert wrong.exit_code == 2 and "choose 'pandas' or 'dask'" in wrong.output
    assert not (tmp_path / "report").exists()


def test_stages_lists_each_stage_with_its_contract():
    result = CliRunner().invoke(app, ["stages"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    names = [line.split(":")[0] for line in lines if not line.startswith(" ")]
    assert names[:6] == ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"]
    rates = lines.index(next(line for line in lines if line.startswith("rates:")))
    assert lines[rates + 1 : rates + 3] == ["    needs: area_counts", "    provides: rates"]
    assert "    section: services:" in lines


def test_inspect_prints_a_mapping_to_paste_and_no_identifying_value(tmp_path):
    extract = tmp_path / "extract.csv"
    extract.write_text("Client ID,Post Code,Service Name,Referral Date\nQX-99,BB1 1AA,Housing,03/04/2024\n")
    outcome = runner.invoke(app, ["inspect", str(extract), "--source", "housing"])
    assert outcome.exit_code == 0, outcome.output
    proposal = yaml.safe_load(outcome.output)
    columns = proposal["sources"]["housing"]["columns"]
    assert columns["client_id"] == {"column": "Client ID", "privacy": "pseudonymise"}
    assert columns["postcode"]["column"] == "Post Code" and columns["referral_date"]["date_formats"] == ["%d/%m/%Y"]
    assert "QX-99" not in outcome.output and "BB1 1AA" not in outcome.output
    missing = runner.invoke(app, ["inspect", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "nope.csv" in missing.output and "Traceback" not in missing.output


def test_init_makes_a_project_and_refuses_to_overwrite_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    outcome = runner.invoke(app, ["init", str(tmp_path / "study"), "--la", "E06000008"])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "study" / "pipeline.yaml").is_file() and (tmp_path / "study" / "data" / "extracts").is_dir()
    assert (tmp_path / "home" / ".config" / "circles" / "keys" / "study.key").is_file()
    before = (tmp_path / "study" / "pipeline.yaml").read_bytes()
    again = runner.invoke(app, ["init", str(tmp_path / "study")])
    assert again.exit_code == 2 and "pipeline.yaml" in again.output
    assert (tmp_path / "study" / "pipeline.yaml").read_bytes() == before


def test_check_validates_a_spec_and_a_sample_of_its_files_without_running(tmp_path):
    extract = tmp_path / "police.csv"
    extract.write_text("Person ID;Incident date;Postcode\nP1;03/04/2024;BB1 1AA\nP2;;BB2 2BB\n")
    spec = tmp_path / "spec.yaml"
    body = (
        "name: police\noutput: report\ngeography:\n  layers:\n    lsoa: {embedded: lsoa11}\n"
        "sources:\n  police:\n    files: police.csv\n    columns:\n      person_id: Person ID\n"
        "      postcode: {column: Postcode, type: postcode}\n"
        "      referral_date: {column: Incident date, type: date, date_formats: ['%d/%m/%Y']}\n"
        "      start_date: {column: Incident date, type: date}\n"
        "stages: [read, validate, geocode, assign_areas, aggregate]\nperson_field: person_id\n"
    )
    spec.write_text(body)
    doubled = runner.invoke(app, ["check", str(spec)])
    assert doubled.exit_code == 2 and "both read the column 'Incident date'" in doubled.output
    assert "start_date: {copy_of: referral_date}" in doubled.output
    spec.write_text(body.replace("{column: Incident date, type: date}", "{copy_of: referral_date}"))
    checked = runner.invoke(app, ["check", str(spec)])
    assert checked.exit_code == 0, checked.output
    assert "2 sampled" in checked.output and "1 row (line 3)" in checked.output  # the blank date, by its line
    assert "P2" not in checked.output and not (tmp_path / "report").exists()
