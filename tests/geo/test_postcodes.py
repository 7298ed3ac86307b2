from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from circles.geo.layers import read_postcode_directory
from circles.geo.postcodes import normalise_postcodes, postcode_district, to_pcd7


def test_every_embedded_directory_postcode_is_valid_and_already_normal():
    directory = read_postcode_directory()
    result = normalise_postcodes(directory["pcds"])
    assert result["valid"].all()
    assert (result["pcds"] == directory["pcds"]).all()


def test_messy_forms_normalise():
    raw = pd.Series([" bb2  1aa", "BB21AA", "bb2\u00a01aa", "\tBB2 1AA\n", "m11aa", "EC1A1BB", "gir0aa"])
    assert normalise_postcodes(raw)["pcds"].tolist() == [
        "BB2 1AA",
        "BB2 1AA",
        "BB2 1AA",
        "BB2 1AA",
        "M1 1AA",
        "EC1A 1BB",
        "GIR 0AA",
    ]


def test_invalid_and_blank_are_told_apart():
    raw = pd.Series(["", None, "   ", "BB2", "QB2 1AA", "BB2 1AC", "12345", "BB2 1AAA"])
    result = normalise_postcodes(raw)
    assert result["blank"].tolist() == [True, True, True, False, False, False, False, False]
    assert not result["valid"].any()
    assert result["pcds"].isna().all()


def test_pcd7_and_district():
    pcds = pd.Series(["M1 1AA", "BB1 1AA", "EC1A 1BB"])
    assert to_pcd7(pcds).tolist() == ["M1  1AA", "BB1 1AA", "EC1A1BB"]
    assert postcode_district(pcds).tolist() == ["M1", "BB1", "EC1A"]


_area = st.sampled_from(["B", "BB", "M", "L", "EC", "SW", "BL", "W"])
_inward_letter = st.sampled_from(list("ABDEFGHJLNPQRSTUWXYZ"))


@given(
    area=_area,
    district=st.integers(1, 9),
    sector=st.integers(0, 9),
    unit=st.tuples(_inward_letter, _inward_letter),
    spaces=st.sampled_from(["", " ", "  ", "\u00a0"]),
    lower=st.booleans(),
)
def test_property_any_spacing_or_case_gives_the_same_pcds(area, district, sector, unit, spaces, lower):
    canonical = f"{area}{district} {sector}{''.join(unit)}"
    typed = f"{area}{district}{spaces}{sector}{''.join(unit)}"
    typed = typed.lower() if lower else typed
    result = normalise_postcodes(pd.Series([typed]))
    assert bool(result["valid"].iloc[0])
    assert result["pcds"].iloc[0] == canonical


@given(st.text(max_size=12))
def test_property_normalising_is_idempotent_and_never_raises(text):
    once = normalise_postcodes(pd.Series([text]))
    if once["valid"].iloc[0]:
        twice = normalise_postcodes(once["pcds"])
        assert twice["pcds"].iloc[0] == once["pcds"].iloc[0]
    else:
        assert pd.isna(once["pcds"].iloc[0])
