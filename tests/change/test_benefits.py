"""Benefits in money: realised from the priced difference-in-differences, expected from the appraisal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from circles.change.benefits import benefits_by_quarter, expected_per_family_month, pilot_family_months
from circles.change.effect import DiDResult
from circles.errors import ChangeError


def effect(estimate, lower, upper):
    return DiDResult(
        measure="crisis cost (£)",
        estimate=estimate,
        lower=lower,
        upper=upper,
        level=0.95,
        se=1.0,
        pilot_before=200.0,
        pilot_after=150.0,
        comparison_before=180.0,
        comparison_after=190.0,
        n_pilot=30,
        n_comparison=90,
        distribution=np.array([estimate]),
        method="test",
    )


def test_family_months_count_each_pilot_family_from_its_start_and_stop_at_as_of():
    cohort = pd.DataFrame(
        {
            "group": ["pilot"] * 3 + ["comparison"],
            "start_date": pd.to_datetime(["2011-04-01", "2011-04-20", "2011-06-01", "2011-04-01"]),
        }
    )
    months = pilot_family_months(cohort, after_months=18, as_of=pd.Timestamp("2011-07-31"))
    assert months.to_dict() == {
        pd.Period("2011-04", "M"): 2,
        pd.Period("2011-05", "M"): 2,
        pd.Period("2011-06", "M"): 3,
        pd.Period("2011-07", "M"): 3,
    }
    with pytest.raises(ChangeError, match="no pilot family"):
        pilot_family_months(cohort[cohort["group"] == "comparison"], after_months=3)


def test_realised_benefits_are_discounted_from_the_second_year_and_summed_by_financial_quarter():
    months = pd.Series(30, index=pd.period_range("2011-04", "2012-09", freq="M"))
    result = benefits_by_quarter(
        effect(-40.0, -70.0, -10.0), months, (10.0, 20.0, 30.0), start=pd.Timestamp("2011-04-01"), rate=0.035
    )
    assert result.table["quarter"].tolist() == [
        "2011/12 Q1",
        "2011/12 Q2",
        "2011/12 Q3",
        "2011/12 Q4",
        "2012/13 Q1",
        "2012/13 Q2",
    ]
    first_year = 40.0 * 30 * 12
    second = 40.0 * 30 * 6 / 1.035
    assert result.realised == pytest.approx(first_year + second, abs=0.01)
    assert result.realised_low == pytest.approx((first_year + second) / 4, abs=0.01)  # −10 is the smallest fall
    assert result.realised_high == pytest.approx((first_year + second) * 70 / 40, abs=0.01)
    assert result.expected == pytest.approx((first_year + second) / 2, abs=0.01)
    assert result.table["discount_factor"].tolist()[-2:] == [pytest.approx(1 / 1.035, abs=1e-6)] * 2
    cumulative = result.table["cumulative_realised"]
    assert cumulative.is_monotonic_increasing and cumulative.iloc[-1] == pytest.approx(result.realised)


def test_a_rise_in_crisis_cost_is_a_negative_benefit():
    months = pd.Series({pd.Period("2011-04", "M"): 10})
    result = benefits_by_quarter(effect(5.0, -2.0, 12.0), months, (0.0, 0.0, 0.0), start=pd.Timestamp("2011-04-01"))
    assert (result.realised, result.realised_low, result.realised_high) == (-50.0, -120.0, 20.0)


def test_expected_benefit_a_family_month_prices_each_avoided_contact():
    low, central, high = expected_per_family_month(
        {"A&E attendance": (0.2, 0.6, 1.2), "Police incident attended": (0.3, 0.8, 1.5)},
        {"A&E attendance": 250.0, "Police incident attended": 500.0},
    )
    assert (low, central, high) == pytest.approx(((50 + 150) / 12, (150 + 400) / 12, (300 + 750) / 12))
    with pytest.raises(ChangeError, match="avoids 'GP', which has no unit cost"):
        expected_per_family_month({"GP": (1, 1, 1)}, {"A&E attendance": 250.0})
