"""Failure demand (repeats, re-referrals, crisis after planned support), its costs, and repeat presentations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from circles.costs.money import CostError
from circles.demo.synthetic import generate_demo_data
from circles.design import ALL_SERVICES, EXACT, MEASURES, failure_demand, repeat_presentations
from circles.errors import SourceError
from circles.ingest.disclosure import POLICIES
from circles.stats.rates import wilson_interval

COLUMNS = ["family_id", "service", "provider", "referral_source", "start_date", "end_date"]


def records(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (family, service, route, start, end) as take-up records."""
    return pd.DataFrame([(f, s, f"{s} provider", r, d, e) for f, s, r, d, e in rows], columns=COLUMNS)


def crafted() -> pd.DataFrame:
    rows = [
        # A: A&E, back 20 days later (repeat, and a re-referral: the first attendance was closed the same day)
        ("A", "A&E", "999 call", "2010-01-01", "2010-01-01"),
        ("A", "A&E", "999 call", "2010-01-21", "2010-01-21"),
        # A: planned housing support starts, stays open; then police bring the family to A&E: crisis after planned
        # (and a re-referral: 192 days after A&E closed the last attendance)
        ("A", "Housing", "GP", "2010-02-01", ""),
        ("A", "A&E", "Police", "2010-08-01", "2010-08-01"),
        # B: housing closed, re-referred 200 days later (not a repeat: more than 30 days)
        ("B", "Housing", "Self", "2010-01-01", "2010-02-01"),
        ("B", "Housing", "Self", "2010-08-20", ""),
        # C: housing still open when seen again 40 days later: neither kind; an A&E visit before any planned care
        ("C", "A&E", "A&E", "2009-12-01", "2009-12-01"),
        ("C", "Housing", "Self", "2010-01-01", ""),
        ("C", "Housing", "Self", "2010-02-10", ""),
        # D: housing closed, back after more than a year: not a re-referral
        ("D", "Housing", "Self", "2010-01-01", "2010-01-10"),
        ("D", "Housing", "Self", "2011-02-01", ""),
    ]
    return records(rows)


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    data = generate_demo_data(tmp_path_factory.mktemp("design_demo_fd"), seed=20110401)
    return pd.concat([pd.read_csv(path, dtype=str) for path in sorted(data.take_up_files)], ignore_index=True)


def test_each_kind_of_failure_demand_is_found_on_crafted_records() -> None:
    fd = failure_demand(crafted(), policy=EXACT)
    flags = fd.contacts.assign(family=fd.contacts["family"].astype(str), service=fd.contacts["service"].astype(str))
    flagged = {m: sorted(flags.loc[flags[m], ["family", "service"]].apply(tuple, axis=1)) for m in MEASURES}
    assert flagged["repeat"] == [("A", "A&E")]
    # A's third A&E visit is also 192 days after the second was closed
    assert flagged["re_referral"] == [("A", "A&E"), ("A", "A&E"), ("B", "Housing")]
    assert flagged["crisis_after_planned"] == [("A", "A&E")]
    assert flagged["failure_demand"] == [("A", "A&E"), ("A", "A&E"), ("B", "Housing")]


def test_counts_and_shares_per_service_and_overall() -> None:
    fd = failure_demand(crafted(), policy=EXACT)
    by = fd.by_service.set_index("service")
    assert by.loc["A&E", ["contacts", "repeat", "re_referral", "crisis_after_planned", "failure_demand"]].tolist() == [
        4,
        1,
        2,
        1,
        2,
    ]
    assert by.loc["Housing", ["contacts", "failure_demand"]].tolist() == [7, 1]
    overall = fd.overall.iloc[0]
    assert overall["service"] == ALL_SERVICES
    assert (overall["contacts"], overall["failure_demand"]) == (11, 3)
    assert overall["failure_demand_share"] == pytest.approx(3 / 11)
    lower, upper = wilson_interval(3, 11)
    assert (overall["failure_demand_lower"], overall["failure_demand_upper"]) == pytest.approx((lower[0], upper[0]))


def test_windows_change_what_counts() -> None:
    fd = failure_demand(crafted(), repeat_days=45, rereferral_days=400, policy=EXACT)
    by = fd.by_service.set_index("service")
    assert by.loc["Housing", "repeat"] == 1  # C back after 40 days
    assert by.loc["Housing", "re_referral"] == 2  # B, and D after 387 days


def test_shares_lie_in_0_1_and_intervals_hold_the_estimate_on_the_demo(demo_records: pd.DataFrame) -> None:
    fd = failure_demand(demo_records)
    for table in (fd.by_service, fd.overall):
        for m in MEASURES:
            share, lower, upper = (table[f"{m}_{k}"].astype(float) for k in ("share", "lower", "upper"))
            shown = share.notna()
            assert shown.any()
            assert ((share[shown] >= 0) & (share[shown] <= 1)).all()
            assert ((lower[shown] <= share[shown] + 1e-12) & (share[shown] <= upper[shown] + 1e-12)).all()
            # a suppressed count gives no share
            assert share[table[f"{m}_suppressed"].astype(bool)].isna().all()
    # published counts are multiples of 5; the kinds of failure demand never exceed the contacts
    assert (fd.by_service["contacts"].dropna() % 5 == 0).all()
    overall = fd.overall.iloc[0]
    assert overall["contacts"] == int(np.floor(len(demo_records) / 5 + 0.5) * 5)
    assert all(overall[m] <= overall["failure_demand"] for m in MEASURES[:-1])
    assert overall["failure_demand"] <= overall["contacts"]
    # exact flags: any-of, per contact
    exact = fd.contacts
    assert (exact["failure_demand"] == exact[list(MEASURES[:-1])].any(axis=1)).all()
    assert 0 < exact["failure_demand"].mean() < 1


def unit_costs(**change) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "service": ["A&E", "Housing"],
            "cost": [150.0, 80.0],
            "source": ["NHS National Cost Collection", "Council finance"],
            "price_year": ["2009/10", "2009/10"],
        }
    )
    return table.assign(**change)


def test_costs_come_from_published_counts_times_unit_costs() -> None:
    fd = failure_demand(crafted(), unit_costs=unit_costs(), policy=EXACT)
    by = fd.by_service.set_index("service")
    assert by.loc["A&E", "failure_cost"] == 300.0 and by.loc["Housing", "failure_cost"] == 80.0
    assert by.loc["A&E", "cost_source"] == "NHS National Cost Collection"
    assert fd.overall.iloc[0]["failure_cost"] == 380.0
    assert fd.uncosted == ()
    partial = failure_demand(crafted(), unit_costs=unit_costs().head(1), policy=EXACT)
    assert partial.uncosted == ("Housing",)
    assert partial.overall.iloc[0]["failure_cost"] == 300.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (unit_costs().drop(columns="source"), r"lacks column\(s\) \['source'\]"),
        (unit_costs(cost=[150, "lots"]), "row 1, column 'cost': 'lots' is not a cost"),
        (unit_costs(cost=[150, -1]), "row 1, column 'cost'"),
        (unit_costs(source=["x", " "]), "row 1, column 'source'"),
        (unit_costs(service=["A&E", "A&E"]), "row 1: service 'A&E' is costed twice"),
        (unit_costs(price_year=["2009/10", "2010/11"]), "more than one price year"),
    ],
)
def test_bad_unit_costs_give_a_clear_error(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(CostError, match=message):
        failure_demand(crafted(), unit_costs=table)


def test_negative_windows_are_refused() -> None:
    with pytest.raises(SourceError, match="repeat_days must be a whole number of days"):
        failure_demand(crafted(), repeat_days=-1)


def test_repeat_presentations_within_30_and_90_days() -> None:
    rows = [
        ("A", "A&E", "A&E", "2010-01-01", ""),
        ("A", "Police", "Police", "2010-01-31", ""),  # 30 days: inside both windows
        ("A", "A&E", "999 call", "2010-04-30", ""),  # 89 days: inside 90 only
        ("A", "GP", "Self", "2010-05-01", ""),  # planned: not a presentation
        ("B", "A&E", "A&E", "2010-01-01", ""),
        ("B", "A&E", "A&E", "2010-06-01", ""),  # 151 days: neither
    ]
    result = repeat_presentations(records(rows), policy=EXACT)
    table = result.table.set_index("window_days")
    assert table.loc[30, ["crisis_contacts", "repeats", "families", "families_back"]].tolist() == [5, 1, 2, 1]
    assert table.loc[90, ["repeats", "families_back"]].tolist() == [2, 1]
    assert table.loc[90, "share"] == pytest.approx(2 / 5)
    assert (table["share_lower"] <= table["share"]).all() and (table["share"] <= table["share_upper"]).all()
    assert result.gaps["days_since_last_crisis"].tolist()[:3] == [pd.NA, 30, 89]


def test_repeat_presentations_on_the_demo_are_published_counts(demo_records: pd.DataFrame) -> None:
    table = repeat_presentations(demo_records, policy=POLICIES["nhs"]).table.set_index("window_days")
    assert (table[["crisis_contacts", "repeats"]] % 5 == 0).all().all()
    assert table.loc[30, "repeats"] <= table.loc[90, "repeats"] <= table.loc[90, "crisis_contacts"]
    assert ((table["share"] >= 0) & (table["share"] <= 1)).all()
