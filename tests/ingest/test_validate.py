from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circles.ingest.validate import (
    age_bands,
    flag_duplicates,
    normalise_nhs_numbers,
    parse_ages,
    parse_dates,
    parse_integers,
    validate_records,
)
from circles.pipeline.spec import ColumnSpec

TODAY = dt.date(2011, 6, 1)


def _frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"source_file": "a.csv", "source_row": [f"a.csv:{i + 2}" for i in range(n)], **columns})


def test_dates_uk_iso_excel_and_impossible():
    parsed = parse_dates(pd.Series(["01/04/2010", "2010-04-02", "40269", "31/02/2010", "2010-13-01", "", "1/4/10"]))
    assert parsed.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2010-04-01", "2010-04-02", "2010-04-01"]
    assert parsed[3:].isna().all()


def test_mixed_formats_in_one_column_each_parse():
    parsed = parse_dates(pd.Series(["2010-04-01", "02/04/2010", "40271", "2010-04-04 00:00:00"]))
    assert parsed.dt.day.tolist() == [1, 2, 3, 4]


def test_integers_refuse_scientific_and_decimals():
    assert parse_integers(pd.Series(["7", "-2", "1e3", "7.0", "seven", ""])).tolist() == [
        7,
        -2,
        pd.NA,
        pd.NA,
        pd.NA,
        pd.NA,
    ]


def _nhs(nine: str) -> str:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return nine + ("0" if check == 11 else str(check)) if check != 10 else ""


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_property_nhs_check_digit(nine):
    number = _nhs(nine)
    if not number:  # check digit 10: no valid number has these nine digits
        for last in "0123456789":
            assert not normalise_nhs_numbers(pd.Series([nine + last]))[1].iloc[0]
        return
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    digits, ok = normalise_nhs_numbers(pd.Series([number, spaced, number[:9] + str((int(number[9]) + 1) % 10)]))
    assert ok.tolist() == [True, True, False]
    assert digits.iloc[1] == number


@given(st.dates(min_value=dt.date(1900, 1, 2), max_value=dt.date(2100, 12, 31)))
def test_property_every_date_round_trips_through_each_format(day):
    for text in (day.strftime("%d/%m/%Y"), day.isoformat(), str((day - dt.date(1899, 12, 30)).days)):
        assert parse_dates(pd.Series([text])).iloc[0].date() == day


COLUMNS = {
    "client_id": ColumnSpec(column="id", privacy="pseudonymise"),
    "nhs_number": ColumnSpec(column="nhs", type="nhs_number", required=False, privacy="pseudonymise"),
    "date_of_birth": ColumnSpec(column="dob", type="date", required=False, privacy="drop"),
    "referral_date": ColumnSpec(column="ref", type="date"),
    "sex": ColumnSpec(column="sex", type="category", allowed=["F", "M"]),
    "age": ColumnSpec(column="age", type="integer", required=False, minimum=0),
    "service": ColumnSpec(column="svc", max_length=30),
}


def test_every_failure_is_collected_with_a_reason():
    frame = _frame(
        client_id=["C1", "", "C3", "C4", "C5", "C6", "C7", "C8"],
        nhs_number=["943 476 5919", "", "9434765918", "", "", "", "", ""],
        date_of_birth=["", "", "", "01/01/2012", "", "", "", ""],
        referral_date=[
            "01/04/2010",
            "01/04/2010",
            "01/04/2010",
            "01/04/2010",
            "31/02/2010",
            "01/07/2011",
            "01/04/2010",
            "01/04/2010",
        ],
        sex=["f", "M", "F", "F", "F", "F", "Q", "M"],
        age=["34", "", "", "", "", "", "-3", "1e2"],
        service=["GP", "GP", "GP", "GP", "GP", "GP", "GP", "x" * 31],
    )
    result = validate_records(frame, COLUMNS, today=TODAY)
    got = sorted(
        zip(result.quarantine["source_row"], result.quarantine["reason"], result.quarantine["field"], strict=True)
    )
    assert got == [
        ("a.csv:3", "missing_value", "client_id"),
        ("a.csv:4", "invalid_nhs_number", "nhs_number"),
        ("a.csv:5", "date_order", "referral_date"),
        ("a.csv:5", "future_date", "date_of_birth"),
        ("a.csv:6", "invalid_date", "referral_date"),
        ("a.csv:7", "future_date", "referral_date"),
        ("a.csv:8", "negative_value", "age"),
        ("a.csv:8", "not_allowed", "sex"),
        ("a.csv:9", "invalid_integer", "age"),
        ("a.csv:9", "too_long", "service"),
    ]
    assert result.records["source_row"].tolist() == ["a.csv:2"]
    row = result.records.iloc[0]
    assert row["sex"] == "F" and row["nhs_number"] == "9434765919" and row["age"] == 34
    assert row["referral_date"] == pd.Timestamp("2010-04-01")
    assert result.failures["future_date"] == 2


def test_messages_mask_personal_values():
    frame = _frame(
        client_id=["C1"],
        nhs_number=["9434765918"],
        date_of_birth=[""],
        referral_date=["01/04/2010"],
        sex=["F"],
        age=[""],
        service=["GP"],
    )
    message = validate_records(frame, COLUMNS, today=TODAY).quarantine["message"].iloc[0]
    assert "9434765918" not in message and "9999999999" in message


def test_duplicates_flagged_kept_or_dropped():
    recs = _frame(
        client_id=["C1", "C1", "c1 ", "C2"],
        service=["GP", "GP", "GP", "GP"],
        referral_date=pd.to_datetime(["2010-04-01"] * 3 + ["2010-04-01"]),
    )
    kept, quarantine, n = flag_duplicates(recs, ["client_id", "service", "referral_date"], drop=False)
    assert n == 2 and kept["duplicate"].tolist() == [False, True, True, False] and quarantine.empty
    kept, quarantine, n = flag_duplicates(recs, ["client_id", "service", "referral_date"], drop=True)
    assert kept["source_row"].tolist() == ["a.csv:2", "a.csv:5"]
    assert quarantine["reason"].tolist() == ["duplicate", "duplicate"]
    assert quarantine["message"].str.contains("a.csv:2").all()


@pytest.mark.parametrize("value", ["=1+1", "NA", "None", "null"])
def test_text_that_looks_special_is_kept_as_text(value):
    frame = _frame(
        client_id=["C1"],
        nhs_number=[""],
        date_of_birth=[""],
        referral_date=["01/04/2010"],
        sex=["F"],
        age=[""],
        service=[value],
    )
    assert validate_records(frame, COLUMNS, today=TODAY).records["service"].tolist() == [value]


def test_placeholder_identifiers_are_blank_not_one_person():
    columns = {
        "client_id": ColumnSpec(column="id", privacy="pseudonymise"),
        "family_id": ColumnSpec(column="fam", privacy="pseudonymise", required=False),
    }
    frame = _frame(client_id=["NULL", "unknown", "C1"], family_id=["N/A", "F1", "0"])
    result = validate_records(frame, columns, today=TODAY)
    assert result.quarantine["reason"].tolist() == ["missing_value", "missing_value"]
    assert result.records["client_id"].tolist() == ["C1"]
    assert result.records["family_id"].isna().tolist() == [True]


# ------------------------------------------------------------------------------------ ages in years (issue 24)

BANDS = ["0-4", "5-9", "10-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
AGES = {"age_band": ColumnSpec(column="Age", type="age_years", allowed=BANDS, required=False)}


def test_parse_ages_accepts_whole_years_written_as_extracts_write_them():
    assert parse_ages(pd.Series(["45", "45.0", " 45 ", "+7", "-3", "45.5", "4 5", "abc", ""])).tolist() == [
        45,
        45,
        45,
        7,
        -3,
        pd.NA,
        pd.NA,
        pd.NA,
        pd.NA,
    ]


def test_ages_are_banded_at_the_edges_and_only_the_band_is_kept():
    ages = ["0", "4", "5", "17", "18", "24", "64", "65", "120", "45.0", " 33 ", ""]
    result = validate_records(_frame(age_band=ages), AGES, today=TODAY)
    assert result.quarantine.empty
    assert result.records["age_band"].tolist() == [
        "0-4",
        "0-4",
        "5-9",
        "16-17",
        "18-24",
        "18-24",
        "55-64",
        "65+",
        "65+",
        "45-54",
        "25-34",
        pd.NA,
    ]
    assert str(result.records["age_band"].dtype) == "string"


def test_bad_ages_are_quarantined_naming_row_and_column_never_the_age():
    result = validate_records(_frame(age_band=["121", "abc", "-1", "45.5", "30"]), AGES, today=TODAY)
    got = result.quarantine[["source_row", "field", "reason", "message"]].values.tolist()
    assert got == [
        ["a.csv:2", "age_band", "age_out_of_range", "Field 'age_band' (column 'Age') is not an age from 0 to 120: "
         "masked, shape '999'."],
        ["a.csv:3", "age_band", "invalid_age", "Field 'age_band' (column 'Age') is not an age in whole years: "
         "masked, shape 'AAA'."],
        ["a.csv:4", "age_band", "age_out_of_range", "Field 'age_band' (column 'Age') is not an age from 0 to 120: "
         "masked, shape '-9'."],
        ["a.csv:5", "age_band", "invalid_age", "Field 'age_band' (column 'Age') is not an age in whole years: "
         "masked, shape '99.9'."],
    ]  # fmt: skip
    assert result.records["age_band"].tolist() == ["25-34"]
    assert result.failures == {"age_out_of_range": 2, "invalid_age": 2}


def test_an_age_in_no_band_is_quarantined_and_a_required_blank_age_names_its_column():
    adults = {"age_band": ColumnSpec(column="Age", type="age_years", allowed=["18-24", "25-64", "65+"])}
    result = validate_records(_frame(age_band=["12", "", "30"]), adults, today=TODAY)
    assert result.quarantine["reason"].tolist() == ["age_outside_bands", "missing_value"]
    assert result.quarantine["message"].tolist() == [
        "Field 'age_band' (column 'Age'): the age is in none of the bands 18-24, 25-64, 65+.",
        "Required field 'age_band' (column 'Age' in a.csv) is blank.",
    ]
    assert result.records["age_band"].tolist() == ["25-64"]


def test_age_bands_read_ons_labels_and_refuse_overlaps():
    assert age_bands(["under 18", "18 to 64", "65 and over"]) == [
        (0, 17, "under 18"),
        (18, 64, "18 to 64"),
        (65, None, "65 and over"),
    ]
    with pytest.raises(ValueError, match=r"age bands '60\+' and '65\+' overlap: ages 65 and over would be in both"):
        age_bands(["0-59", "60+", "65+"])
    with pytest.raises(ValueError, match=r"age bands '16' and '16-17' overlap: age 16 would be in both"):
        age_bands(["16", "16-17"])


# ------------------------------------------------------------------------------------ blank columns (issue 24)


def test_a_required_column_blank_in_every_row_of_a_file_is_named_with_its_file():
    columns = {
        "referral_date": ColumnSpec(column="Incident date", type="date"),
        "start_date": ColumnSpec(copy_of="referral_date", type="date"),
    }
    frame = pd.DataFrame(
        {
            "source_file": ["police.csv", "police.csv", "health.csv", "health.csv"],
            "source_row": ["police.csv:2", "police.csv:3", "health.csv:2", "health.csv:3"],
            "referral_date": ["", "", "", "01/04/2010"],
            "start_date": ["", "", "", "01/04/2010"],
        }
    )
    quarantine = validate_records(frame, columns, today=TODAY).quarantine
    messages = dict(zip(quarantine["source_row"] + " " + quarantine["field"], quarantine["message"], strict=True))
    assert messages["police.csv:2 referral_date"] == (
        "Required field 'referral_date' (column 'Incident date' in police.csv) is blank in every row of the file: "
        "check the column mapping."
    )
    assert messages["health.csv:2 referral_date"] == (
        "Required field 'referral_date' (column 'Incident date' in health.csv) is blank."
    )
    assert messages["police.csv:3 start_date"] == (
        "Required field 'start_date' (copy of 'referral_date', column 'Incident date' in police.csv) is blank in "
        "every row of the file: check the column mapping."
    )
