from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from circles.errors import CirclesError, GeographyError
from circles.geo.populations import AGE_BANDS, age_band_label, parse_age_band, parse_age_label, read_population

# MID2020 and WARD2021 are embedded (geo/, byte-identical to ../shared); AGE6 is only in ../shared
MID2020 = "population_lsoa11_mid2020_bwd.csv"
WARD2021 = "population_ward2025_census2021_bwd.csv"
AGE6 = "population_lsoa_census2021_age6.csv"


# ------------------------------------------------------------------------------------------ real BwD files


def test_mid2020_syoa_totals(embedded_geo: Path):
    everyone = read_population(embedded_geo / MID2020, code="lsoa11_code")
    adults = read_population(embedded_geo / MID2020, code="lsoa11_code", age_band="18+")
    assert everyone.sum() == 150_030
    assert adults.sum() == 111_377
    assert len(everyone) == 91 and everyone.index.is_unique
    assert everyone.name == "population" and everyone.index.name == "area_code"
    assert everyone.dtype == "int64"
    assert everyone["E01012571"] == 1815
    assert adults.attrs["age_band"] == "18+" and adults.attrs["columns"][0] == "18"
    assert adults.attrs["columns"][-1] == "90+"


def test_mid2020_bands_add_up(embedded_geo: Path):
    path = embedded_geo / MID2020
    children = read_population(path, code="lsoa11_code", age_band="0-17")
    adults = read_population(path, code="lsoa11_code", age_band=(18, None))
    assert (children + adults).sum() == 150_030
    working = read_population(path, code="lsoa11_code", age_band="16-64")
    assert (
        working.sum()
        == read_population(path, code="lsoa11_code", age_band="16+").sum()
        - read_population(path, code="lsoa11_code", age_band="65+").sum()
    )


def test_ward_census2021_nomis_totals_ignore_subtotals(embedded_geo: Path):
    everyone = read_population(embedded_geo / WARD2021, code="ward_code", layout="nomis_ts007")
    adults = read_population(embedded_geo / WARD2021, code="ward_code", layout="nomis_ts007", age_band="18+")
    assert everyone.sum() == 154_758  # summing every column would count each person about twice
    assert adults.sum() == 114_970
    assert len(everyone) == 17
    assert "Aged 5 to 9 years" not in everyone.attrs["columns"]
    assert everyone.attrs["columns"][0] == "Aged under 1 year"
    assert everyone.attrs["columns"][-1] == "Aged 100 years and over"
    assert everyone.attrs["layout"] == "nomis_ts007"


def test_lsoa_census2021_age_groups(shared_geo: Path):
    everyone = read_population(shared_geo / AGE6, code="lsoa21_code", layout="age_groups")
    assert everyone.sum() == 154_714
    assert len(everyone) == 91
    over16 = read_population(shared_geo / AGE6, code="lsoa21_code", layout="age_groups", age_band="16+")
    under16 = read_population(shared_geo / AGE6, code="lsoa21_code", layout="age_groups", age_band="0-15")
    assert (over16 + under16).equals(everyone)
    explicit = read_population(
        shared_geo / AGE6,
        code="lsoa21_code",
        layout="age_groups",
        group_column="age_group",
        value_column="usual_residents",
    )
    assert explicit.equals(everyone)


def test_age_groups_band_must_align_with_groups(shared_geo: Path):
    with pytest.raises(GeographyError) as info:
        read_population(shared_geo / AGE6, code="lsoa21_code", layout="age_groups", age_band="18+")
    message = str(info.value)
    assert AGE6 in message
    assert "'18+'" in message and "Aged 16 to 24 years" in message
    assert "start at 0, 16, 25, 35, 50, 65" in message
    assert "'16+'" in message  # a named band the file can give


def test_missing_code_column_suggests_nearest(shared_geo: Path):
    with pytest.raises(GeographyError, match=r"Did you mean 'lsoa21_code'") as info:
        read_population(shared_geo / AGE6, code="lsoa_code", layout="age_groups")
    assert "code=" in str(info.value)


def test_wrong_layout_says_what_to_try(embedded_geo: Path):
    with pytest.raises(GeographyError, match="nomis_ts007"):
        read_population(embedded_geo / WARD2021, code="ward_code", layout="syoa")
    with pytest.raises(GeographyError, match="layout='syoa' or 'nomis_ts007'"):
        read_population(embedded_geo / WARD2021, code="ward_code", layout="age_groups")


def test_band_past_open_top_group(embedded_geo: Path):
    with pytest.raises(GeographyError, match="'90\\+' is open-ended"):
        read_population(embedded_geo / MID2020, code="lsoa11_code", age_band="85-94")
    with pytest.raises(GeographyError, match="age 95 falls inside the group '90\\+'"):
        read_population(embedded_geo / MID2020, code="lsoa11_code", age_band="95+")


# ------------------------------------------------------------------------------------------ small files


def _write(tmp_path: Path, text: str, name: str = "pop.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_area_codes(tmp_path: Path):
    path = _write(tmp_path, "code,0,1+\nA,1,2\nB,3,4\nA,5,6\n")
    with pytest.raises(GeographyError, match=r"'A' .* more than once \(pop.csv:2, pop.csv:4\)"):
        read_population(path, code="code")


def test_negative_and_non_numeric_counts_name_the_row(tmp_path: Path):
    path = _write(tmp_path, "code,0,1+\nA,1,2\nB,-3,4\n")
    with pytest.raises(GeographyError, match=r"pop.csv:3, column '0' holds '-3'"):
        read_population(path, code="code")
    path = _write(tmp_path, "code,0,1+\nA,1,two\n")
    with pytest.raises(GeographyError, match=r"pop.csv:2, column '1\+' holds 'two'"):
        read_population(path, code="code")
    path = _write(tmp_path, "code,0,1+\nA,1,\n")
    with pytest.raises(GeographyError, match=r"pop.csv:2, column '1\+' is blank"):
        read_population(path, code="code")
    path = _write(tmp_path, "code,0,1+\nA,1.5,2\n")
    with pytest.raises(GeographyError, match="not a whole number"):
        read_population(path, code="code")


def test_blank_area_code(tmp_path: Path):
    path = _write(tmp_path, "code,0,1+\nA,1,2\n,3,4\n")
    with pytest.raises(GeographyError, match="pop.csv:3 has no area code"):
        read_population(path, code="code")


def test_thousands_separators_and_title_lines(tmp_path: Path):
    text = 'Table title from Nomis\n\ncode,0,1+\nA,"1,200",800\n'
    assert read_population(_write(tmp_path, text), code="code").to_dict() == {"A": 2000}


def test_plain_and_written_out_counts_read_alike(tmp_path: Path):
    """Plain digits (spaces around, thousands commas) are cast by Arrow; a column holding '7.0' or '0.0' is read
    cell by cell. Both give the same whole numbers."""
    plain = _write(tmp_path, 'code,0,1+\nA, 7 ,"1,200"\nB,3,0\n', name="plain.csv")
    written = _write(tmp_path, 'code,0,1+\nA,7.0,"1,200"\nB,+3,0.0\n', name="written.csv")
    assert read_population(plain, code="code").to_dict() == {"A": 1207, "B": 3}
    assert read_population(written, code="code").to_dict() == {"A": 1207, "B": 3}
    assert read_population(written, code="code", age_band="1+").to_dict() == {"A": 1200, "B": 0}


def test_missing_single_year_and_missing_open_top(tmp_path: Path):
    with pytest.raises(GeographyError, match=r"missing for age\(s\) 1"):
        read_population(_write(tmp_path, "code,0,2,3+\nA,1,1,1\n"), code="code")
    with pytest.raises(GeographyError, match="no open top group"):
        read_population(_write(tmp_path, "code,0,1,2\nA,1,1,1\n"), code="code")


def test_total_column_is_checked(tmp_path: Path):
    path = _write(tmp_path, "code,total_population,0,1+\nA,10,4,6\nB,10,4,5\n")
    with pytest.raises(GeographyError, match=r"pop.csv:3: the age columns add up to 9 but 'total_population' says 10"):
        read_population(path, code="code")
    assert read_population(path, code="code", check_total=False).to_dict() == {"A": 10, "B": 9}


def test_nomis_labels_with_download_prefix(tmp_path: Path):
    header = [
        "geography code",
        "Age: Total; measures: Value",
        "Age: Aged under 1 year; measures: Value",
        "Age: Aged 1 year; measures: Value",
        "Age: Aged 2 years; measures: Value",
        "Age: Aged 1 to 2 years; measures: Value",
        "Age: Aged 3 years and over; measures: Value",
    ]
    path = _write(tmp_path, ",".join(header) + "\nE05000001,20,1,2,3,5,14\n")
    pop = read_population(path, code="geography code", layout="nomis_ts007")
    assert pop.to_dict() == {"E05000001": 20}
    assert read_population(path, code="geography code", layout="nomis_ts007", age_band="2+").iloc[0] == 17


def test_long_table_problems(tmp_path: Path):
    missing = "code,age_group,n\nA,0-15,5\nA,16+,6\nB,0-15,7\n"
    with pytest.raises(GeographyError, match=r"area 'B' has no row for age group\(s\) '16\+'"):
        read_population(_write(tmp_path, missing), code="code", layout="age_groups")
    repeated = "code,age_group,n\nA,0-15,5\nA,16+,6\nA,16+,7\n"
    with pytest.raises(GeographyError, match=r"'A' has more than one row for '16\+'"):
        read_population(_write(tmp_path, repeated), code="code", layout="age_groups")
    overlapping = "code,age_group,n\nA,0-15,5\nA,10-19,6\nA,20+,7\n"
    with pytest.raises(GeographyError, match="overlap"):
        read_population(_write(tmp_path, overlapping), code="code", layout="age_groups")
    gap = "code,age_group,n\nA,0-15,5\nA,18+,6\n"
    with pytest.raises(GeographyError, match="no age group covers age 16"):
        read_population(_write(tmp_path, gap), code="code", layout="age_groups")
    bad_label = "code,age_group,n\nA,0-15,5\nA,adults,6\n"
    with pytest.raises(GeographyError, match="pass group_column"):
        read_population(_write(tmp_path, bad_label), code="code", layout="age_groups")
    with pytest.raises(GeographyError, match=r"pop.csv:3, column 'age_group': 'adults'"):
        read_population(_write(tmp_path, bad_label), code="code", layout="age_groups", group_column="age_group")


def test_unknown_layout_and_bad_band(tmp_path: Path):
    path = _write(tmp_path, "code,0,1+\nA,1,2\n")
    with pytest.raises(GeographyError, match="Did you mean 'syoa'"):
        read_population(path, code="code", layout="soya")  # type: ignore[arg-type]
    with pytest.raises(GeographyError, match="not understood"):
        read_population(path, code="code", age_band="adults")


def test_errors_are_circles_errors(tmp_path: Path):
    with pytest.raises(CirclesError):
        read_population(tmp_path / "absent.csv", code="code")


# ----------------------------------------------------------------------------------------------- parsing


def test_parse_age_band():
    assert parse_age_band("all") == (0, None)
    assert parse_age_band("18+") == (18, None)
    assert parse_age_band("16-64") == (16, 64)
    assert parse_age_band("16 to 64") == (16, 64)
    assert parse_age_band("17") == (17, 17)
    assert parse_age_band((5, None)) == (5, None)
    assert all(parse_age_band(name) == band for name, band in AGE_BANDS.items())
    for bad in ["64-16", (-1, 5), (5, 2), "teenagers", (1.5, 3)]:
        with pytest.raises(GeographyError):
            parse_age_band(bad)  # type: ignore[arg-type]


def test_parse_age_label():
    assert parse_age_label("Aged under 1 year") == (0, 0)
    assert parse_age_label("Aged 1 year") == (1, 1)
    assert parse_age_label("Aged 57 years") == (57, 57)
    assert parse_age_label("Aged 100 years and over") == (100, None)
    assert parse_age_label("Aged 4 years and under") == (0, 4)
    assert parse_age_label("Aged 16 to 24 years") == (16, 24)
    assert parse_age_label("90+") == (90, None)
    assert parse_age_label("Total: All usual residents") is None
    assert parse_age_label("ward_code") is None


def test_age_band_label_round_trip():
    for band in [(0, None), (18, None), (16, 64), (3, 3)]:
        assert parse_age_band(age_band_label(band)) == band


def test_population_maps_onto_area_codes(embedded_geo: Path):
    pop = read_population(embedded_geo / MID2020, code="lsoa11_code")
    table = pd.DataFrame({"area_code": ["E01012571", "E01012572"]})
    assert table["area_code"].map(pop).tolist() == [1815, 1510]
