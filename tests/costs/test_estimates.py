"""Prevalence, children affected and treatment penetration: the Blackburn with Darwen case study figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from circles.costs.estimates import (
    children_affected,
    prevalence,
    round_half_up,
    round_to,
    treatment_penetration,
)
from circles.errors import CirclesError, RateError
from circles.geo.populations import read_population
from circles.stats.rates import wilson_interval

ADULTS = 102_787
CHILDREN = 34_683
RATES = {"hazardous": 0.176, "harmful": 0.055}

# ---------------------------------------------------------------------------------------------------- rounding


def test_round_half_up_differs_from_bankers_rounding():
    assert round(18090.5) == 18090  # Python rounds halves to even
    assert round_half_up(18090.5) == 18091
    assert round_half_up(0.5) == 1 and round_half_up(1.5) == 2 and round_half_up(2.5) == 3
    assert round_half_up(-2.5) == -3  # symmetric, like a spreadsheet's ROUND
    assert round_half_up(18090.49) == 18090


def test_round_half_up_rounds_the_number_as_written():
    assert round(2.675, 2) == 2.67  # the double is 2.67499999...
    assert round_half_up(2.675, 2) == 2.68
    assert round_half_up(1234.5, -1) == 1230 and round_half_up(1235, -1) == 1240
    assert np.isnan(round_half_up(float("nan")))


def test_round_half_up_rejects_text():
    with pytest.raises(RateError, match="needs a number"):
        round_half_up("1.5")  # type: ignore[arg-type]


def test_round_to():
    assert round_to(8011.84, 1000) == 8000
    assert round_to(7500, 1000) == 8000 and round_to(8500, 1000) == 9000
    assert round_to(5935.04, 1000) == 6000
    assert round_to(0.25, 0.5) == 0.5
    with pytest.raises(RateError, match="positive step"):
        round_to(10, 0)


# -------------------------------------------------------------------------------------------------- case study


def test_case_study_prevalence_exact():
    table = prevalence(ADULTS, RATES)
    row = table.loc["total"]
    assert ADULTS * 0.176 == pytest.approx(18090.512)
    assert int(row["hazardous"]) == 18_091
    assert int(row["harmful"]) == 5_653
    assert int(row["misusing"]) == 23_744
    assert row["misusing"] == row["hazardous"] + row["harmful"]
    assert list(table.columns) == ["population", "hazardous", "harmful", "misusing"]
    assert table.index.name == "area_code"


def test_prevalence_unrounded_and_without_total():
    table = prevalence(ADULTS, RATES, rounded=False, total=None)
    assert table.loc["total", "hazardous"] == pytest.approx(18090.512)
    assert table.loc["total", "harmful"] == pytest.approx(5653.285)
    assert "misusing" not in table.columns


def test_case_study_children_affected():
    value = children_affected(ADULTS, CHILDREN, 23_744)
    assert value == pytest.approx(CHILDREN / ADULTS * 23_744)
    assert value == pytest.approx(8011.8415, abs=1e-4)
    assert round_to(value, 1000) == 8000  # "about 8,000"


def test_case_study_treatment_penetration():
    table = treatment_penetration(628, 5_653)
    row = table.loc["total"]
    assert row["penetration"] == pytest.approx(628 / 5653)
    assert f"{row['penetration']:.1%}" == "11.1%"
    lower, upper = wilson_interval(628, 5653)
    assert row["lower"] == pytest.approx(lower[0]) and row["upper"] == pytest.approx(upper[0])
    # by hand: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
    z = 1.959963984540054
    root = z * np.sqrt(z * z + 4 * 628 * (1 - 628 / 5653))
    assert row["lower"] == pytest.approx((2 * 628 + z * z - root) / (2 * (5653 + z * z)))
    assert row["upper"] == pytest.approx((2 * 628 + z * z + root) / (2 * (5653 + z * z)))
    assert row["lower"] < row["penetration"] < row["upper"]


# ---------------------------------------------------------------------------------------------------- intervals


def test_prevalence_with_interval():
    rates = {
        "hazardous": {"estimate": 0.176, "lower": 0.16, "upper": 0.19},
        "harmful": {"estimate": 0.055, "lower": 0.045, "upper": 0.065},
    }
    table = prevalence(ADULTS, rates)
    row = table.loc["total"]
    assert row["hazardous"] == 18_091 and row["harmful"] == 5_653
    assert row["hazardous_lower"] == round_half_up(ADULTS * 0.16)
    assert row["harmful_upper"] == round_half_up(ADULTS * 0.065)
    assert row["misusing_lower"] == row["hazardous_lower"] + row["harmful_lower"]
    assert row["misusing_upper"] == row["hazardous_upper"] + row["harmful_upper"]


def test_total_has_no_interval_unless_every_category_has_one():
    table = prevalence(ADULTS, {"hazardous": {"estimate": 0.176, "lower": 0.16, "upper": 0.19}, "harmful": 0.055})
    assert "hazardous_lower" in table.columns
    assert "misusing_lower" not in table.columns


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({}, "at least one rate"),
        ({"harmful": 5.5}, "fraction between 0 and 1"),
        ({"harmful": "5.5%"}, "fraction between 0 and 1"),
        ({"harmful": {"estimate": 0.055, "lower": 0.06, "upper": 0.07}}, "lower <= estimate <= upper"),
        ({"harmful": {"estimate": 0.055, "lower": 0.05}}, "both 'lower' and 'upper'"),
        ({"harmful": {"value": 0.055}}, "'estimate'"),
        ({"misusing": 0.1}, "same name as a category"),
    ],
)
def test_prevalence_rejects_bad_rates(rates, message):
    with pytest.raises(RateError, match=message):
        prevalence(ADULTS, rates)


def test_prevalence_rejects_bad_population():
    with pytest.raises(RateError, match="negative"):
        prevalence(pd.Series({"A": -1}), RATES)
    with pytest.raises(RateError, match="not a number"):
        prevalence(pd.Series({"A": "many"}), RATES)
    assert issubclass(RateError, CirclesError)


# -------------------------------------------------------------------------------------------------------- areas


def test_prevalence_and_penetration_by_area():
    adults = pd.Series({"A": 1000, "B": 2000}, name="population")
    table = prevalence(adults, RATES)
    assert table["harmful"].tolist() == [55, 110]
    assert table["hazardous"].tolist() == [176, 352]
    pen = treatment_penetration(pd.Series({"B": 11, "A": 5}), table["harmful"])
    assert list(pen.index) == ["B", "A", "all areas"]
    assert pen.loc["all areas", "in_treatment"] == 16 and pen.loc["all areas", "need"] == 165
    assert pen.loc["A", "penetration"] == pytest.approx(5 / 55)
    with pytest.raises(RateError, match="same area codes"):
        treatment_penetration(pd.Series({"A": 5}), table["harmful"])
    with pytest.raises(RateError, match="both as numbers or both as Series"):
        treatment_penetration(5, table["harmful"])


def test_penetration_cannot_exceed_need():
    with pytest.raises(RateError, match="cannot exceed"):
        treatment_penetration(60, 55)


def test_children_affected_by_area():
    adults = pd.Series({"A": 1000, "B": 0})
    children = pd.Series({"B": 10, "A": 500})
    misusing = pd.Series({"A": 231, "B": 0})
    result = children_affected(adults, children, misusing)
    assert result["A"] == pytest.approx(115.5)
    assert np.isnan(result["B"])  # no adults: no estimate
    scalar_children = children_affected(adults, 300, misusing)
    assert scalar_children["A"] == pytest.approx(300 / 1000 * 231)
    with pytest.raises(RateError, match="different area codes"):
        children_affected(adults, pd.Series({"A": 1}), misusing)


# ---------------------------------------------------------------------------------------------- real populations


def test_real_lsoa_populations(embedded_geo):
    path = embedded_geo / "population_lsoa11_mid2020_bwd.csv"
    adults = read_population(path, code="lsoa11_code", age_band="18+")
    children = read_population(path, code="lsoa11_code", age_band="0-15")
    assert int(adults.sum()) == 111_377
    table = prevalence(adults, RATES)
    assert len(table) == len(adults) and table.index.equals(adults.index)
    borough = prevalence(int(adults.sum()), RATES).loc["total"]
    assert borough["hazardous"] == round_half_up(111_377 * 0.176) == 19_602
    assert borough["harmful"] == round_half_up(111_377 * 0.055) == 6_126
    # area counts are rounded one by one, so their sum is close to (not exactly) the borough figure
    assert abs(table["harmful"].sum() - borough["harmful"]) <= len(table) / 2
    exact = prevalence(adults, RATES, rounded=False)
    assert exact["harmful"].sum() == pytest.approx(111_377 * 0.055)
    kids = children_affected(adults, children, exact["misusing"])
    assert kids.sum() == pytest.approx((children / adults * exact["misusing"]).sum())
    assert (kids >= 0).all()
