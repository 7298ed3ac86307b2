"""Customer journeys, time from crisis to planned support and "telling my story again" on crafted records."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from circles.demo.synthetic import generate_demo_data
from circles.design import (
    EXACT,
    OTHER_JOURNEYS,
    customer_journeys,
    telling_my_story_again,
    time_to_planned_support,
)
from circles.design.journeys import contacts_in_order
from circles.errors import SourceError
from circles.ingest.disclosure import POLICIES, DisclosurePolicy

COLUMNS = ["family_id", "service", "provider", "referral_source", "start_date", "end_date"]


def records(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (family, service, route, start[, end]) as take-up records."""
    full = [(f, s, f"{s} provider", r, d, e[0] if e else "") for f, s, r, d, *e in rows]
    return pd.DataFrame(full, columns=COLUMNS)


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    data = generate_demo_data(tmp_path_factory.mktemp("design_demo"), seed=20110401)
    return pd.concat([pd.read_csv(path, dtype=str) for path in sorted(data.take_up_files)], ignore_index=True)


# ------------------------------------------------------------------------------------------------ records


def test_contacts_are_ordered_by_family_then_date_and_routes_classified() -> None:
    r = records(
        [("B", "GP", "GP", "2010-02-01"), ("A", "A&E", "999 call", "2010-03-01"), ("A", "GP", "Self", "2010-01-01")]
    )
    c = contacts_in_order(r, family="family_id", start="start_date", service="service", route="referral_source")
    assert c["family"].astype(str).tolist() == ["A", "A", "B"]
    assert c["service"].astype(str).tolist() == ["GP", "A&E", "GP"]
    assert c["crisis"].tolist() == [False, True, False]
    assert c["row"].tolist() == [2, 1, 0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(columns="family_id"), "no family column 'family_id'"),
        (lambda r: r.rename(columns={"start_date": "start_dat"}), "Did you mean 'start_dat'"),
        (lambda r: r.assign(start_date=["2010-01-01", "1st May"]), "row 1: '1st May' is not a date"),
        (lambda r: r.assign(start_date=["2010-01-01", None]), "row 1: the date is missing"),
        (lambda r: r.assign(family_id=["A", " "]), "row 1: the family id is missing"),
    ],
)
def test_bad_records_give_a_clear_error_naming_row_and_column(change, message) -> None:
    r = change(records([("A", "GP", "Self", "2010-01-01"), ("B", "GP", "Self", "2010-01-02")]))
    with pytest.raises(SourceError, match=message):
        customer_journeys(r, policy=EXACT)


def test_no_rows_is_a_clear_error_and_empty_text_reads_not_recorded() -> None:
    r = records([("A", "GP", "Self", "2010-01-01"), ("A", " ", "", "2010-01-02")])
    with pytest.raises(SourceError, match="have no rows"):
        customer_journeys(r.head(0))
    result = customer_journeys(r, policy=EXACT)
    assert result.journeys["journey"].tolist() == ["GP → Not recorded"]


def test_a_single_crisis_route_may_be_given_as_a_string() -> None:
    r = records([("A", "GP", "A&E", "2010-01-01"), ("B", "GP", "Police", "2010-01-02")])
    routes = customer_journeys(r, crisis_routes="A&E", policy=EXACT).routes
    assert routes[["route_type", "route"]].values.tolist() == [["crisis", "A&E"], ["planned", "Police"]]


# ------------------------------------------------------------------------------------------------ journeys


def crafted() -> pd.DataFrame:
    rows = [
        # A: crisis at A&E twice (one step), then GP, then housing, then a fourth service beyond three steps
        ("A", "A&E", "999 call", "2010-01-01"),
        ("A", "A&E", "Police", "2010-01-05"),
        ("A", "GP", "Self", "2010-02-01"),
        ("A", "Housing", "GP", "2010-03-01"),
        ("A", "Alcohol", "GP", "2010-04-01"),
        # B and C: the same first three steps as A
        ("B", "A&E", "Ambulance", "2010-01-01"),
        ("B", "GP", "Self", "2010-01-10"),
        ("B", "Housing", "GP", "2010-01-20"),
        ("C", "A&E", "A&E", "2010-05-01"),
        ("C", "GP", "Self", "2010-05-02"),
        ("C", "Housing", "GP", "2010-05-03"),
        # D: planned only, two steps; E: one step
        ("D", "GP", "Self", "2010-01-01"),
        ("D", "Alcohol", "GP", "2010-01-02"),
        ("E", "GP", "Self", "2010-06-01"),
    ]
    return records(rows)


def test_journeys_merge_repeats_cut_at_steps_and_count_families() -> None:
    result = customer_journeys(crafted(), steps=3, policy=EXACT)
    table = result.journeys.set_index("journey")["families"]
    # commonest first; ties in step order, a journey that ends sorting before one that goes on
    assert list(table.items()) == [("A&E → GP → Housing", 3), ("GP", 1), ("GP → Alcohol", 1)]
    assert result.journeys.loc[0, ["step_1", "step_2", "step_3"]].tolist() == ["A&E", "GP", "Housing"]
    assert result.journeys.loc[1, ["step_2", "step_3"]].tolist() == ["", ""]
    assert result.families == 5 and result.published_sum == 5
    a = result.contacts[result.contacts["family"] == "A"]
    assert a["step"].tolist() == [1, 1, 2, 3, 4]


def test_routes_into_support_count_each_family_by_its_first_contact() -> None:
    routes = customer_journeys(crafted(), policy=EXACT).routes
    got = {(t, r): n for t, r, n in routes[["route_type", "route", "families"]].itertuples(index=False)}
    assert got == {("crisis", "999 call"): 1, ("crisis", "Ambulance"): 1, ("crisis", "A&E"): 1, ("planned", "Self"): 2}
    assert routes["families"].sum() == 5


def test_small_journeys_are_gathered_and_suppressed_not_named() -> None:
    policy = DisclosurePolicy("test", suppress_below=3, round_to=1)
    result = customer_journeys(crafted(), steps=3, policy=policy)
    assert result.journeys["journey"].tolist() == ["A&E → GP → Housing", OTHER_JOURNEYS]
    # the other row (2 families) is suppressed, and so, by secondary suppression, is the only other cell
    assert result.journeys["families"].isna().all()
    assert result.journeys["families_suppression"].tolist() == ["secondary", "primary"]
    assert result.families == 5


def test_top_limits_the_journeys_listed_and_the_rest_go_to_other() -> None:
    result = customer_journeys(crafted(), steps=3, top=1, policy=EXACT)
    assert result.journeys.set_index("journey")["families"].to_dict() == {"A&E → GP → Housing": 3, OTHER_JOURNEYS: 2}


@pytest.mark.parametrize("steps", [0, -1, 1.5, True])
def test_steps_must_be_a_positive_whole_number(steps) -> None:
    with pytest.raises(SourceError, match="steps must be a whole number"):
        customer_journeys(crafted(), steps=steps)


def test_demo_journey_counts_reconcile_with_the_families_published(demo_records: pd.DataFrame) -> None:
    policy = POLICIES["nhs"]
    result = customer_journeys(demo_records, policy=policy)
    n = demo_records["family_id"].nunique()
    assert result.families == int(np.floor(n / 5 + 0.5) * 5)
    # exact journeys: one per family
    assert result.contacts["family"].nunique() == n
    # published cells: rounded to 5, each within 2.5 of its exact count, and with nothing suppressed they add up
    # to the published total within the rounding of each cell
    published = result.journeys["families"]
    assert (published.dropna() % 5 == 0).all()
    assert abs(result.published_sum - result.families) <= 2.5 * len(result.journeys) + 2.5
    assert not result.journeys["families_suppressed"].all()
    assert OTHER_JOURNEYS in set(result.journeys["journey"])
    routes = result.routes
    assert set(routes["route_type"]) == {"crisis", "planned"}
    assert (routes["families"].dropna() % 5 == 0).all()


# ---------------------------------------------------------------------------------------- time to planned support


def five_families() -> pd.DataFrame:
    """A, C, D reach planned support after 2, 5, 7 days; B and E are censored at 3 and 9; F never in crisis."""
    rows = [
        ("A", "A&E", "A&E", "2010-01-01"),
        ("A", "GP", "Self", "2010-01-03"),
        ("B", "Police", "Police", "2010-01-07"),
        ("C", "GP", "Self", "2009-12-01"),  # planned before the crisis: does not count
        ("C", "A&E", "999 call", "2010-01-01"),
        ("C", "GP", "Self", "2010-01-06"),
        ("D", "A&E", "Ambulance", "2010-01-01"),
        ("D", "A&E", "A&E", "2010-01-04"),  # a second crisis does not restart the clock
        ("D", "GP", "GP", "2010-01-08"),
        ("E", "A&E", "A&E", "2010-01-01"),
        ("F", "GP", "Self", "2010-01-01"),
    ]
    return records(rows)


def test_kaplan_meier_median_and_quartiles_match_the_hand_calculation() -> None:
    km = time_to_planned_support(five_families(), end_of_data="2010-01-10", policy=EXACT)
    # by hand: S = 1 to day 2; 4/5 after day 2 (B censored at 3 leaves 3 at risk); 4/5 × 2/3 after day 5;
    # × 1/2 after day 7; E censored at 9. The median is the first day S < 0.5 (day 7), the lower quartile the
    # first day S < 0.75 (day 5); S never falls below 0.25.
    assert km.median == 7.0
    assert km.lower_quartile == 5.0
    assert km.upper_quartile is None
    survival = km.table.set_index("day")["survival"]
    assert survival.loc[2.0] == pytest.approx(0.8)
    assert survival.loc[5.0] == pytest.approx(0.8 * 2 / 3)
    assert survival.loc[7.0] == pytest.approx(0.8 * 2 / 3 / 2)
    assert km.table.set_index("day").loc[3.0, "censored"] == 1
    assert km.families == 5 and km.reached == 3
    d = km.durations.set_index("family")
    assert d["days"].to_dict() == {"A": 2.0, "B": 3.0, "C": 5.0, "D": 7.0, "E": 9.0}
    assert d["reached"].to_dict() == {"A": True, "B": False, "C": True, "D": True, "E": False}
    t = km.table
    assert ((t["survival_lower"] <= t["survival"]) & (t["survival"] <= t["survival_upper"])).all()


def test_censoring_defaults_to_the_last_contact_in_the_records() -> None:
    km = time_to_planned_support(five_families(), policy=EXACT)
    assert km.end_of_data == pd.Timestamp("2010-01-08")
    assert km.durations.set_index("family")["days"].to_dict()["E"] == 7.0


def test_no_crisis_or_an_early_end_of_data_is_a_clear_error() -> None:
    planned = records([("A", "GP", "Self", "2010-01-01")])
    with pytest.raises(SourceError, match="No family has a crisis contact"):
        time_to_planned_support(planned)
    with pytest.raises(SourceError, match="end_of_data 2009-12-01 is before"):
        time_to_planned_support(five_families(), end_of_data="2009-12-01")


def test_demo_survival_is_a_proper_survival_curve(demo_records: pd.DataFrame) -> None:
    km = time_to_planned_support(demo_records)
    survival = km.table["survival"].to_numpy()
    assert survival[0] <= 1 and (np.diff(survival) <= 1e-12).all() and (survival >= 0).all()
    assert km.median is None or (km.lower_quartile <= km.median)
    assert km.families % 5 == 0 and km.reached <= km.families
    assert not math.isnan(float(km.table["day"].max()))


# ------------------------------------------------------------------------------------------ telling my story again


def test_story_counts_distinct_services_within_the_window_of_the_first_contact() -> None:
    rows = [
        ("A", "GP", "Self", "2010-01-01"),
        ("A", "GP", "Self", "2010-02-01"),  # the same service again: not a new telling
        ("A", "A&E", "A&E", "2010-06-01"),
        ("A", "Housing", "GP", "2010-12-31"),  # day 364: inside
        ("A", "Alcohol", "GP", "2011-01-01"),  # day 365: outside
        ("B", "GP", "Self", "2010-01-01"),
    ]
    story = telling_my_story_again(records(rows), cap=3, policy=EXACT)
    assert story.per_family.set_index("family")["services"].to_dict() == {"A": 3, "B": 1}
    assert story.distribution[["services", "families"]].values.tolist() == [["1", 1], ["2", 0], ["3 or more", 1]]
    assert story.families == 2


def test_demo_story_distribution_adds_up_to_the_families(demo_records: pd.DataFrame) -> None:
    story = telling_my_story_again(demo_records, policy=EXACT)
    assert story.distribution["families"].sum() == demo_records["family_id"].nunique() == story.families
    published = telling_my_story_again(demo_records)
    assert (published.distribution["families"].dropna() % 5 == 0).all()


def test_families_reaching_planned_support_on_the_day_of_crisis_give_day_0_an_interval() -> None:
    r = records(
        [("A", "A&E", "A&E", "2010-01-01"), ("A", "GP", "GP", "2010-01-01"), ("B", "A&E", "Police", "2010-01-01")]
        + [("B", "GP", "GP", "2010-01-05"), ("C", "A&E", "A&E", "2010-01-01")]
    )
    table = time_to_planned_support(r, end_of_data="2010-01-10", policy=EXACT).table.set_index("day")
    assert table.loc[0, "survival"] == pytest.approx(2 / 3)
    assert table.loc[0, "survival_lower"] < 2 / 3 < table.loc[0, "survival_upper"] < 1
