"""Costs a reader can trust: every £ with its source and price year, rounded as the estimate it is; savings that
cannot exceed the cost they avoid; families priced as families (issue 16, item 5)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from circles.costs import CostError, cost_of_problem, read_cost_model
from circles.costs.money import format_gbp_rounded, round_significant
from circles.costs.scenarios import savings_scenarios, scenario_unit
from tests.helpers import ROOT

DEMO = ROOT / "pipelines" / "demo_costs.yaml"

MODEL = """
name: test model
price_year: 2012/13
sectors:
  - sector: Health
    lines:
      - line: A&E attendances
        annual_cost: 600000
        cost_type: fiscal
        source: Unit Cost Database v2.0
  - sector: Crime
    lines:
      - line: Police call-outs
        annual_cost: 400000
        cost_type: fiscal
        source: Home Office
        price_year: 2015/16
family:
  description: a family with a parent in need
  adults_per_family: 1.5
  adults_source: local survey
  lines:
    - line: Children's social care
      annual_cost: 2500
      cost_type: fiscal
      source: PSSRU
savings:
  low: 0.25
  central:
    share: 0.5
    avoids: half of it
  high:
    share: 1.0
    avoids: all of it
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "costs.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    with pytest.raises(CostError) as info:
        read_cost_model(write(tmp_path, text))
    return str(info.value)


# ------------------------------------------------------------------------------------------------ rounding


@pytest.mark.parametrize(
    ("pounds", "text"),
    [
        (33_550_763, "£33.6 million"),
        (10_029_121, "£10.0 million"),
        (5_474.26, "£5,470"),
        (178_051.2, "£178,000"),
        (102.16, "£102"),
        (999_999, "£1.00 million"),
        (0, "£0"),
    ],
)
def test_estimates_are_quoted_to_3_significant_figures(pounds, text):
    assert format_gbp_rounded(pounds) == text


def test_round_significant_rounds_half_up():
    assert round_significant(12_350) == 12_400 and round_significant(-12_350) == -12_400
    assert round_significant(float("nan")) != round_significant(float("nan"))


# ---------------------------------------------------------------------------------------------- provenance


def test_every_line_has_a_source_and_a_price_year(tmp_path):
    model = read_cost_model(write(tmp_path, MODEL))
    assert model.line_price_years() == ["2012/13", "2015/16"]  # the file's year unless the line gives its own
    facts = model.provenance()
    assert facts["sources"] == ["Unit Cost Database v2.0", "Home Office"]
    # two years' prices are never silently added up as one: they are said to be mixed and not uprated
    assert facts["price_year"] == "mixed price years (2012/13, 2015/16), not uprated" and facts["mixed"]


def test_a_line_without_a_price_year_is_an_error_naming_its_line(tmp_path):
    text = MODEL.replace("price_year: 2012/13\n", "")
    message = error_for(tmp_path, text)
    assert "2 problem(s)" in message  # the line of the sector without a year, and the family's line
    assert "costs.yaml line 5, field 'price_year': no price year for 'A&E attendances'" in message
    assert "costs.yaml line 21, field 'price_year': no price year for \"Children's social care\"" in message
    assert "'not stated' if its source does not say" in message


def test_the_demo_says_its_price_year_is_not_stated():
    model = read_cost_model(DEMO)
    assert model.price_year == "not stated"
    assert model.provenance()["price_year"] == "not stated"
    assert model.savings["high"][0] == 1.0  # was 1.2: 120% of the cost it avoids


# ----------------------------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("  high:\n    share: 1.0", "  high:\n    share: 1.2", "line 32, field 'share': a share of 1.2 avoids 120%"),
        ("  low: 0.25", "  low: 1.5", "line 27, field 'low': a share of 1.5 avoids 150%"),
    ],
)
def test_a_saving_above_the_cost_it_avoids_is_an_error_naming_the_field(tmp_path, old, new, where):
    message = error_for(tmp_path, MODEL.replace(old, new))
    assert f"costs.yaml {where} of the cost, more than the whole cost it avoids" in message
    assert "a saving cannot exceed the cost it avoids" in message


def test_savings_shares_out_of_order_are_an_error(tmp_path):
    message = error_for(tmp_path, MODEL.replace("  low: 0.25", "  low: 0.75"))
    assert (
        "line 26, field 'savings': the shares must be low <= central <= high; got low 0.75, central 0.5, high 1."
        in message
    )


def test_no_scenario_saves_more_than_the_cost_per_unit():
    with pytest.raises(CostError, match="high share 1.2 avoids 120% of the cost per case"):
        savings_scenarios(5_935.04, {"3 people": 3}, high=1.2)
    table = savings_scenarios(5_935.04, {"3 people": 3, "30 families": 30}, unit_costs={"family": 9_000})
    assert (table["high"] <= table["count"] * table["cost_per_unit"]).all()


# ------------------------------------------------------------------------------------------------ families


def test_a_family_scenario_is_priced_with_the_family_cost(tmp_path):
    model = read_cost_model(write(tmp_path, MODEL))
    adults = pd.Series({"A": 8_000, "B": 12_000}).rename_axis("area_code")
    result = cost_of_problem(
        model,
        adults=adults,
        prevalence_rates={"harmful": 0.05},
        need="harmful",
        scenarios={"3 people": 3, "30 families": 30},
    )
    # by hand: £1,000,000 / 1,000 harmful = £1,000 a person; a family is 1.5 adults + £2,500 children's care
    assert result.cost_per_case == pytest.approx(1_000)
    family = 1.5 * 1_000 + 2_500
    table = result.scenarios.set_index("scenario")
    assert table.loc["30 families", "cost_per_unit"] == pytest.approx(4_000) == family
    assert table.loc["30 families", ["low", "central", "high"]].tolist() == pytest.approx([30_000, 60_000, 120_000])
    assert table.loc["3 people", "high"] == pytest.approx(3_000)  # a person is a person
    assert result.summary["cost_per_family"] == "£4,000"
    family_table = result.tables()["family_cost"]
    assert family_table["annual_cost"].tolist() == [1_500, 2_500, 4_000]
    assert family_table.loc[1, "source"] == "PSSRU"


def test_scenario_units_come_from_what_they_count():
    assert scenario_unit("30 families") == "family" and scenario_unit("3 people sustaining change") == "person"
    with pytest.raises(CostError, match="says it counts families but is given unit 'person'"):
        scenario_unit("30 families", "person")
    with pytest.raises(CostError, match="names both people and families"):
        scenario_unit("3 people in 2 families")
    with pytest.raises(CostError, match="no cost per family: a family is not priced as one person"):
        savings_scenarios(5_935.04, {"30 families": 30})


def test_the_spec_takes_a_scenario_with_its_unit(tmp_path):
    from circles.pipeline.spec import CostsSpec

    spec = CostsSpec(model=DEMO, scenarios={"30 households": {"count": 30, "unit": "family"}, "3 people": 3})
    table = savings_scenarios(1_000, spec.scenarios, unit_costs={"family": 2_500})
    assert table[["unit", "cost_per_unit"]].values.tolist() == [["family", 2_500], ["person", 1_000]]


# -------------------------------------------------------------------------------------------------- packs


def test_the_pack_quotes_the_total_rounded_with_its_source_and_price_year(tmp_path):
    from circles.packs.context import _costs, _Images

    model = read_cost_model(DEMO)
    adults = pd.Series({"A": 60_000, "B": 42_787}).rename_axis("area_code")
    result = cost_of_problem(
        model,
        adults=adults,
        prevalence_rates={"harmful": 0.055},
        need="harmful",
        scenarios={"3 people sustaining change": 3, "30 families": 30},
    )
    report = tmp_path / "report"
    (report / "costs").mkdir(parents=True)
    for stem, table in result.tables().items():
        table.to_csv(report / "costs" / f"{stem}.csv", index=False)
    manifest = {"costs": result.summary | {"need": "harmful"}}
    (report / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    context = _costs(report, manifest, _Images(report, tmp_path / "out"), 1000)
    assert context["total_cost"] == "£33.6 million"  # not £33,550,763
    assert context["cost_per_case"] == "£5,940" and context["cost_per_family"] == "£5,940"
    assert context["cost_provenance"] == (
        "Source: Circles of Need case study, Blackburn with Darwen (sector subtotal; line detail not published). "
        "Prices: not stated by the source. Estimates are rounded to 3 significant figures."
    )
    assert context["cost_prices"] == "prices not stated by the source"
    assert [s["cost"] for s in context["sectors"]] == [
        "£11.6 million",
        "£10.0 million",
        "£11.9 million",
        "£33.6 million",
    ]
    families = context["scenarios"][1]
    assert families["Assumed number"] == "30 families" and families["Cost a year each"] == "£5,940 per family"
    assert families["High"] == "£178,000"  # 30 x £5,935 x 100%: the most it can avoid
    assert "lower bound" in context["family_note"] and context["family_lower_bound"]
    assert [s["share"] for s in context["savings_shares"]] == ["50%", "75%", "100%"]
