from __future__ import annotations

import pandas as pd
import pytest

from circles.errors import GeographyError
from circles.geo.deprivation import deprivation_profile, read_imd, share_most_deprived


def test_real_imd_for_the_borough(embedded_geo):
    imd = read_imd(embedded_geo / "imd2019_lsoa11_bwd.csv")
    assert len(imd) == 91
    assert (imd["imd_decile"] == 1).sum() == 33  # 33 of 91 LSOAs in England's most deprived 10%
    assert set(imd["imd_quintile"]) <= {1, 2, 3, 4, 5}
    assert (imd.loc[imd["imd_decile"] == 2, "imd_quintile"] == 1).all()


def test_profile_counts_every_band_and_shares_add_up(embedded_geo):
    imd = read_imd(embedded_geo / "imd2019_lsoa11_bwd.csv")
    areas = pd.DataFrame({"area_code": imd["area_code"], "people": 10, "population": 1000})
    profile = deprivation_profile(areas, imd, count="people", population="population")
    assert profile["areas"].sum() == 91 and profile["people"].sum() == 910
    assert profile.loc[profile["imd_decile"] == 1, "people"].item() == 330
    assert profile["share"].sum() == pytest.approx(1.0)
    shares = share_most_deprived(areas, imd, count="people")
    assert shares["most_deprived_10pct"] == pytest.approx(33 / 91)
    assert shares["most_deprived_20pct"] >= shares["most_deprived_10pct"]


def test_areas_missing_from_the_imd_table_are_an_error():
    imd = pd.DataFrame({"area_code": ["a"], "imd_decile": [3], "imd_quintile": [2]})
    with pytest.raises(GeographyError, match="no IMD decile"):
        deprivation_profile(pd.DataFrame({"area_code": ["a", "E01999999"], "people": [1, 2]}), imd, count="people")


def test_bad_imd_files(tmp_path):
    path = tmp_path / "imd.csv"
    path.write_text("lsoa_code,IMD_decile\nE01000001,11\n")
    with pytest.raises(GeographyError, match=r"line 2, column 'IMD_decile': deciles run from 1 to 10"):
        read_imd(path)
    path.write_text("lsoa,IMD_decile\nE01000001,1\n")
    with pytest.raises(GeographyError, match="no column 'lsoa_code'"):
        read_imd(path)
