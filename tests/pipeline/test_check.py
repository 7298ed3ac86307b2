"""``check_spec``: the spec and a sample of every source file, read and validated as a run would, writing nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from circles.errors import SpecError
from circles.pipeline import SpecCheck, check_spec, load_spec
from circles.pipeline.stages.ingest import read_file

TODAY = dt.date(2011, 6, 1)
SPEC = """\
name: police
output: out
geography:
  layers:
    lsoa: {embedded: lsoa11}
sources:
  police:
    files: police.csv
    columns:
      client_id: {column: Ref, privacy: pseudonymise}
      postcode: {column: Postcode, type: postcode}
      service: {value: Police}
      referral_date: {column: Incident date, type: date}
      start_date: {copy_of: referral_date}
      end_date: {column: Closed, type: date, required: false}
      age_band:
        column: Age
        type: age_years
        allowed: ["0-4", "5-9", "10-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
pseudonymisation: {key: demo, scope: test}
stages: [read, validate, pseudonymise]
"""
GOOD = "Ref,Incident date,Postcode,Age\nP1,01/04/2010,BB2 1AA,17\nP2,02/04/2010,BB2 1AA,18\nP3,03/04/2010,BB2 1AA,65\n"


def _spec(tmp_path: Path, rows: str, text: str = SPEC) -> Path:
    (tmp_path / "police.csv").write_text(rows)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_read_file_sets_constants_and_copies_before_validation(tmp_path):
    spec = load_spec(_spec(tmp_path, GOOD))
    mapped, unreadable, entry = read_file(spec, "police", tmp_path / "police.csv")
    assert list(mapped.columns) == [
        "source_file",
        "source_row",
        "source",
        "client_id",
        "postcode",
        "service",
        "referral_date",
        "start_date",
        "end_date",
        "age_band",
    ]
    assert mapped["service"].tolist() == ["Police"] * 3
    assert (
        mapped["start_date"].tolist() == mapped["referral_date"].tolist() == ["01/04/2010", "02/04/2010", "03/04/2010"]
    )
    assert mapped["end_date"].tolist() == [""] * 3 and unreadable.empty and entry["rows"] == 3


def test_a_good_extract_checks_ok(tmp_path):
    result = check_spec(_spec(tmp_path, GOOD), today=TODAY)
    assert isinstance(result, SpecCheck) and result.ok and result.problems == []
    (checked,) = result.files
    assert (checked.rows_read, checked.rows_sampled, checked.rows_quarantined, checked.failures) == (3, 3, 0, ())
    assert checked.notes == ("optional field 'end_date': column 'Closed' is not in the file, so the field is blank.",)
    text = result.format()
    assert text.startswith(f"{tmp_path / 'spec.yaml'}: the spec is valid. 1 file(s) checked, the first 1,000 rows")
    assert "  header on line 1; 3 rows, 3 sampled; 0 of the sampled rows would be quarantined" in text
    assert text.endswith("OK: every file can be read and mapped, and every sampled row passes.")
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_bad_extract_reports_reasons_counts_and_rows_never_values(tmp_path):
    rows = "Ref,Incident date,Postcode,Age\n" + "".join(
        f"SECRET{i},,BB2 1AA,{age}\n" for i, age in enumerate(["17", "121", "abc", "30", "-4", "40", "50"])
    )
    result = check_spec(_spec(tmp_path, rows), today=TODAY)
    assert not result.ok
    (checked,) = result.files
    failures = {(f.field, f.reason): (f.rows, f.first_rows) for f in checked.failures}
    assert failures == {
        ("age_band", "age_out_of_range"): (2, ("3", "6")),
        ("age_band", "invalid_age"): (1, ("4",)),
        ("referral_date", "missing_value"): (7, ("2", "3", "4", "5", "6")),
        ("start_date", "missing_value"): (7, ("2", "3", "4", "5", "6")),
    }
    assert result.problems == [
        "police, police.csv: every sampled row fails missing_value on 'referral_date' (column 'Incident date'): "
        "check the column mapping and its rules",
        "police, police.csv: every sampled row fails missing_value on 'start_date' (copy of 'referral_date', column "
        "'Incident date'): check the column mapping and its rules",
    ]
    text = result.format()
    assert "    referral_date (column 'Incident date'): missing_value, 7 rows (lines 2, 3, 4, 5, 6, ...)" in text
    assert "    age_band (column 'Age'): invalid_age, 1 row (line 4)" in text
    assert "2 problem(s):" in text
    for value in ("SECRET", "BB2 1AA", "121", "abc"):
        assert value not in text


def test_a_missing_column_is_named_with_a_suggestion_and_a_sample_is_a_sample(tmp_path):
    result = check_spec(_spec(tmp_path, GOOD.replace("Incident date", "Incident dt")), today=TODAY)
    assert result.problems == [
        "police, police.csv: missing required column 'Incident date' for field 'referral_date' (Did you mean "
        "'Incident dt'?). Columns found: Ref, Incident dt, Postcode, Age. Fix the column mapping in the pipeline "
        "spec or the file's header."
    ]
    assert "police: police.csv\n  cannot be read and mapped: see the problems below" in result.format()
    many = "Ref,Incident date,Postcode,Age\n" + "P,01/04/2010,BB2 1AA,30\n" * 1500
    (checked,) = check_spec(_spec(tmp_path, many), sample=1000, today=TODAY).files
    assert (checked.rows_read, checked.rows_sampled) == (1500, 1000)
    assert [(f.reason, f.rows) for f in checked.failures] == [("duplicate", 999)]  # reported, not a problem


def test_spec_errors_are_raised_as_a_run_reports_them(tmp_path):
    text = SPEC.replace("start_date: {copy_of: referral_date}", "start_date: {column: Incident date, type: date}")
    with pytest.raises(SpecError, match=r"line 14, sources.police.columns.start_date: fields 'referral_date' and"):
        check_spec(_spec(tmp_path, GOOD, text))
