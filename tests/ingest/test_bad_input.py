"""Bad inputs: every file in ``tests/data/bad/`` run through ingest and geocoding, checked against ``expected.yaml``.

The rule under test: every input row is accepted or quarantined with a reason; a whole-file problem stops the
run with a clear message naming the file (and the row or column where it matters), writes nothing, and never
shows a traceback. The files and their expectations are written by ``tests/data/make_bad_inputs.py`` (see its
docstring for the format of ``expected.yaml``). A case marked ``xfail`` there is a known library bug: its test
asserts the correct behaviour and is expected to fail until the bug is fixed (strictly: a fix makes it pass,
and then the mark must go).
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from circles.cli import app
from circles.errors import CirclesError
from circles.pipeline.runner import run_pipeline
from tests.helpers import DATA

BAD = DATA / "bad"
EXPECTED = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
CASES: dict[str, dict[str, Any]] = EXPECTED["cases"]
FORMULA_START = ("=", "+", "-", "@")
COUNTS = ("read", "accepted", "quarantined")


def write_spec(folder: Path, name: str, case: dict[str, Any]) -> Path:
    """A minimal spec reading one corpus file: ingest, pseudonymise, geocode and place in the embedded LSOAs."""
    columns = copy.deepcopy(EXPECTED["layouts"][case["layout"]]) | case.get("columns", {})
    source: dict[str, Any] = {"files": str(BAD / name), "columns": columns}
    if "sheet" in case:
        source["sheet"] = case["sheet"]
    spec = {
        "name": "bad-input",
        "output": str(folder / "report"),
        "geography": {
            "postcode_directory": "embedded",
            "study_area": ["E06000008"],
            "layers": {"lsoa": {"embedded": "lsoa11"}},
        },
        "sources": {"agency": source},
        "stages": ["read", "validate", "pseudonymise", "geocode", "assign_areas"],
        "ingest": {"reference_date": EXPECTED["reference_date"]},
        "pseudonymisation": {"key": "demo", "scope": "circles-bad-input-tests"},
        "disclosure": {"policy": "nhs"},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def leaks(text: str, case: dict[str, Any]) -> list[str]:
    """The identifiers and full postcodes written into the case's file that appear in ``text``."""
    found = []
    folded = text.casefold()
    for value in (v.strip() for v in case["identifiers"]):
        digits = re.sub(r"[\s-]", "", value)
        if value.casefold() in folded:
            found.append(value)
        elif re.fullmatch(r"[0-9]{10}", digits) and re.search(
            r"(?<![0-9])" + r"[\s-]?".join(digits) + r"(?![0-9])", text
        ):
            found.append(value)
    compact = re.sub(r"\s+", "", text).upper()
    found += [pc for pc in case["postcodes"] if re.sub(r"\s+", "", pc).upper() in compact]
    return found


def csv_cells(path: Path) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))) for cell in row]


def _params() -> list[Any]:
    return [
        pytest.param(name, case, id=name, marks=[pytest.mark.xfail(strict=True, reason=case["xfail"])])
        if "xfail" in case
        else pytest.param(name, case, id=name)
        for name, case in CASES.items()
    ]


@pytest.mark.parametrize(("name", "case"), _params())
def test_bad_input(name: str, case: dict[str, Any], tmp_path: Path) -> None:
    spec = write_spec(tmp_path, name, case)

    if "error" in case:
        with pytest.raises(CirclesError, match=case["error"]) as caught:
            run_pipeline(spec, quiet=True)
        message = str(caught.value)
        assert name in message, "the message must name the file"
        assert leaks(message, case) == [], "the message must not repeat personal data from the file"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"], "nothing may be written"
        return

    result = run_pipeline(spec, quiet=True)
    manifest = result.manifest
    rows = manifest["rows"]
    assert {k: rows[k] for k in COUNTS} == {k: case[k] for k in COUNTS}
    assert rows["read"] == rows["accepted"] + rows["quarantined"]
    assert manifest["quarantine_reasons"] == case["reasons"]

    quarantine = list(csv.DictReader(io.StringIO((result.output_dir / "quarantine.csv").read_text(encoding="utf-8"))))
    reasons_by_row: dict[str, set[str]] = {}
    for entry in quarantine:
        reasons_by_row.setdefault(entry["source_row"], set()).add(entry["reason"])
    assert {row: sorted(r) for row, r in reasons_by_row.items()} == case["quarantine"]

    (source,) = manifest["inputs"]
    assert source["file"] == name
    assert {k: source.get(k) for k in case.get("input", {})} == case.get("input", {})
    for pattern in case.get("warnings", []):
        assert any(re.search(pattern, w) for w in manifest["warnings"]), (pattern, manifest["warnings"])

    for path in sorted(p for p in result.output_dir.rglob("*") if p.is_file()):
        if path.suffix in (".csv", ".json"):
            assert leaks(path.read_text(encoding="utf-8"), case) == [], f"personal data in {path.name}"
        if path.suffix == ".csv":
            risky = [cell for cell in csv_cells(path) if cell.startswith(FORMULA_START)]
            assert risky == [], f"{path.name} has cells a spreadsheet would run as formulas"


@pytest.mark.parametrize("name", ["empty.csv", "misspelt_column.csv"])
def test_cli_reports_a_bad_file_without_a_traceback(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    outcome = CliRunner().invoke(app, ["run", str(write_spec(tmp_path, name, case)), "--quiet"])
    assert outcome.exit_code == 2, outcome.output
    assert re.search(case["error"], outcome.output)
    assert f"error: {BAD / name}" in outcome.output
    assert "Traceback" not in outcome.output
    assert not (tmp_path / "report").exists()


def test_every_file_has_an_expectation_and_the_corpus_is_small() -> None:
    files = sorted(p.name for p in BAD.iterdir() if p.is_file() and p.name != "expected.yaml")
    assert files == sorted(CASES)
    assert len(files) >= 32
    assert sum((BAD / f).stat().st_size for f in files) < 200_000
    for name, case in CASES.items():
        assert ("error" in case) != all(k in case for k in COUNTS), name


def _same_parquet(a: Path, b: Path) -> bool:
    try:
        return pq.read_table(a).equals(pq.read_table(b), check_metadata=True)
    except Exception:  # not Parquet at all: the bytes had to match
        return False


def _same_workbook(a: Path, b: Path) -> bool:
    import openpyxl

    def content(path: Path) -> list:
        book = openpyxl.load_workbook(path)
        return [
            (
                ws.title,
                sorted(str(r) for r in ws.merged_cells.ranges),
                [[c.value for c in row] for row in ws.iter_rows()],
            )
            for ws in book.worksheets
        ]

    return content(a) == content(b)


def test_the_corpus_is_exactly_what_the_script_writes(tmp_path: Path) -> None:
    """Nobody edits the fixtures by hand: the script reproduces every committed file byte for byte.

    Parquet files are compared by content (schema, types and values) when their bytes differ, because the
    footer records the version of the library that wrote them; workbooks likewise (sheets, cells, formulas and
    merged ranges), because openpyxl's XML differs with and without lxml installed.
    """
    loader = importlib.util.spec_from_file_location("make_bad_inputs", DATA / "make_bad_inputs.py")
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    module.write(tmp_path)
    fresh = sorted(p.name for p in tmp_path.iterdir())
    assert fresh == sorted(p.name for p in BAD.iterdir() if p.is_file())
    for name in fresh:
        same = (tmp_path / name).read_bytes() == (BAD / name).read_bytes()
        if not same and name.endswith(".parquet"):
            same = _same_parquet(tmp_path / name, BAD / name)
        if not same and name.endswith(".xlsx") and not name.startswith("not_really"):
            same = _same_workbook(tmp_path / name, BAD / name)
        assert same, f"tests/data/bad/{name} is not what the script writes: run python tests/data/make_bad_inputs.py"
