"""Reading the Change stage's files: every row accepted or quarantined with its line, column and reason."""

from __future__ import annotations

import pandas as pd
import pytest

from circles.change.outcomes import keep_cohort_families, read_cohort, read_family_needs, read_outcomes
from circles.errors import ChangeError

COHORT = (
    "family_id,group,start_date,age_band,lsoa_code,ward_code,lead_practitioner,whole_family_plan,closed_date\n"
    "F1,pilot,2011-04-01,25-34,E01012579,E05001621,yes,yes,2012-01-31\n"
    "F2,Comparison,2011-04-01,35-44,E01012600,E05001622,,,\n"
    "F3,pilot,01/04/2011,25-34,E01012579,E05001621,yes,maybe,\n"
    "F1,pilot,2011-04-01,25-34,E01012579,E05001621,yes,yes,\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cohort_rows_are_accepted_or_quarantined_with_line_column_and_reason(tmp_path):
    table = read_cohort(write(tmp_path, "cohort.csv", COHORT))
    assert table.frame["family_id"].tolist() == ["F1", "F2"]
    assert table.frame["group"].tolist() == ["pilot", "comparison"]
    assert table.frame["lead_practitioner"].tolist() == [True, False]
    assert table.frame["closed_date"].iloc[0] == pd.Timestamp("2012-01-31") and pd.isna(
        table.frame["closed_date"].iloc[1]
    )
    reasons = table.quarantine.set_index(["source_row", "field"])["reason"].to_dict()
    assert reasons == {
        ("cohort.csv:4", "start_date"): "not a date (YYYY-MM-DD)",
        ("cohort.csv:4", "whole_family_plan"): "not yes or no",
        ("cohort.csv:5", "family_id"): "duplicate family_id",
    }
    assert table.read == 4 and table.accepted == 2
    assert table.read == table.accepted + table.quarantine["source_row"].nunique()


def test_a_missing_column_is_an_error_naming_the_file_and_the_column(tmp_path):
    path = write(tmp_path, "cohort.csv", "family_id,start_date\nF1,2011-04-01\n")
    with pytest.raises(ChangeError, match=r"cohort.csv: the cohort file has no 'group' column"):
        read_cohort(path)


def test_outcomes_parse_months_and_values_and_quarantine_the_rest(tmp_path):
    text = (
        "family_id,period,measure,value\nF1,2011-03,ae_attendances,2\nF1,2011-13,ae_attendances,1\n"
        "F1,2011-04,police_incidents,-1\nF9,2011-04,ae_attendances,1\nF1,2011-03,ae_attendances,3\n"
    )
    table = read_outcomes(write(tmp_path, "outcomes.csv", text))
    assert table.frame["period"].tolist() == [pd.Period("2011-03", "M"), pd.Period("2011-04", "M")]
    assert table.frame["value"].tolist() == [2.0, 1.0]
    assert table.quarantine["reason"].tolist() == [
        "not a month (YYYY-MM)",
        "not a number of 0 or more",
        "duplicate family_id and period and measure",
    ]
    cohort = read_cohort(write(tmp_path, "cohort.csv", COHORT))
    kept = keep_cohort_families(table, cohort)
    assert kept.frame["family_id"].tolist() == ["F1"]
    assert kept.quarantine["reason"].iloc[-1] == "family not in the cohort"
    assert kept.quarantine["source_row"].iloc[-1] == "outcomes.csv:5"


def test_family_needs_outcomes_must_be_one_of_three(tmp_path):
    text = (
        "family_id,headline_outcome,identified_date,outcome,outcome_date,sustained_to\n"
        "F1,housing,2011-05-01,positive,2011-09-01,2012-09-30\nF1,health,2011-05-01,better,,\n"
    )
    table = read_family_needs(write(tmp_path, "needs.csv", text))
    assert table.frame["headline_outcome"].tolist() == ["housing"]
    assert table.frame["sustained_to"].iloc[0] == pd.Timestamp("2012-09-30")
    assert table.quarantine["reason"].tolist() == ["not positive, not yet or worse"]
