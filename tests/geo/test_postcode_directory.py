"""Postcode directories as councils download them: ONSPD and NSPL editions, CSV or zip, quoted or not."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from circles.errors import GeographyError
from circles.geo.postcode_directory import read_postcode_directory

EMBEDDED = read_postcode_directory()


def _onspd_like(n: int = 50) -> pd.DataFrame:
    sample = EMBEDDED.head(n).copy()
    outward_inward = sample["pcds"].str.split(" ", n=1, expand=True)
    frame = pd.DataFrame(
        {
            "pcd": outward_inward[0].str.pad(4, side="right") + outward_inward[1],
            "pcd2": outward_inward[0].str.pad(5, side="right") + outward_inward[1],
            "pcds": sample["pcds"],
            "dointr": "198001",
            "doterm": [""] * (n - 2) + ["201904", "202003"],
            "oseast1m": sample["oseast1m"].astype(int).astype(str),
            "osnrth1m": sample["osnrth1m"].astype(int).astype(str),
            "oslaua": "E06000008",
            "osward": "E05011508",
            "lsoa11": [f"E01{i:06d}" for i in range(n)],
            "msoa11": "E02002611",
            "lat": "53.7",
            "long": "-2.48",
        }
    )
    frame.loc[3, ["oseast1m", "osnrth1m", "lat"]] = ["", "", "99.999999"]  # no grid reference
    return frame


@pytest.mark.parametrize("quoting", [0, 1])  # csv.QUOTE_MINIMAL, csv.QUOTE_ALL
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_onspd_csv_any_quoting_and_line_end(tmp_path, quoting, line_end):
    path = tmp_path / "ONSPD_NOV_2025_UK.csv"
    _onspd_like().to_csv(path, index=False, quoting=quoting, lineterminator=line_end)
    directory = read_postcode_directory(path)
    assert len(directory) == 50
    assert directory["pcds"].tolist() == EMBEDDED["pcds"].head(50).tolist()
    assert directory["doterm"].notna().sum() == 2
    assert pd.isna(directory.loc[3, "oseast1m"])  # lat 99.999999: no grid reference
    assert directory.loc[0, "oseast1m"] == EMBEDDED.loc[0, "oseast1m"]
    assert {"osward", "lsoa11", "msoa11"} <= set(directory.columns)


def test_zip_as_downloaded_with_docs_and_user_guide(tmp_path):
    path = tmp_path / "ONSPD_NOV_2025.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Documents/LA_UA names and codes UK as at 04_25.csv", "LAD25CD,LAD25NM\nE06000008,Bw D\n")
        archive.writestr("Data/ONSPD_NOV_2025_UK.csv", _onspd_like().to_csv(index=False))
        archive.writestr("User Guide/readme.txt", "guide")
    directory = read_postcode_directory(path)
    assert len(directory) == 50 and directory["lsoa11"].iloc[1] == "E01000001"


def test_nspl_edition_names_and_seven_character_postcodes(tmp_path):
    frame = (
        _onspd_like()
        .drop(columns=["pcds", "pcd2", "oslaua", "osward"])
        .rename(columns={"pcd": "pcd7", "oseast1m": "east1m", "osnrth1m": "north1m", "lsoa11": "lsoa21"})
    )
    frame["lad25cd"] = "E06000008"
    frame["wd25cd"] = "E05011508"
    path = tmp_path / "NSPL_NOV_2025_UK.csv"
    frame.to_csv(path, index=False)
    directory = read_postcode_directory(path)
    assert directory["pcds"].tolist() == EMBEDDED["pcds"].head(50).tolist()
    assert (directory["oslaua"] == "E06000008").all() and (directory["osward"] == "E05011508").all()
    assert "lsoa21" in directory.columns


def test_a_directory_without_postcodes_or_grid_is_refused(tmp_path):
    path = tmp_path / "wrong.csv"
    pd.DataFrame({"postcode": ["BB2 1AA"], "easting": [1], "northing": [2]}).to_csv(path, index=False)
    with pytest.raises(GeographyError, match=r"lacks a postcode column .* oseast1m, osnrth1m.*Columns found: postcode"):
        read_postcode_directory(path)


def test_bad_zip(tmp_path):
    path = tmp_path / "ONSPD.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(GeographyError, match="Cannot read postcode directory"):
        read_postcode_directory(path)


def test_a_postcode_listed_twice_keeps_its_first_row_and_a_row_without_one_is_dropped(tmp_path):
    frame = _onspd_like(8)
    again = frame.iloc[[2, 5]].assign(lsoa11=["E01999992", "E01999995"], pcds=lambda f: " " + f["pcds"].str.lower())
    blank = frame.iloc[[0]].assign(pcds="", pcd="", pcd2="", lsoa11="E01999990")
    path = tmp_path / "ONSPD_NOV_2025_UK.csv"
    pd.concat([frame.iloc[:4], blank, frame.iloc[4:], again]).to_csv(path, index=False)
    directory = read_postcode_directory(path)
    assert directory["pcds"].tolist() == EMBEDDED["pcds"].head(8).tolist()  # the directory's order, each once
    assert directory["lsoa11"].tolist() == [f"E01{i:06d}" for i in range(8)]  # the first row of each
    assert directory.index.tolist() == list(range(8))
