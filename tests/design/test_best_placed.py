"""Who is best placed: crafted directories with known scores, weights normalised, reach only when it is known."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from circles.design.best_placed import NO_SERVICE, best_placed, normalised_weights, reach_shares
from circles.errors import SourceError

# Three services: a 24/7 helpline meeting N1; a family service meeting N1, N2 and N3 (open Saturdays); a housing
# team meeting N2 only (9 to 5). N2 is met by two services, N1 by two, N3 by one; N4 by none.
NEEDS = pd.DataFrame(
    {
        "code_id": ["N1", "N1", "N2", "N2", "N3"],
        "code_name": ["Talk", "Talk", "Money", "Money", "Children"],
        "dimension": "need",
        "service_id": ["line", "family", "family", "housing", "family"],
        "service_name": ["Helpline", "Family service", "Family service", "Housing", "Family service"],
        "organisation": ["Charity", "Council", "Council", "Council", "Council"],
        "out_of_hours": [True, True, True, False, True],
    }
)
HOURS = pd.DataFrame(
    {
        "service_id": ["line", "family", "housing"],
        "hours_known": True,
        "evenings": [True, False, False],
        "weekends": [True, True, False],
        "always_open": [True, False, False],
    }
)
CODES = pd.DataFrame(
    {"code_id": ["N1", "N2", "N3", "N4"], "code_name": ["Talk", "Money", "Children", "Sleep"], "dimension": "need"}
)


def scores(result, code: str) -> dict[str, dict[str, float]]:
    rows = result.table[result.table["code_id"] == code].set_index("service_id")
    return rows.drop(columns=["code_id", "code_name", "service_name", "organisation"]).to_dict("index")


def test_each_criterion_scores_as_documented() -> None:
    caseload = pd.DataFrame({"organisation": ["Charity", "Council"], "families": [20, 80]})
    result = best_placed(
        NEEDS, HOURS, weights={"meets": 1, "hours": 1, "caseload": 1, "duplication": 1}, caseload=caseload,
        duplication_at=2, reach_note="no locations",
    )  # fmt: skip
    n1 = scores(result, "N1")
    # meets: needs met over the most any service meets (family meets 3)
    assert (n1["line"]["meets_score"], n1["family"]["meets_score"]) == (pytest.approx(1 / 3), 1.0)
    # hours: 24/7 scores 1; weekends but no evenings scores a half
    assert (n1["line"]["hours_score"], n1["family"]["hours_score"]) == (1.0, 0.5)
    # caseload: over the most of the need's candidates
    assert (n1["line"]["caseload_score"], n1["family"]["caseload_score"]) == (0.25, 1.0)
    # duplication (met by 2 or more): the line's one need is duplicated; 2 of the family service's 3 are
    assert (n1["line"]["duplication_score"], n1["family"]["duplication_score"]) == (0.0, pytest.approx(1 / 3))
    assert n1["line"]["score"] == pytest.approx((1 / 3 + 1 + 0.25 + 0) / 4)
    assert n1["family"]["score"] == pytest.approx((1 + 0.5 + 1 + 1 / 3) / 4)
    assert n1["family"]["rank"] == 1 and n1["line"]["rank"] == 2
    assert math.isnan(n1["line"]["reach_score"])
    weights = result.weights.set_index("criterion")
    assert weights.loc["reach", "note"] == "no locations" and not weights.loc["reach", "scored"]
    assert weights["normalised"].sum() == pytest.approx(1.0) and weights.loc["meets", "normalised"] == 0.25


def test_weights_change_the_ranking_and_a_need_nobody_meets_says_so() -> None:
    by_hours = best_placed(NEEDS, HOURS, weights={"hours": 1}, codes=CODES)
    first = by_hours.table[by_hours.table["rank"] == 1].set_index("code_id")["service_id"].to_dict()
    assert first == {"N1": "line", "N2": "family", "N3": "family"}
    n4 = by_hours.table[by_hours.table["code_id"] == "N4"]
    assert n4["service_name"].tolist() == [NO_SERVICE] and n4["rank"].isna().all()
    assert by_hours.table["code_id"].drop_duplicates().tolist() == ["N1", "N2", "N3", "N4"]  # codebook order


def test_reach_is_scored_only_when_given() -> None:
    reach = pd.DataFrame({"service_id": ["line", "family"], "reach_1km": [0.2, 0.6], "reach_5km": [0.4, 1.0]})
    result = best_placed(NEEDS, HOURS, weights={"reach": 1}, reach=reach)
    n1 = scores(result, "N1")
    assert (n1["line"]["reach_score"], n1["family"]["reach_score"]) == (pytest.approx(0.3), pytest.approx(0.8))
    assert scores(result, "N2")["housing"]["reach_score"] == 0.0  # no location: no reach
    assert result.reach_note is None
    with pytest.raises(SourceError, match="no criterion scored"):
        best_placed(NEEDS, HOURS, weights={"reach": 1})  # reach not scored: nothing left to weigh


def test_weights_are_checked() -> None:
    assert normalised_weights({"meets": 3, "hours": 1}, ["meets", "hours", "caseload"]) == {
        "meets": 0.75,
        "hours": 0.25,
        "caseload": 0.0,
    }
    with pytest.raises(SourceError, match="unknown criterion 'price'"):
        normalised_weights({"price": 1}, ["meets"])
    with pytest.raises(SourceError, match="0 or more"):
        normalised_weights({"meets": -1}, ["meets"])


def test_reach_shares_weight_each_area_by_its_residents() -> None:
    residents = pd.Series({"A": 50, "B": 30, "C": 20, "D": 0})
    centroids = pd.DataFrame({"code": ["A", "B", "C"], "x": [0.0, 1500.0, 4000.0], "y": [0.0, 0.0, 3000.0]})
    locations = pd.DataFrame({"service_id": ["s", "s", "t"], "x": [0.0, 4000.0, 1500.0], "y": [0.0, 2500.0, 0.0]})
    table = reach_shares(residents, centroids, locations).set_index("service_id")
    # s: A at 0 m, C 500 m from its second site, B 1.5 km; t: B at 0 m, A at 1.5 km, C at 3.9 km
    assert table.loc["s"].tolist() == [0.7, 1.0, 1.0]
    assert table.loc["t"].tolist() == [0.3, 0.8, 1.0]
    with pytest.raises(SourceError, match="area 'C' has residents but no population-weighted centroid"):
        reach_shares(residents, centroids.head(2), locations)
