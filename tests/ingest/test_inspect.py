"""inspect_extract: the proposed column mapping, date formats, categories and problem rows of an agency extract."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from circles.errors import SourceError
from circles.ingest import ExtractInspection, inspect_extract, match_headers, sniff_date_formats, validate_records
from circles.io.readers import map_columns, read_source
from circles.pipeline.spec import SourceSpec

HEADER = [
    "Client Ref",
    "Forename",
    "Surname",
    "NHS No",
    "DOB",
    "Gender",
    "Post Code",
    "Address Line 1",
    "Service Name",
    "Referred By",
    "Referral Date",
    "Start",
    "Discharge Date",
    "Outcome",
    "Keyworker",
    "Contact Email",
]
# fmt: off
ROWS = [  # file line 2 onwards (the header is line 1)
    ["CL00017", "Aisha", "Khan", "943 476 5919", "14/07/1983", "Female", "BB2 3DD", "12 Acacia Avenue",
     "Alcohol Treatment", "GP", "03/04/2024", "45390", "", "Ongoing", "Jo Bloggs", "aisha@example.org"],
    ["CL00018", "Tomasz", "Nowak", "", "02/11/1979", "Male", "bb1 1aa", "3 Mill Lane",
     "Family Support", "Self", "25/04/2024", "45400", "21/06/2024", "Completed", "Jo Bloggs", "tn@example.org"],
    ["CL00019", "Grace", "Okafor", "9434765918", "30/01/1990", "Female", "BB10 9XZ", "7 Church Street",
     "Alcohol Treatment", "Police", "31/02/2024", "45401", "", "Ongoing", "Sam Carer", "grace@example.org"],
    ["CL00020", "Derek", "Hughes", "", "19/08/1965", "Male", "BB3", "41 Park Road",
     "Housing Options", "GP", "not known", "45402", "28/06/2024", "Disengaged", "Sam Carer", "dh@example.org"],
    ["CL00021", "Priya", "Shah", "", "05/05/2001", "Female", "", "9 Oak Close",
     "Family Support", "Self", "12/05/2024", "45403", "", "Ongoing", "Jo Bloggs", "ps@example.org"],
    ["CL00022", "Ellen", "Walsh", "", "23/12/1958", "Female", "BB2 3DD", "12 Acacia Avenue",
     "Housing Options", "GP", "14/05/2024", "45404", "", "Ongoing", "Sam Carer", "ew@example.org"],
]
# fmt: on
IDENTIFYING = [
    *(row[i] for row in ROWS for i in (0, 1, 2, 4, 7, 14, 15)),
    "943 476 5919",
    "9434765919",
    "9434765918",
    "BB2 3DD",
    "BB1 1AA",
    "BB10 9XZ",
    "BB3",
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = HEADER, title: str | None = None) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        if title is not None:
            handle.write(title + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def spec_from(inspection: ExtractInspection, source: str = "take_up") -> SourceSpec:
    """The to_yaml block, parsed as YAML and validated by the pipeline's own model."""
    document = yaml.safe_load(inspection.to_yaml(source))
    assert list(document) == ["sources"] and list(document["sources"]) == [source]
    return SourceSpec.model_validate(document["sources"][source])


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "take_up_2024-06.csv", ROWS)


# ------------------------------------------------------------------------------------------------ headers


def test_headers_match_by_name_synonym_and_fuzzy_match():
    found = match_headers(
        ["Client ID", "NHS No", "D.O.B.", "Gender", "Service Name", "Referal Date", "post_code", "Team", "Ethnicity"]
    )
    assert {f: m.column for f, m in found.items()} == {
        "client_id": "Client ID",
        "nhs_number": "NHS No",
        "sex": "Gender",
        "postcode": "post_code",
        "service": "Service Name",
        "provider": "Team",
        "referral_date": "Referal Date",
        "date_of_birth": "D.O.B.",
    }
    assert (found["client_id"].how, found["postcode"].how, found["sex"].how) == ("name", "synonym", "synonym")
    fuzzy = found["referral_date"]
    assert fuzzy.how == "fuzzy" and 0.9 < fuzzy.score < 1 and fuzzy.matched == "referral_date"
    assert "Ethnicity" not in {m.column for m in found.values()}


@pytest.mark.parametrize("header", ["Postcode", "Post Code", "PostCode", "POST_CODE", " post-code ", "Postcode (home)"])
def test_postcode_spellings(header):
    assert match_headers([header])["postcode"].column == header


def test_a_header_is_used_once_and_the_most_specific_synonym_wins():
    found = match_headers(["ID", "Surname", "Forename", "Client ID", "Address Line 2", "Address Line 1"])
    assert found["client_id"].column == "Client ID"  # not the bare "ID"
    assert found["name"].column == "Forename"  # one column per field: "Surname" is left over
    assert found["address"].column == "Address Line 1"  # a synonym beats a fuzzy match ("Address Line 2")
    assert len({m.column for m in found.values()}) == len(found)


def test_fuzzy_match_must_be_borne_out_by_the_values(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["BB1 1AA", "Yes"], ["BB2 3DD", "No"]], header=["Postcode", "Start Dte"])
    assert "start_date" in match_headers(["Postcode", "Start Dte"])  # the header alone matches ...
    inspection = inspect_extract(path)
    assert "start_date" not in inspection.mapping  # ... but 'Yes' and 'No' are not dates
    assert inspection.unmatched_columns == ("Start Dte",)


def test_postcode_column_found_by_its_values(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["C1", "BB1 1AA"], ["C2", "bb23dd"], ["C3", "M1 1AE"]], header=["Ref", "Zip"])
    inspection = inspect_extract(path)
    match = inspection.mapping["postcode"]
    assert (match.column, match.how, match.score) == ("Zip", "values", 1.0)
    assert "found 'Zip' by its values: 100% are valid UK postcodes" in inspection.to_yaml()


# ------------------------------------------------------------------------------------------------ the YAML


def test_yaml_is_a_valid_source_spec_with_privacy_rules(messy):
    inspection = inspect_extract(messy)
    spec = spec_from(inspection)
    columns = {name: col.model_dump(exclude_defaults=True) for name, col in spec.column_specs().items()}
    assert columns == {
        "client_id": {"column": "Client Ref", "privacy": "pseudonymise"},
        "nhs_number": {"column": "NHS No", "type": "nhs_number", "required": False, "privacy": "pseudonymise"},
        "sex": {"column": "Gender", "type": "category", "allowed": ["Female", "Male"]},
        "postcode": {"column": "Post Code", "type": "postcode"},
        "service": {"column": "Service Name"},
        "referral_source": {"column": "Referred By"},
        "referral_date": {"column": "Referral Date", "type": "date", "date_formats": ["%d/%m/%Y"]},
        "start_date": {"column": "Start", "type": "date", "date_formats": ["excel"]},
        "end_date": {"column": "Discharge Date", "type": "date", "required": False, "date_formats": ["%d/%m/%Y"]},
        "outcome": {"column": "Outcome"},
        "date_of_birth": {
            "column": "DOB",
            "type": "date",
            "required": False,
            "date_formats": ["%d/%m/%Y"],
            "privacy": "drop",
        },
        "name": {"column": "Forename", "required": False, "privacy": "drop"},
        "address": {"column": "Address Line 1", "required": False, "privacy": "drop"},
    }
    assert spec.files == str(messy.resolve()) and spec.sheet is None
    assert inspection.unmatched_columns == ("Surname", "Keyworker", "Contact Email")


def test_yaml_comments_explain_the_guesses(messy):
    text = inspect_extract(messy).to_yaml()
    assert (
        "postcode: {column: Post Code, type: postcode}  # matched 'Post Code' by synonym; 4 distinct, 1 blank" in text
    )
    assert "# matched 'Gender' by synonym" in text
    assert "2 of 6 dates did not parse: rows 4, 5" in text
    assert "1 value(s) with day and month both 12 or less" in text and "read day first" in text
    assert "1 of 5 postcodes are not valid UK postcodes: row 5" in text
    assert "values: 'Alcohol Treatment' (2), 'Family Support' (2), 'Housing Options' (2)" in text
    assert "1 of 2 are not valid NHS numbers: row 4" in text
    unmatched = text.split("# Columns not mapped")[1]
    assert "'Keyworker': 6 values, 2 distinct, 0 blank (values not shown" in unmatched
    problems = text.split("# Rows of the sample that could not be read or parsed")[1]
    assert "row 4, 'NHS No': invalid_nhs_number" in problems
    assert "row 4, 'Referral Date': invalid_date: not a date in dd/mm/yyyy (shape '99/99/9999')" in problems
    assert "row 5, 'Referral Date': invalid_date: not a date in dd/mm/yyyy (shape 'AAA AAAAA')" in problems
    assert "row 6, 'Post Code': missing_value" in problems


def test_identifying_values_never_appear(messy):
    inspection = inspect_extract(messy)
    text = inspection.to_yaml().casefold()
    for value in IDENTIFYING:
        assert value.casefold() not in text, value
        assert value.casefold() not in repr(inspection).casefold(), value
    assert "@" not in text
    for column in ("Client Ref", "Forename", "Surname", "NHS No", "DOB", "Post Code", "Keyworker", "Contact Email"):
        assert column not in inspection.categories
    assert inspection.profiles["Client Ref"].distinct == 6 and inspection.profiles["Client Ref"].blank == 0
    assert (inspection.profiles["NHS No"].distinct, inspection.profiles["NHS No"].blank) == (2, 4)
    assert inspection.profiles["Address Line 1"].distinct == 5
    identifying = {c for c, p in inspection.profiles.items() if p.identifying}
    assert identifying == {*HEADER[:5], "Post Code", "Address Line 1", "Keyworker", "Contact Email"}


def test_categories_for_low_cardinality_columns_only(tmp_path):
    rows = [[f"C{i}", "BB1 1AA", ["GP", "Self"][i % 2], f"free text note number {i}"] for i in range(30)]
    inspection = inspect_extract(write_csv(tmp_path / "a.csv", rows, header=["Client ID", "Postcode", "Source", "X"]))
    assert inspection.categories == {"Source": (("GP", 15), ("Self", 15))}
    assert inspection.profiles["X"].hidden == "more than 20 distinct values"


# ------------------------------------------------------------------------------------------------ dates


def test_date_formats_sniffed_with_day_first_ambiguity():
    sniff = sniff_date_formats(["03/04/2024", "25/04/2024", "2024-05-01", "", "1/2/2024"], [2, 3, 4, 5, 6])
    assert sniff.parsed == (("%d/%m/%Y", 3), ("%m/%d/%Y", 2), ("%Y-%m-%d", 1))
    assert sniff.suggested == ("%d/%m/%Y", "%Y-%m-%d")
    assert (sniff.ambiguous, sniff.order, sniff.unparsed_rows, sniff.values) == (2, "day_first", (), 4)
    assert any("read day first, as UK extracts are" in note for note in sniff.notes())


def test_month_first_and_mixed_dates_are_told_apart():
    us = sniff_date_formats(["04/25/2024", "12/31/2023", "03/04/2024"])
    assert (us.suggested, us.order) == (("%m/%d/%Y",), "month_first")
    mixed = sniff_date_formats(["04/25/2024", "25/04/2024"])
    assert (set(mixed.suggested), mixed.order) == ({"%m/%d/%Y", "%d/%m/%Y"}, "mixed")


def test_excel_serials_and_other_layouts():
    sniff = sniff_date_formats(["45383", "45384", "20240401", "01.04.2024", "x"])
    assert dict(sniff.parsed) == {"excel": 2, "%Y%m%d": 1, "%d.%m.%Y": 1}
    assert sniff.suggested == ("excel", "%d.%m.%Y", "%Y%m%d") and sniff.unparsed_rows == (5,)
    assert sniff_date_formats(["45383"], excel=False).suggested == ()


def test_inspection_flags_the_rows_the_pipeline_will_quarantine(messy):
    """The dates inspection says will not parse are the rows the pipeline's validation quarantines."""
    inspection = inspect_extract(messy)
    spec = spec_from(inspection)
    columns = spec.column_specs()
    table = read_source(messy, expected=[c.column for c in columns.values()])
    frame = map_columns(
        table.frame,
        {n: c.column for n, c in columns.items()},
        required={n for n, c in columns.items() if c.required},
        file=messy.name,
    )
    quarantine = validate_records(frame, columns, today=dt.date(2024, 12, 31)).quarantine
    bad_dates = quarantine.loc[quarantine["reason"] == "invalid_date", "source_row"].tolist()
    found = [f"{messy.name}:{p.row}" for p in inspection.problems if p.reason == "invalid_date"]
    assert found == bad_dates == [f"{messy.name}:4", f"{messy.name}:5"]


# ------------------------------------------------------------------------------------------------ rows


def test_csv_rows_numbered_as_in_the_file(tmp_path):
    rows = [["C1", "BB1 1AA", "01/04/2024"], ["C2", "BB1 1AA"], ["C3", "BB1 1AA", "2024-99-01"], ["NULL", "XX", ""]]
    path = write_csv(tmp_path / "a.csv", rows, header=["Client ID", "Postcode", "Referral Date"], title="Extract")
    inspection = inspect_extract(path)
    assert inspection.info["header_line"] == 2
    assert [(p.row, p.column, p.reason) for p in inspection.problems] == [
        (4, "(line)", "wrong_field_count"),
        (5, "Referral Date", "invalid_date"),
        (6, "Client ID", "missing_value"),
        (6, "Postcode", "invalid_postcode"),
    ]
    assert inspection.profiles["Client ID"].placeholders == 1
    assert (inspection.rows_read, inspection.rows_inspected) == (4, 4)


def test_xlsx_rows_numbered_as_sheet_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    book.create_sheet("Notes")
    sheet.append(["Referrals 2024/25"])
    sheet.append([])
    sheet.append(["Person ID", "Postcode", "Date of\nReferral", "Age Group", "Start"])
    for i in range(8):
        referral = dt.datetime(2024, 4, 1 + i) if i != 5 else "32/04/2024"
        sheet.append([f"P{i}", "BB1 1AA" if i != 2 else "BB1", referral, ["18-24", "25-34"][i % 2], 45383 + i])
    path = tmp_path / "cases.xlsx"
    book.save(path)

    inspection = inspect_extract(path)
    assert (inspection.format, inspection.sheet, inspection.info["header_row"]) == ("xlsx", "Cases", 3)
    assert [(p.row, p.column, p.reason) for p in inspection.problems] == [
        (6, "Postcode", "invalid_postcode"),
        (9, "Date of\nReferral", "invalid_date"),
    ]
    spec = spec_from(inspection)
    assert spec.sheet == "Cases"
    columns = spec.column_specs()
    assert columns["referral_date"].column == "Date of\nReferral"  # a line break in a header survives the YAML
    assert columns["referral_date"].date_formats == ["%Y-%m-%d"]  # Excel date cells are read as ISO dates
    assert columns["start_date"].date_formats == ["excel"]
    assert columns["age_band"].allowed == ["18-24", "25-34"]
    assert "rows 9" not in inspection.to_yaml() and "1 of 8 dates did not parse: row 9" in inspection.to_yaml()


def test_sample_rows_limits_what_is_inspected(tmp_path):
    rows = [[f"C{i}", "BB1 1AA" if i != 30 else "nope"] for i in range(50)]
    inspection = inspect_extract(write_csv(tmp_path / "a.csv", rows, header=["Client ID", "Postcode"]), sample_rows=10)
    assert (inspection.rows_read, inspection.rows_inspected) == (50, 10)
    assert inspection.problems == () and inspection.postcodes is not None and inspection.postcodes.checked == 10
    assert "# 10 of 50 rows inspected" in inspection.to_yaml()


# ------------------------------------------------------------------------------------------------ odd files


def test_no_postcode_column_gives_a_placeholder_the_spec_still_accepts(tmp_path):
    inspection = inspect_extract(write_csv(tmp_path / "a.csv", [["C1", "GP"]], header=["Client ID", "Source"]))
    assert spec_from(inspection).columns["postcode"].column == "FILL IN: the postcode column"
    assert "no postcode column found" in inspection.to_yaml()


def test_repeated_header_is_not_mapped(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["C1", "BB1 1AA", "BB2 3DD"]], header=["Client ID", "Postcode", "Postcode"])
    inspection = inspect_extract(path)
    assert "postcode" not in inspection.mapping
    assert any("'Postcode' more than once" in note for note in inspection.notes)
    spec_from(inspection)


def test_header_repeated_in_the_rows_is_a_problem_not_a_missing_header(tmp_path):
    rows = [["C1", "BB1 1AA"], ["Client ID", "Postcode"], ["C2", "BB2 3DD"]]
    inspection = inspect_extract(write_csv(tmp_path / "joined.csv", rows, header=["Client ID", "Postcode"]))
    assert [(p.row, p.reason) for p in inspection.problems] == [(3, "repeated_header"), (3, "invalid_postcode")]
    assert "row 3: repeated_header: the header row again (files joined together?)" in inspection.to_yaml()


def test_header_only_file(tmp_path):
    inspection = inspect_extract(write_csv(tmp_path / "a.csv", [], header=["Client ID", "Postcode"]))
    assert set(inspection.mapping) == {"client_id", "postcode"} and inspection.rows_inspected == 0
    assert spec_from(inspection).column_specs()["postcode"].column == "Postcode"


def test_missing_file(tmp_path):
    (tmp_path / "take_up.csv").write_text("Client ID,Postcode\n")
    with pytest.raises(SourceError, match=r"take_upp\.csv: no such file\. Did you mean 'take_up\.csv'\?"):
        inspect_extract(tmp_path / "take_upp.csv")
    with pytest.raises(SourceError, match="is a folder: give one file"):
        inspect_extract(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(SourceError, match=r"empty\.csv: the file is empty\. Export it again with its header row"):
        inspect_extract(tmp_path / "empty.csv")


def test_unreadable_xlsx(tmp_path):
    (tmp_path / "renamed.xlsx").write_text("Client ID,Postcode\nC1,BB1 1AA\n")
    with pytest.raises(SourceError, match=r"renamed\.xlsx: not an Excel workbook .* save it as 'Excel Workbook"):
        inspect_extract(tmp_path / "renamed.xlsx")
    with zipfile.ZipFile(tmp_path / "broken.xlsx", "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(SourceError, match=r"broken\.xlsx: cannot open it as an Excel workbook .* save it again"):
        inspect_extract(tmp_path / "broken.xlsx")


def test_missing_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Extract"
    book.save(tmp_path / "b.xlsx")
    with pytest.raises(SourceError, match=r"no sheet 'Extrct'\. Did you mean 'Extract'\?"):
        inspect_extract(tmp_path / "b.xlsx", sheet="Extrct")


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([["C1", "Aisha Khan", "BB2 3DD", "14/07/1983"], ["C2", "Tom Roe", "BB1 1AA", "02/11/1979"]], "a postcode"),
        ([["Aisha Khan", "F", "Alcohol"], ["Tom Roe", "M", "Alcohol"], ["Jo Day", "F", "Housing"]], "recurs"),
    ],
)
def test_no_header_row(tmp_path, rows, why):
    path = write_csv(tmp_path / "nohead.csv", rows, header=None)
    with pytest.raises(SourceError, match=rf"nohead\.csv: the first row does not look like column names.*{why}") as err:
        inspect_extract(path)
    assert "Export it again with its header row" in str(err.value)
    assert "Aisha" not in str(err.value) and "BB2" not in str(err.value)  # the data row is not echoed


def test_sample_rows_must_be_positive(messy):
    with pytest.raises(Exception, match="at least one row"):
        inspect_extract(messy, sample_rows=0)


def test_a_column_of_ages_in_years_is_proposed_as_age_years_with_bands(tmp_path):
    path = tmp_path / "ages.csv"
    ages = ["17", "18", "65", "45.0", "130", "33", "", "71", "40", "29", "8"]
    path.write_text("Client ID,Postcode,Age at referral\n" + "".join(f"C{i},BB2 1AA,{a}\n" for i, a in enumerate(ages)))
    found = inspect_extract(path)
    assert (found.mapping["age_band"].column, found.mapping["age_band"].how) == ("Age at referral", "values")
    spec = spec_from(found).column_specs()["age_band"]
    assert (spec.column, spec.type, spec.allowed[0], spec.allowed[-1]) == ("Age at referral", "age_years", "0-4", "65+")
    assert [(p.row, p.reason) for p in found.problems] == [(6, "invalid_age")]
    text = found.to_yaml()
    assert "ages in whole years: only the band of 'allowed' each falls in is kept" in text
    assert "1 are not ages from 0 to 120: row 6" in text
    assert "'71'" not in text and "(71)" not in text  # an exact age is never listed


def test_an_age_band_header_holding_bands_stays_a_category(tmp_path):
    path = tmp_path / "bands.csv"
    path.write_text("Postcode,Age Band\n" + "BB2 1AA,18-24\nBB2 1AA,65+\n" * 3)
    spec = spec_from(inspect_extract(path)).column_specs()["age_band"]
    assert (spec.type, spec.allowed) == ("category", ["18-24", "65+"])
