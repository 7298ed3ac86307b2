"""cost_of_problem: the costs stage's figures from plain values, checked against arithmetic done here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from circles.costs import CostModel, cost_of_problem, read_cost_model
from circles.costs.model import Family
from circles.ingest.disclosure import POLICIES, DisclosurePolicy

DEMO_COSTS = Path(__file__).resolve().parents[2] / "pipelines" / "demo_costs.yaml"
RATES = {"hazardous": 0.2, "harmful": 0.05}
ADULTS = pd.Series({"A": 10_000, "B": 20_000, "C": 2_000}, name="population").rename_axis("area_code")
#: publishes every count as it is, so penetration can be checked against the exact counts
EXACT = DisclosurePolicy("exact", suppress_below=1, round_to=1)


@pytest.fixture()
def model() -> CostModel:
    lines = pd.DataFrame(
        {
            "sector": ["Health", "Health", "Crime"],
            "line": ["A&E", "GP", "Police"],
            "sub_line": None,
            "annual_cost": [100_000.0, 23_456.78, 40_000.0],
            "cost_type": ["fiscal", "fiscal", "economic"],
            "source": "test",
            "line_number": [1, 2, 3],
        }
    )
    children = pd.DataFrame(
        {
            "sector": ["Per family"],
            "line": ["Children's social care"],
            "sub_line": None,
            "annual_cost": [2_000.0],
            "cost_type": ["fiscal"],
            "source": "test figure",
            "price_year": [None],
            "line_number": [9],
        }
    )
    family = Family(adults=1.5, adults_source="test survey", lines=children, description="a test family")
    return CostModel(lines=lines, name="test", price_year="2012/13", family=family)


def _run(model: CostModel, **kwargs):
    arguments = {
        "adults": ADULTS,
        "prevalence_rates": RATES,
        "need": "harmful",
        "scenarios": {"3 people": 3, "30 families": 30},
    } | kwargs
    return cost_of_problem(model, **arguments)


def test_prevalence_is_population_times_rate(model):
    result = _run(model)
    # every population × rate here is a whole number, so no rounding question arises
    expected = {name: {a: round(p * rate) for a, p in ADULTS.items()} for name, rate in RATES.items()}
    assert result.prevalence["hazardous"].to_dict() == {"A": 2000, "B": 4000, "C": 400} == expected["hazardous"]
    assert result.prevalence["harmful"].to_dict() == {"A": 500, "B": 1000, "C": 100} == expected["harmful"]
    assert result.prevalence["misusing"].to_dict() == {"A": 2500, "B": 5000, "C": 500}
    assert result.prevalence["population"].tolist() == ADULTS.tolist()
    assert result.prevalence.dtypes.eq("int64").all()
    assert result.summary["prevalence"] == {"hazardous": 6400, "harmful": 1600, "misusing": 8000}


def test_cost_per_case_is_total_over_need_and_apportioned_by_need(model):
    result = _run(model)
    total = 100_000 + 23_456.78 + 40_000
    need = 500 + 1000 + 100
    assert result.total == pytest.approx(total)
    assert result.cost_per_case == pytest.approx(total / need)  # £102.16 a case
    assert result.summary["total"] == "£163,457" and result.summary["cost_per_case"] == "£102"
    assert result.apportioned.name == "annual_cost"
    assert round(result.apportioned.sum(), 2) == pytest.approx(total)
    for area, harmful in {"A": 500, "B": 1000, "C": 100}.items():
        assert result.apportioned[area] == pytest.approx(total * harmful / need, abs=0.01)
    totals = result.sector_totals["annual_cost"].to_dict()
    assert totals == pytest.approx({"Health": 123_456.78, "Crime": 40_000.0, "Total": total})
    assert "line_number" not in result.lines and len(result.lines) == 3


def test_the_demo_cost_model_per_case_from_its_declared_total():
    result = _run(read_cost_model(DEMO_COSTS))
    assert result.total == 33_550_763  # the total the YAML file declares
    assert result.cost_per_case == pytest.approx(33_550_763 / 1600)


def test_penetration_is_treated_over_need(model):
    treated = pd.Series({"A": 50, "B": 200, "C": 3})
    result = _run(model, treated=treated, policy=EXACT)
    table = result.penetration
    assert table.index.tolist() == ["A", "B", "C", "all areas"]
    assert table["in_treatment"].tolist() == [50, 200, 3, 253]
    assert table["need"].tolist() == [500, 1000, 100, 1600]
    assert table["penetration"].tolist() == pytest.approx([50 / 500, 200 / 1000, 3 / 100, 253 / 1600])
    assert (table["lower"] < table["penetration"]).all() and (table["penetration"] < table["upper"]).all()
    assert result.summary["treatment_penetration"] == round(253 / 1600, 4)


def test_penetration_uses_the_protected_counts(model):
    treated = pd.Series({"A": 52, "B": 200, "C": 3})
    table = _run(model, treated=treated, policy=POLICIES["nhs"]).penetration
    # nhs: 1-7 suppressed, others to the nearest 5; the borough total is the exact 255 (not 50 + 200), protected
    assert table.loc["A", "in_treatment"] == 50 and table.loc["B", "in_treatment"] == 200
    assert pd.isna(table.loc["C", "in_treatment"]) and pd.isna(table.loc["C", "penetration"])
    assert table.loc["C", "need"] == 100
    assert table.loc["A", "penetration"] == pytest.approx(50 / 500)
    assert table.loc["all areas", "in_treatment"] == 255
    assert table.loc["all areas", "penetration"] == pytest.approx(255 / 1600)


def test_a_suppressed_borough_total_hides_the_borough_penetration(model):
    treated = pd.Series({"A": 0, "B": 4, "C": 0})
    result = _run(model, treated=treated, policy=POLICIES["nhs"])
    assert result.penetration.loc["all areas", ["in_treatment", "penetration"]].isna().all()
    assert result.penetration.loc["A", "penetration"] == 0


def test_a_scenario_saves_people_times_cost_per_case_and_families_times_the_family_cost(model):
    result = _run(model, years=1, discount_rate=0.0)
    per_case = (100_000 + 23_456.78 + 40_000) / 1600  # £102.16 a person
    per_family = 1.5 * per_case + 2_000  # 1.5 adults in need + children's social care: £2,153.24 a family
    assert per_family == pytest.approx(2_153.2407, abs=1e-4)
    table = result.scenarios.set_index("scenario")
    assert table["unit"].to_dict() == {"3 people": "person", "30 families": "family"}
    assert table.loc["3 people", "high"] == pytest.approx(3 * per_case)
    assert table.loc["3 people", "central"] == pytest.approx(0.75 * 3 * per_case)
    # a family is priced as a family, not as one person in need
    assert table.loc["30 families", "cost_per_unit"] == pytest.approx(per_family)
    assert table.loc["30 families", "high"] == pytest.approx(30 * per_family)  # £64,597, not 30 x £102 = £3,065
    assert table.loc["30 families", "low"] == pytest.approx(0.5 * 30 * per_family)
    assert (table["high"] <= table["count"] * table["cost_per_unit"] + 1e-9).all()  # never more than it avoids
    published = result.scenario_table()
    assert published["Assumed number sustaining change"].tolist() == ["3", "30"]
    assert published["High"].tolist() == ["£306", "£64,597"]
    assert result.summary["cost_per_family"] == "£2,153" and result.summary["cost_per_family_rounded"] == "£2,150"


def test_a_family_scenario_without_a_family_cost_is_an_error(model):
    from dataclasses import replace

    from circles.costs import CostError

    with pytest.raises(CostError, match=r"'30 families' counts family units but there is no cost per family"):
        _run(replace(model, family=None))
    with pytest.raises(CostError, match=r"'30 families' says it counts families but is given unit 'person'"):
        _run(model, scenarios={"30 families": {"count": 30, "unit": "person"}})
    result = _run(replace(model, family=None), scenarios={"30 parents": {"count": 30, "unit": "person"}})
    assert result.scenarios.loc[0, "unit"] == "person"


def test_savings_over_years_are_discounted(model):
    result = _run(model, years=3, discount_rate=0.035)
    central = 3 * (100_000 + 23_456.78 + 40_000) / 1600
    expected = 0.75 * central * (1 + 1 / 1.035 + 1 / 1.035**2)
    assert result.scenarios.loc[0, "central_pv"] == pytest.approx(expected)


def test_children_affected_scale_misusing_adults(model):
    children = pd.Series({"A": 3_000, "B": 4_000, "C": 1_000})
    result = _run(model, children=children)
    expected = 8_000 / 32_000 * (2500 + 5000 + 500)
    assert result.children_affected == pytest.approx(expected)
    assert result.summary["children_affected"] == 2000


def test_no_population_gives_no_per_case_cost_and_a_warning(model):
    result = _run(model, adults=None, treated=pd.Series({"A": 50}), layer="lsoa")
    assert result.cost_per_case is None and result.scenarios is None
    assert result.prevalence is None and result.penetration is None and result.apportioned is None
    assert result.warnings == ("no population for layer 'lsoa'; no prevalence, penetration or per-case cost",)
    assert list(result.summary) == ["total", "total_rounded", "price_year", "price_years_mixed", "sources"]
    assert list(result.tables("lsoa")) == ["cost_lines", "sector_totals", "family_cost"]
    assert result.scenario_table() is None


def test_tables_to_publish_are_named_by_layer(model):
    result = _run(model, treated=pd.Series({"A": 50, "B": 200, "C": 30}), policy=EXACT)
    assert result.warnings == ()
    tables = result.tables("lsoa")
    assert list(tables) == [
        "cost_lines",
        "sector_totals",
        "family_cost",
        "prevalence_lsoa",
        "treatment_penetration_lsoa",
        "apportioned_lsoa",
        "scenarios",
    ]
    assert tables["treatment_penetration_lsoa"]["area_code"].tolist() == ["A", "B", "C", "all areas"]
    assert tables["apportioned_lsoa"].columns.tolist() == ["area_code", "annual_cost", "price_year"]
    assert tables["sector_totals"]["sector"].tolist() == ["Health", "Crime", "Total"]
