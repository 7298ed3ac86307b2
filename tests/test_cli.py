from __future__ import annotations

import pandas as pd
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


def test_audit_passes_the_demo_and_fails_on_a_planted_identifier(tmp_path):
    spec = demo_spec_in(tmp_path, optional_present=False, maps=False)
    assert runner.invoke(app, ["run", str(spec), "--quiet"]).exit_code == 0
    report = tmp_path / "report"
    clean = runner.invoke(app, ["audit", str(report)])
    assert clean.exit_code == 0, clean.output
    assert "audit passed" in clean.output

    client = pd.read_csv(next((tmp_path / "data" / "take_up").glob("*.csv")), dtype=str)["client_id"].iloc[0]
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


def test_pack_renders_one_pack_from_a_report_and_audits_it(tmp_path):
    spec = demo_spec_in(tmp_path, optional_present=False, maps=False)
    assert runner.invoke(app, ["run", str(spec), "--quiet"]).exit_code == 0
    outcome = runner.invoke(app, ["pack", "hotspot_report", "--pipeline", str(spec)])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "report" / "packs" / "hotspot_report.pdf").stat().st_size > 5_000
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
