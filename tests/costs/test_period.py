"""Treatment penetration over the same period as the prevalence: people in treatment a year, not per extract."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from circles.costs import read_cost_model
from circles.costs.period import RecordsPeriod, people_per_year, record_dates, records_period
from circles.costs.problem import cost_of_problem
from circles.ingest.disclosure import get_policy
from tests.helpers import PIPELINES

OPEN = get_policy("open", suppress_below=1, round_to=1)
TWO_YEARS = RecordsPeriod(date(2009, 4, 1), date(2011, 3, 31))

#: a in both years, b twice in year one (counts once there), c in year two only; area X holds a and b, Y holds c.
RECORDS = pd.DataFrame(
    {
        "person": ["a", "b", "b", "a", "c"],
        "area": ["X", "X", "X", "X", "Y"],
        "start_date": pd.to_datetime(["2009-04-01", "2009-05-01", "2010-03-31", "2010-04-01", "2011-03-31"]),
    }
)


def test_the_period_runs_from_the_first_to_the_last_date():
    period = records_period(RECORDS["start_date"])
    assert (period.first, period.last, period.days) == (date(2009, 4, 1), date(2011, 3, 31), 730)
    assert period.describe() == "2009-04-01 to 2011-03-31 (2.0 years)"
    assert not period.is_a_year and RecordsPeriod(date(2010, 4, 1), date(2011, 3, 31)).is_a_year
    assert records_period(pd.Series([pd.NaT])) is None and records_period(None) is None


def test_a_record_s_date_is_its_start_else_its_referral():
    frame = pd.DataFrame({"referral_date": ["2009-01-01", "2009-02-01"], "start_date": [None, "2009-03-01"]})
    assert record_dates(frame).dt.strftime("%Y-%m-%d").tolist() == ["2009-01-01", "2009-03-01"]
    assert record_dates(pd.DataFrame({"x": [1]})) is None


def test_people_a_year_count_each_person_once_in_each_12_months():
    # windows from 2009-04-01: year one a, b (b twice); year two a, c -> (2 + 2) / (730 / 365.25)
    years = 730 / 365.25
    assert people_per_year(RECORDS, person="person", date="start_date", period=TWO_YEARS) == pytest.approx(4 / years)
    by_area = people_per_year(RECORDS, person="person", date="start_date", period=TWO_YEARS, by="area")
    assert by_area.to_dict() == pytest.approx({"X": 3 / years, "Y": 1 / years})


def test_records_with_a_repeated_index_are_counted_by_position():
    frame = pd.concat([RECORDS.iloc[:3], RECORDS.iloc[3:]])  # index 0, 1, 2, 3, 4 -> make it repeat
    frame.index = [0, 1, 0, 1, 0]
    frame["referral_date"] = frame["start_date"]
    frame["start_date"] = [None, frame["start_date"].iloc[1], None, None, None]
    assert record_dates(frame).tolist() == RECORDS["start_date"].tolist()
    by_area = people_per_year(frame, person="person", date="referral_date", period=TWO_YEARS, by="area")
    assert (by_area * TWO_YEARS.years).round(6).to_dict() == {"X": 3, "Y": 1}


def test_the_anniversary_starts_the_second_year():
    # 2010-03-31 is in year one, 2010-04-01 in year two: a person seen on both days counts once a year, twice in all
    frame = pd.DataFrame({"p": ["a", "a"], "d": pd.to_datetime(["2010-03-31", "2010-04-01"])})
    assert people_per_year(frame, person="p", date="d", period=TWO_YEARS) * TWO_YEARS.years == pytest.approx(2)


def _costs(treated, **kwargs):
    model = read_cost_model(PIPELINES / "demo_costs.yaml")
    adults = pd.Series({"X": 20_000, "Y": 20_000}).rename_axis("area_code")
    return cost_of_problem(
        model,
        adults=adults,
        treated=treated,
        prevalence_rates={"harmful": 0.05},
        need="harmful",
        scenarios={"3 people": 3},
        policy=OPEN,
        **kwargs,
    )


def test_penetration_over_two_years_is_annualised_and_says_so():
    in_period = pd.Series({"X": 240, "Y": 160})  # 400 people over the two years
    per_year = pd.Series({"X": 125.4, "Y": 80.4})  # 205.8 a year: each area and the total rounded on their own
    result = _costs(per_year, treatment_period=TWO_YEARS, treated_in_period=in_period)
    assert result.summary["in_treatment_per_year"] == 206  # not 125 + 80 = 205
    assert result.summary["treatment_penetration"] == round(206 / 2000, 4)
    assert result.penetration["in_treatment"].tolist() == [125, 80, 206]
    period = result.summary["treatment_period"]
    assert period["annualised"] is True and period["years"] == 2.0 and period["first"] == "2009-04-01"
    note = result.summary["penetration_note"]
    assert "the records cover 2009-04-01 to 2011-03-31 (2.0 years) but the prevalence is for one year" in note
    assert "about 206 a year" in note and "the 400 people in treatment over the whole period" in note
    assert "would overstate penetration (20.0%)" in note
    assert result.warnings == (f"treatment penetration: {note}",)


def test_a_year_of_records_needs_no_annualising_and_no_warning():
    year = RecordsPeriod(date(2010, 4, 1), date(2011, 3, 31))
    treated = pd.Series({"X": 120, "Y": 80})
    result = _costs(treated, treatment_period=year, treated_in_period=treated)
    assert result.summary["treatment_penetration"] == 0.1 and result.summary["treatment_period"]["annualised"] is False
    assert "penetration_note" not in result.summary and result.warnings == ()


def test_a_suppressed_penetration_is_none_not_nan():
    result = cost_of_problem(
        read_cost_model(PIPELINES / "demo_costs.yaml"),
        adults=pd.Series({"X": 20_000}).rename_axis("area_code"),
        treated=pd.Series({"X": 3}),
        prevalence_rates={"harmful": 0.05},
        need="harmful",
        scenarios={"3 people": 3},
    )
    assert result.summary["treatment_penetration"] is None and result.summary["in_treatment_per_year"] is None


@pytest.mark.slow
def test_the_demo_penetration_is_people_a_year_over_a_one_year_prevalence(session_demo):
    costs = session_demo.result.manifest["costs"]
    period = costs["treatment_period"]
    assert (period["first"], period["last"], period["annualised"]) == ("2009-04-01", "2011-03-31", True)
    # about 630 people a year in treatment (the case study: 628) over 6,131 estimated harmful drinkers; 1,135
    # people over the two years would have given 18.5%
    assert costs["in_treatment_per_year"] == 630 and costs["prevalence"]["harmful"] == 6131
    assert costs["treatment_penetration"] == pytest.approx(630 / 6131, abs=1e-4)
    assert "would overstate penetration (18.5%)" in costs["penetration_note"]
    assert any(
        w.startswith("costs: treatment penetration: the records cover")
        for w in session_demo.result.manifest["warnings"]
    )
    for pack in ("customer_definition", "challenge"):
        html = (session_demo.report / "packs" / f"{pack}.html").read_text(encoding="utf-8")
        assert "Treatment penetration:</strong> the records cover 2009-04-01 to 2011-03-31" in html
        assert "10.3%" in html
