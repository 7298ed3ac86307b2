"""Outcome tracking: rates by month from the start, and sustained change."""

from __future__ import annotations

import pandas as pd

from circles.change.tracking import monthly_rates, sustained_change


def cohort():
    return pd.DataFrame(
        {
            "family_id": ["a", "b", "c"],
            "group": ["pilot", "pilot", "comparison"],
            "weight": [1.0, 1.0, 2.0],
            "start_date": pd.to_datetime(["2011-04-01", "2011-05-01", "2011-04-01"]),
        }
    )


def rows(values):
    family, period, value = zip(*values, strict=True)
    return pd.DataFrame(
        {
            "family_id": family,
            "period": pd.PeriodIndex(period, freq="M"),
            "measure": "ae_attendances",
            "value": [float(v) for v in value],
        }
    )


def test_monthly_rates_align_families_on_their_own_start_month_and_count_missing_months_as_zero():
    outcomes = rows([("a", "2011-03", 2), ("b", "2011-04", 4), ("a", "2011-04", 1), ("c", "2011-04", 3)])
    table = monthly_rates(outcomes, cohort(), measures=["ae_attendances"], before_months=1, after_months=1)
    rate = table.set_index(["month", "group"])["rate"].to_dict()
    assert rate == {(-1, "comparison"): 0.0, (-1, "pilot"): 3.0, (0, "comparison"): 3.0, (0, "pilot"): 0.5}
    assert table["families"].tolist() == [1, 2, 1, 2]


def test_sustained_change_counts_families_below_their_own_before_level():
    outcomes = rows([("a", "2011-01", 6), ("b", "2011-02", 6), ("b", "2011-07", 12), ("c", "2011-01", 3)])
    table = sustained_change(outcomes, cohort(), measures=["ae_attendances"], before_months=6, at=[6, 12], followed=6)
    assert table.values.tolist() == [[6, "comparison", 1, 1], [6, "pilot", 2, 1]]
