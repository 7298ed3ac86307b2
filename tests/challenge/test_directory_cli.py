"""``circles directory``: import, export and validate (issue 17, part 5), driven with typer's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.hsds import import_hsds
from circles.cli_directory import directory_app
from tests.helpers import DATA, PIPELINES

runner = CliRunner()
DEMO = PIPELINES / "demo_services.yaml"
CODEBOOK = PIPELINES / "demo_codebook.yaml"


def test_export_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "hsds"
    result = runner.invoke(directory_app, ["export", str(DEMO), "--to", str(out), "--codebook", str(CODEBOOK)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'datapackage.json'}" in result.output
    assert "15 services" in result.output
    assert import_hsds(out).equals(read_services_yaml(DEMO, codebook=CODEBOOK))
    result = runner.invoke(directory_app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "services.csv: 15 rows, 0 problems" in result.output
    assert "0 problems against the official descriptor (hsds)" in result.output
    assert "tables not read: programs.csv" in result.output


def test_export_uk_profile(tmp_path: Path) -> None:
    result = runner.invoke(directory_app, ["export", str(DEMO), "--to", str(tmp_path), "--profile", "uk"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "address.csv").is_file()
    result = runner.invoke(directory_app, ["validate", str(tmp_path), "--profile", "uk"])
    assert result.exit_code == 0, result.output
    assert "0 problems against the official descriptor (uk)" in result.output


def test_validate_reports_problems_and_exits_1() -> None:
    result = runner.invoke(directory_app, ["validate", str(DATA / "hsds" / "hsds3_plural")])
    assert result.exit_code == 1
    assert "  - services.csv, row 1, column 'id': type is \"string/uuid\" (value 'svc-1')." in result.output
    assert "columns not read:" in result.output


def test_import_summarises_what_was_left_out() -> None:
    result = runner.invoke(directory_app, ["import", str(DATA / "hsds" / "oruk_v1")])
    assert result.exit_code == 0, result.output
    assert "tables not read: contacts.csv" in result.output
    assert "services.csv: 2 rows; columns not read:" in result.output


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "service.json"
    bad.write_text(json.dumps({"id": "s1", "name": "x", "status": "open"}))
    result = runner.invoke(directory_app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "status: 'open' is not one of" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    shutil.copytree(DATA / "hsds" / "hsds3_plural", tmp_path / "p")
    result = runner.invoke(
        directory_app, ["export", str(tmp_path / "p"), "--to", str(tmp_path / "o"), "--profile", "us"]
    )
    assert result.exit_code == 2
    assert "profile 'us' is not one of hsds, uk" in result.output
