"""Supporting Families successful family outcomes: the rule, each failing condition, the needs holding claims back."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from circles.change.sfof import STATUSES, successful_family_outcomes
from circles.errors import ChangeError
from circles.planner.issues import default_family_issues

AS_OF = pd.Timestamp("2012-09-30")
THREE = ("housing", "health", "financial_stability")


def family(family_id: str, *, closed: str | None = "2012-01-15", lead=True, plan=True, group="pilot") -> dict:
    return {
        "family_id": family_id,
        "group": group,
        "start_date": pd.Timestamp("2011-04-01"),
        "lead_practitioner": lead,
        "whole_family_plan": plan,
        "closed_date": pd.Timestamp(closed) if closed else pd.NaT,
    }


def needs(family_id: str, outcomes=THREE, *, outcome="positive", sustained_to="2012-09-30", **override) -> list[dict]:
    rows = []
    for headline in outcomes:
        row = {
            "family_id": family_id,
            "headline_outcome": headline,
            "identified_date": pd.Timestamp("2011-04-10"),
            "outcome": override.get(headline, outcome),
            "outcome_date": pd.Timestamp("2011-12-01"),
            "sustained_to": pd.Timestamp(override.get(f"{headline}_to", sustained_to)),
        }
        if row["outcome"] != "positive":
            row["outcome_date"] = row["sustained_to"] = pd.NaT
        rows.append(row)
    return rows


def assess(families: list[dict], need_rows: list[dict], **options):
    return successful_family_outcomes(pd.DataFrame(families), pd.DataFrame(need_rows), as_of=AS_OF, **options)


def test_a_family_meeting_every_condition_is_successful() -> None:
    result = assess([family("A")], needs("A"))
    row = result.families.iloc[0]
    assert row["successful"] and row["status"] == "successful" and row["holding_back"] == ""
    assert row["needs"] == 3 and row["all_positive"] and row["closed"]
    assert row["sustained_months"] == pytest.approx(8.5)  # 15 Jan → 30 Sep: 8 months and 15 of September's 30 days
    assert result.summary.set_index("status")["families"].to_dict() == {s: int(s == "successful") for s in STATUSES}
    assert result.holding_back.empty
    assert "DLUHC 2022" in result.rule and "at least 3" in result.rule and "6 months" in result.rule
    assert result.as_of == AS_OF


@pytest.mark.parametrize(
    ("cohort_row", "need_rows", "status", "holding"),
    [
        (family("F"), needs("F", THREE[:2]), "fewer than 3 headline needs", ""),
        (family("F", lead=False), needs("F"), "no lead practitioner", ""),
        (family("F", plan="no"), needs("F"), "no whole-family plan", ""),
        (family("F"), needs("F", housing="not yet"), "not all needs positive", "housing"),
        (family("F"), needs("F", health="worse"), "not all needs positive", "health"),
        (family("F", closed=None), needs("F"), "open: support not closed", ""),
        (family("F", closed="2012-10-05"), needs("F"), "open: support not closed", ""),  # closes after as_of
        (family("F", closed="2012-06-01"), needs("F"), "too early: under 6 months since closure", THREE),
    ],
)
def test_each_failing_condition_gives_its_status(cohort_row, need_rows, status, holding) -> None:
    row = assess([cohort_row], need_rows).families.iloc[0]
    assert row["status"] == status and not row["successful"]
    expected = "; ".join(sorted(holding)) if isinstance(holding, tuple) else holding
    assert row["holding_back"] == expected


def test_a_need_sustained_five_months_is_too_early() -> None:
    """Closed 15 Jan; housing confirmed holding only to 15 Jun (5 months), the others to as_of."""
    result = assess([family("A")], needs("A", housing_to="2012-06-15"))
    row = result.families.iloc[0]
    assert row["status"] == "too early: under 6 months since closure"
    assert row["sustained_months"] == pytest.approx(5.0) and row["holding_back"] == "housing"
    # a day short of six calendar months is still too early; six months to the day counts
    assert assess([family("A")], needs("A", housing_to="2012-07-14")).families["status"].iloc[0].startswith("too")
    assert assess([family("A")], needs("A", housing_to="2012-07-15")).families["successful"].iloc[0]


def test_eligibility_is_checked_before_the_needs_and_the_needs_before_timing() -> None:
    families = [family("A", lead=False, closed=None), family("B", closed=None), family("C", closed="2012-08-01")]
    rows = needs("A", housing="not yet") + needs("B", housing="not yet") + needs("C", housing="not yet")
    status = assess(families, rows).families.set_index("family_id")["status"]
    assert status.to_dict() == {
        "A": "no lead practitioner",
        "B": "not all needs positive",
        "C": "not all needs positive",
    }


def test_the_holding_back_table_counts_the_need_that_holds_claims_back() -> None:
    families = [family(f"F{i}") for i in range(5)] + [family("X", lead=False)]
    rows = (
        needs("F0", financial_stability="not yet")
        + needs("F1", financial_stability="not yet", housing="worse")
        + needs("F2", financial_stability_to="2012-03-01")  # positive but held only 1.5 months after closure
        + needs("F3")
        + needs("F4", ("housing", "health", "crime"), crime="not yet")
        + needs("X", financial_stability="not yet")  # not eligible: its claim is held back by the lead practitioner
    )
    result = assess(families, rows)
    assert result.holding_back.to_dict("list") == {
        "headline_outcome": ["financial_stability", "crime", "housing"],
        "families": [3, 1, 1],
    }
    by_family = result.families.set_index("family_id")
    assert by_family.loc["F1", "holding_back"] == "financial_stability; housing"
    assert by_family.loc["X", "holding_back"] == "financial_stability"
    assert result.summary.set_index("status")["families"].to_dict() == {
        "successful": 1,
        "too early: under 6 months since closure": 1,
        "open: support not closed": 0,
        "not all needs positive": 3,
        "fewer than 3 headline needs": 0,
        "no lead practitioner": 1,
        "no whole-family plan": 0,
    }


def test_only_pilot_families_are_assessed_and_repeated_rows_are_one_need() -> None:
    families = [family("A"), family("C1", group="comparison"), family("B")]
    rows = needs("A") + needs("A", ("housing",), sustained_to="2012-05-01") + needs("C1") + needs("B") + needs("Z")
    result = assess(families, rows)
    assert list(result.families["family_id"]) == ["A", "B"]
    a = result.families.set_index("family_id").loc["A"]
    assert a["needs"] == 3 and a["status"].startswith("too early") and a["holding_back"] == "housing"
    assert a["sustained_months"] == pytest.approx(3 + 16 / 30)  # 15 Jan → 1 May: the earliest confirmation


def test_no_family_needs_and_open_families_have_no_sustained_months() -> None:
    result = assess([family("A"), family("B", closed=None)], needs("B"))
    a, b = result.families.set_index("family_id").loc[["A", "B"]].to_dict("records")
    assert a["needs"] == 0 and a["status"] == "fewer than 3 headline needs" and not a["all_positive"]
    assert math.isnan(b["sustained_months"]) and not b["closed"]


def test_confirmation_after_as_of_counts_only_to_as_of() -> None:
    result = assess([family("A", closed="2012-04-01")], needs("A", sustained_to="2013-06-01"))
    row = result.families.iloc[0]
    assert row["sustained_months"] == pytest.approx(5 + 29 / 30) and row["status"].startswith("too early")


def test_rule_parameters() -> None:
    result = assess([family("A", closed="2012-06-01")], needs("A", THREE[:2]), min_needs=2, sustain_months=3)
    assert result.families["successful"].iloc[0]
    assert "at least 2" in result.rule and "3 months" in result.rule


def test_errors_name_the_file_column() -> None:
    with pytest.raises(ChangeError, match="'headline_outcome' holds 'jobs'"):
        assess(
            [family("A")],
            needs("A", ("jobs", "health", "housing")),
            known_outcomes=set(default_family_issues().outcomes),
        )
    with pytest.raises(ChangeError, match="'outcome' holds 'done'"):
        assess([family("A")], needs("A", housing="done"))
    with pytest.raises(ChangeError, match="no column.*whole_family_plan"):
        successful_family_outcomes(
            pd.DataFrame([family("A")]).drop(columns="whole_family_plan"), pd.DataFrame(needs("A")), as_of=AS_OF
        )
    with pytest.raises(ChangeError, match="no pilot family"):
        assess([family("C", group="comparison")], needs("C"))
    with pytest.raises(ChangeError, match="'A' more than once"):
        assess([family("A"), family("A")], needs("A"))
