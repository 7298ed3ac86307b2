from __future__ import annotations

import pandas as pd

from circles.geo.geocoding import OUTCOMES, geocode
from circles.ingest.accounting import check_partition

DIRECTORY = pd.DataFrame(
    {
        "pcds": ["BB2 1AA", "BB1 1AA", "M1 1AA", "BB9 9ZZ"],
        "oseast1m": [368000.0, 369000.0, 384000.0, None],
        "osnrth1m": [428000.0, 429000.0, 398000.0, None],
        "oslaua": ["E06000008", "E06000008", "E08000003", "E06000008"],
        "doterm": [None, None, None, None],
    }
)


def _records(postcodes: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_file": "a.csv",
            "source_row": [f"a.csv:{i + 2}" for i in range(len(postcodes))],
            "client_id": [f"C{i}" for i in range(len(postcodes))],
            "postcode": postcodes,
        }
    )


def test_each_outcome():
    recs = _records(["bb2 1aa", "BB11AA", "", "NOT A PC", "BB2 1ZZ", "BB9 9ZZ", "M1 1AA"])
    result = geocode(recs, DIRECTORY, study_area=["E06000008"])
    assert result.outcomes == {
        "matched": 2,
        "terminated": 0,
        "area_codes": 0,
        "blank": 1,
        "invalid": 1,
        "unknown": 1,
        "no_grid_reference": 1,
        "outside_study_area": 1,
    }
    assert set(result.outcomes) == set(OUTCOMES)
    assert result.records["source_row"].tolist() == ["a.csv:2", "a.csv:3"]
    assert result.records.geometry.x.tolist() == [368000.0, 369000.0]
    reasons = dict(zip(result.quarantine["source_row"], result.quarantine["reason"], strict=True))
    assert reasons == {
        "a.csv:4": "blank",
        "a.csv:5": "invalid",
        "a.csv:6": "unknown",
        "a.csv:7": "no_grid_reference",
        "a.csv:8": "outside_study_area",
    }
    check_partition("geocode", recs["source_row"], result.records["source_row"], result.quarantine["source_row"])


def test_each_record_keeps_its_own_postcode_district():
    """Rows quarantined between matched ones, and records indexed by other labels: each district stays on its row."""
    recs = _records(["NOT A PC", "bb2 1aa", "", "M1 1AA", "BB11AA", "BB2 1ZZ", "BB2 1AA"])
    recs.index = [40, 10, 30, 20, 60, 50, 0]
    result = geocode(recs, DIRECTORY)
    placed = dict(zip(result.records["source_row"], result.records["postcode_district"], strict=True))
    assert placed == {"a.csv:3": "BB2", "a.csv:5": "M1", "a.csv:6": "BB1", "a.csv:8": "BB2"}


def test_full_postcode_never_leaves_geocoding():
    recs = _records(["BB2 1AA", "BB2 1ZZ", "M1 1AA", "JOHN SMITH"])
    result = geocode(recs, DIRECTORY, study_area=["E06000008"])
    assert "postcode" not in result.records.columns
    assert result.records["postcode_district"].tolist() == ["BB2"]
    published = result.quarantine.to_csv() + result.records.drop(columns="geometry").to_csv()
    for secret in ("BB2 1AA", "BB2 1ZZ", "M1 1AA", "JOHN", "SMITH"):
        assert secret not in published
    assert "BB2 ***" in published and "AAAA AAAAA" in published


def test_without_study_area_other_authorities_match():
    result = geocode(_records(["M1 1AA"]), DIRECTORY)
    assert result.outcomes["matched"] == 1


def test_terminated_postcodes_are_kept_and_flagged_and_directory_codes_carried():
    directory = DIRECTORY.assign(doterm=[None, "201001", None, None], lsoa11=["E01000001", "E01000002", None, None])
    result = geocode(_records(["BB2 1AA", "BB1 1AA"]), directory)
    assert result.outcomes["matched"] == 1 and result.outcomes["terminated"] == 1
    assert result.records["terminated"].tolist() == [False, True]
    assert result.records["directory_lsoa11"].tolist() == ["E01000001", "E01000002"]


def test_records_without_a_postcode_are_kept_when_they_carry_their_area_codes():
    recs = _records(["BB2 1AA", "", "", " "])
    recs["directory_lsoa11"] = [None, "E01012632", None, "E01012644"]
    result = geocode(recs, DIRECTORY, study_area=["E06000008"], area_codes=["directory_lsoa11"])
    assert result.outcomes["matched"] == 1 and result.outcomes["area_codes"] == 2 and result.outcomes["blank"] == 1
    kept = result.records.set_index("source_row")
    assert kept["directory_lsoa11"].iloc[1:].to_dict() == {"a.csv:3": "E01012632", "a.csv:5": "E01012644"}
    assert kept["postcode_district"].isna().tolist() == [False, True, True]
    assert result.quarantine["reason"].tolist() == ["blank"]
    # without area_codes the same records are blank, as before
    assert geocode(recs, DIRECTORY, study_area=["E06000008"]).outcomes["blank"] == 3
