"""Cost models, cost per case, savings scenarios, apportionment and money formatting."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from circles.costs.estimates import prevalence, round_half_up, round_to
from circles.costs.model import (
    COST_TYPES,
    CostError,
    CostModel,
    apportion,
    cost_chart,
    cost_per_case,
    discount_factors,
    format_gbp,
    present_value,
    read_cost_model,
    savings_scenarios,
    scenario_table,
    sector_totals,
)
from circles.errors import CirclesError
from tests.helpers import ROOT

DEMO = ROOT / "pipelines" / "demo_costs.yaml"
SOURCE = "Circles of Need case study, Blackburn with Darwen (sector subtotal; line detail not published)"


@pytest.fixture(scope="module")
def demo() -> CostModel:
    return read_cost_model(DEMO)


def write(tmp_path: Path, text: str, *, price_year: str | None = "2012/13") -> Path:
    """The cost model ``text``, with a price year for the file appended (after every line the tests count)."""
    path = tmp_path / "costs.yaml"
    text = textwrap.dedent(text).lstrip("\n")
    if price_year is not None and "price_year" not in text:
        text += f"price_year: {price_year}\n"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
total: 150
sectors:
  - sector: Health
    subtotal: 150
    lines:
      - line: GP visits
        annual_cost: 100
        cost_type: fiscal
        source: unit cost database
      - line: A&E
        annual_cost: 50
        cost_type: fiscal
        source: unit cost database
"""

# ---------------------------------------------------------------------------------------------------- demo model


def test_demo_model_sector_subtotals(demo):
    totals = sector_totals(demo)
    assert totals["annual_cost"].to_dict() == {
        "Health/NHS": 11_631_409,
        "Criminal Justice": 10_029_121,
        "Benefits": 11_890_233,
    }
    assert demo.annual_total == 33_550_763
    assert demo.total == 33_550_763
    assert demo.subtotals == {"Health/NHS": 11_631_409, "Criminal Justice": 10_029_121, "Benefits": 11_890_233}
    assert sector_totals(demo, total_row=True).loc["Total", "annual_cost"] == 33_550_763
    assert totals["share"].sum() == pytest.approx(1)


def test_demo_model_lines(demo):
    lines = demo.lines
    assert list(lines.columns) == [
        "sector",
        "line",
        "sub_line",
        "annual_cost",
        "cost_type",
        "source",
        "price_year",
        "line_number",
    ]
    assert (lines["price_year"] == "not stated").all()  # the case study gives no price year: said, not guessed
    assert len(lines) == 3
    assert set(lines["cost_type"]) == {"fiscal"}
    assert (lines["source"] == SOURCE).all()
    text = DEMO.read_text().splitlines()
    for _, row in lines.iterrows():  # line_number points at the line's first key in the file
        assert text[row["line_number"] - 1].strip() == f"- line: {row['line']}"


def test_case_study_cost_per_case(demo):
    harmful = prevalence(102_787, {"harmful": 0.055}, total=None).loc["total", "harmful"]
    assert harmful == 5_653
    per_case = cost_per_case(demo, harmful)
    assert per_case == pytest.approx(33_550_763 / 5_653)
    assert round_half_up(per_case) == 5_935
    assert format_gbp(per_case) == "£5,935"
    assert round_to(per_case, 1000) == 6_000  # "about £6,000"
    # the case study divided by 5,600 harmful drinkers
    assert round_half_up(cost_per_case(33_550_763, 5_600)) == 5_991
    assert format_gbp(cost_per_case(demo, 5_600)) == "£5,991"


def test_cost_per_case_rejects_no_cases(demo):
    with pytest.raises(CostError, match="greater than 0"):
        cost_per_case(demo, 0)


# ---------------------------------------------------------------------------------------------- scenarios


def test_case_study_savings_scenarios(demo):
    per_case = cost_per_case(demo, 5_653)
    about = round_to(per_case, 1000)  # the case study multiplied "about £6,000"
    table = savings_scenarios(about, {"3 people sustain change": 3, "30 people": 30})
    assert list(table.columns) == ["scenario", "unit", "count", "cost_per_unit", "low", "central", "high"]
    # the case study's "3 people save about £18,000" is all of the cost per case: the high scenario, no more
    assert table["high"].tolist() == [18_000, 180_000]
    assert table["central"].tolist() == [13_500, 135_000]
    assert table["low"].tolist() == [9_000, 90_000]
    # from the unrounded cost per case: 3 x 5,935.04 = 17,805 ("about £18,000"); 30 x = 178,051
    exact = savings_scenarios(per_case, {"3": 3, "30": 30})
    assert exact["high"].tolist() == pytest.approx([3 * 33_550_763 / 5_653, 30 * 33_550_763 / 5_653])
    assert round_to(exact.loc[0, "high"], 1000) == 18_000
    assert round_to(exact.loc[1, "high"], 10_000) == 180_000


def test_discounting_green_book_convention():
    # year 0 undiscounted: 18,000 + 18,000/1.035 + 18,000/1.035^2
    expected = 18_000 + 18_000 / 1.035 + 18_000 / 1.035**2
    assert expected == pytest.approx(52_194.4970, abs=1e-4)
    assert present_value(18_000, 3) == pytest.approx(expected)
    table = savings_scenarios(6_000, {"3 people": 3}, years=3)
    assert table.loc[0, "high_pv"] == pytest.approx(expected)
    assert table.loc[0, "low_pv"] == pytest.approx(expected / 2)
    assert format_gbp(table.loc[0, "high_pv"]) == "£52,194"
    assert table.attrs["discount_rate"] == 0.035


def test_discounting_first_year_discounted():
    expected = 18_000 / 1.035 + 18_000 / 1.035**2 + 18_000 / 1.035**3
    assert expected == pytest.approx(50_429.4657, abs=1e-4)
    assert present_value(18_000, 3, first_year_discounted=True) == pytest.approx(expected)
    assert discount_factors(1).tolist() == [1.0]
    assert present_value(18_000, 1) == 18_000
    assert "central_pv" not in savings_scenarios(6_000, {"one": 1}).columns


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"low": 0.9}, "low <= central <= high"),
        ({"low": 1.5}, "cannot exceed the cost it avoids"),
        ({"high": 1.2}, "high share 1.2 avoids 120%"),
        ({"central": -1}, "0 or more"),
        ({"years": 0}, "1 or more"),
        ({"years": 2, "discount_rate": 3.5}, "0.035"),
    ],
)
def test_savings_scenarios_rejects_bad_settings(kwargs, message):
    with pytest.raises(CostError, match=message):
        savings_scenarios(6_000, {"3": 3}, **kwargs)


def test_scenario_table_strings():
    scenarios = savings_scenarios(6_000, {"3 people": 3, "30 families": 30}, years=3, unit_costs={"family": 6_000})
    table = scenario_table(scenarios)
    assert table.columns.tolist() == [
        "Scenario",
        "Unit",
        "Number",
        "Cost per unit a year",
        "Low",
        "Central",
        "High",
        "Low (PV)",
        "Central (PV)",
        "High (PV)",
    ]
    assert table.loc[0, "High"] == "£18,000"
    assert table.loc[1, "High"] == "£180,000"
    assert table.loc[0, "High (PV)"] == "£52,194"
    rounded = scenario_table(savings_scenarios(5_935.04, {"3": 3}), nearest=1000)
    assert rounded.loc[0, "High"] == "£18,000"
    assert scenario_table(savings_scenarios(5_935.04, {"3": 3}), figures=3).loc[0, "High"] == "£17,800"


# ------------------------------------------------------------------------------------------------- apportionment


def test_apportion_by_estimated_harmful_drinkers(demo):
    adults = pd.Series({"E01000001": 1_523, "E01000002": 1_877, "E01000003": 2_041, "E01000004": 999})
    harmful = prevalence(adults, {"harmful": 0.055}, total=None, rounded=False)["harmful"]
    shares = apportion(demo.annual_total, harmful)
    assert shares.index.equals(adults.index)
    assert int(round((shares * 100).round().sum())) == 3_355_076_300  # exactly the total, in pence
    assert sum(round(v * 100) for v in shares) == 3_355_076_300
    for code in adults.index:  # each part within a penny of its exact share
        assert abs(shares[code] - 33_550_763 * adults[code] / adults.sum()) <= 0.01


def test_apportion_largest_remainder():
    assert apportion(100, pd.Series({"A": 1, "B": 1, "C": 1})).tolist() == [33.34, 33.33, 33.33]
    assert apportion(10, pd.Series({"A": 1, "B": 1, "C": 1}), step=1).tolist() == [4.0, 3.0, 3.0]
    # remainders 0.6, 0.3, 0.1 of a pound: the leftover pound goes to the largest remainder
    assert apportion(10, pd.Series({"A": 0.26, "B": 0.43, "C": 0.31}), step=1).tolist() == [3.0, 4.0, 3.0]
    assert apportion(0.05, pd.Series({"A": 1, "B": 0})).tolist() == [0.05, 0.0]


@pytest.mark.parametrize(
    ("total", "drivers", "message"),
    [
        (100, pd.Series({"A": 0, "B": 0}), "all zero"),
        (100, pd.Series({"A": -1, "B": 2}), "negative"),
        (100, pd.Series({"A": "x"}), "must be a number"),
        (100.005, pd.Series({"A": 1}), "whole number of steps"),
        (100, pd.Series(dtype=float), "non-empty"),
    ],
)
def test_apportion_rejects(total, drivers, message):
    with pytest.raises(CostError, match=message):
        apportion(total, drivers)


# ---------------------------------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (33_550_763, {}, "£33,550,763"),
        (11_631_409.0, {}, "£11,631,409"),
        (0, {}, "£0"),
        (999.5, {}, "£1,000"),  # half up
        (2.5, {}, "£3"),
        (-1_234, {}, "-£1,234"),
        (-0.4, {}, "£0"),
        (1_234.5, {"pence": True}, "£1,234.50"),
        (-12.345, {"pence": True}, "-£12.35"),
        (float("nan"), {}, ""),
    ],
)
def test_format_gbp(value, kwargs, expected):
    assert format_gbp(value, **kwargs) == expected


def test_format_gbp_rejects_text():
    with pytest.raises(CostError):
        format_gbp("£5")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------------- chart


def _texts(figure: Figure) -> list:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(figure).draw()
    return [t for t in figure.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_cost_chart(demo):
    figure = cost_chart(demo)
    assert isinstance(figure, Figure)
    axes = figure.axes[1]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["Health/NHS", "Criminal Justice", "Benefits"]
    assert [p.get_width() for p in axes.patches] == [11_631_409, 10_029_121, 11_890_233]
    texts = [t.get_text() for t in _texts(figure)]
    # rounded as an estimate, never to the pound, with its source and price year on the chart itself
    assert {"£11.6 million", "£10.0 million", "£11.9 million"} <= set(texts)
    assert "£33.6 million a year" in figure.get_suptitle() and "£33,550,763" not in " ".join(texts)
    note = " ".join(texts[-1].split())
    assert note.startswith("Source: Circles of Need case study, Blackburn with Darwen")
    assert "Prices: not stated by the source" in note


@pytest.mark.parametrize("key", ["print", "large"])
def test_every_text_in_the_cost_chart_is_at_least_the_mediums_smallest(demo, key):
    from circles.figures.media import MEDIA

    medium = MEDIA[key]
    figure = cost_chart(demo, title="The annual cost of the problem, by sector", medium=medium)
    assert tuple(figure.get_size_inches()) == pytest.approx((medium.width_mm / 25.4, figure.get_size_inches()[1]))
    assert figure.get_size_inches()[1] * 25.4 <= medium.height_mm + 1e-9
    sizes = {t.get_text(): t.get_fontsize() for t in _texts(figure)}
    assert len(sizes) >= 8  # title, key, 3 sectors, 3 amounts, note
    assert min(sizes.values()) >= medium.min_pt, {k: v for k, v in sizes.items() if v < medium.min_pt}
    for text in _texts(figure):  # nothing drawn off the page
        box = text.get_window_extent()
        width, height = figure.bbox.width, figure.bbox.height
        assert box.x0 >= -1 and box.x1 <= width + 1 and box.y0 >= -1 and box.y1 <= height + 1, text.get_text()


def test_cost_chart_stacks_cost_types():
    lines = pd.DataFrame(
        {
            "sector": ["A", "A", "B"],
            "line": ["x", "y", "z"],
            "sub_line": None,
            "annual_cost": [60.0, 15.0, 25.0],
            "cost_type": ["fiscal", "social", "economic"],
            "source": "s",
            "line_number": [1, 2, 3],
        }
    )
    figure = cost_chart(CostModel(lines=lines, price_year=2010))
    key, axes = figure.axes
    assert [t.get_text() for t in key.get_legend().get_texts()] == ["fiscal", "economic", "social"]
    assert len(axes.patches) == 6  # 3 cost types x 2 sectors


# ---------------------------------------------------------------------------------------------------- errors


def test_good_model(tmp_path):
    model = read_cost_model(write(tmp_path, GOOD))
    assert model.lines["line_number"].tolist() == [6, 10]
    assert model.lines["sub_line"].isna().all()
    assert model.total == 150


def error_for(tmp_path: Path, text: str) -> str:
    with pytest.raises(CostError) as info:
        read_cost_model(write(tmp_path, text))
    return str(info.value)


def test_missing_sector_name(tmp_path):
    message = error_for(tmp_path, GOOD.replace("  - sector: Health\n", "  - lines_note: x\n"))
    assert "costs.yaml line 3" in message and "'sector' is missing" in message
    assert "unknown key 'lines_note'" in message


def test_negative_cost(tmp_path):
    message = error_for(tmp_path, GOOD.replace("annual_cost: 50", "annual_cost: -50"))
    assert "costs.yaml line 11, field 'annual_cost'" in message and "negative" in message


def test_non_numeric_cost(tmp_path):
    message = error_for(tmp_path, GOOD.replace("annual_cost: 100", 'annual_cost: "£100"'))
    assert "costs.yaml line 7, field 'annual_cost'" in message
    assert "without '£' or thousands separators" in message


def test_cost_with_thousands_separator_or_fraction_of_a_penny(tmp_path):
    message = error_for(tmp_path, GOOD.replace("annual_cost: 100", "annual_cost: 1,000"))
    assert "line 7, field 'annual_cost'" in message
    message = error_for(tmp_path, GOOD.replace("annual_cost: 100", "annual_cost: 99.999"))
    assert "line 7, field 'annual_cost'" in message and "2 decimal places" in message


def test_missing_cost(tmp_path):
    message = error_for(tmp_path, GOOD.replace("        annual_cost: 50\n", ""))
    assert "costs.yaml line 10: 'annual_cost' is missing" in message  # the line item starting on line 10
    assert "problem(s)" in message and "1 problem(s)" in message


def test_unknown_cost_type(tmp_path):
    message = error_for(
        tmp_path,
        GOOD.replace(
            "cost_type: fiscal\n        source: unit cost database\n      - line: A&E",
            "cost_type: fiscle\n        source: unit cost database\n      - line: A&E",
        ),
    )
    assert "costs.yaml line 8, field 'cost_type'" in message
    assert "Did you mean 'fiscal'?" in message
    assert all(t in message for t in COST_TYPES)


def test_subtotal_disagrees(tmp_path):
    message = error_for(tmp_path, GOOD.replace("subtotal: 150", "subtotal: 149.99"))
    assert "costs.yaml line 4, field 'subtotal'" in message
    assert "£149.99" in message and "£150" in message and "difference -£0.01" in message


def test_total_disagrees(tmp_path):
    message = error_for(tmp_path, GOOD.replace("total: 150", "total: 151"))
    assert "costs.yaml line 1, field 'total'" in message and "£151" in message and "the sectors, £150" in message


def test_demo_total_is_checked(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(DEMO.read_text().replace("total: 33550763", "total: 33550764"))
    with pytest.raises(CostError, match=r"demo\.yaml line \d+, field 'total'.*difference £1\b"):
        read_cost_model(path)


def test_all_problems_listed_together(tmp_path):
    text = GOOD.replace("annual_cost: 50", "annual_cost: -50").replace("cost_type: fiscal", "cost_type: cash")
    message = error_for(tmp_path, text)
    assert "3 problem(s)" in message  # two bad cost types and one negative cost; the sums are not checked
    assert "line 8, field 'cost_type'" in message and "line 12, field 'cost_type'" in message


def test_unknown_key_and_duplicate_sector(tmp_path):
    message = error_for(tmp_path, GOOD.replace("sub_total", "x").replace("subtotal: 150", "subtotl: 150"))
    assert "line 4, field 'subtotl': unknown key 'subtotl'. Did you mean 'subtotal'?" in message
    twice = GOOD + GOOD.split("sectors:\n", 1)[1]
    message = error_for(tmp_path, twice.replace("total: 150", "total: 300"))
    assert "sector 'Health' is already defined at line 3" in message


def test_unreadable_files(tmp_path):
    with pytest.raises(CostError, match="no such cost model file"):
        read_cost_model(tmp_path / "missing.yaml")
    with pytest.raises(CostError, match="not valid YAML"):
        read_cost_model(write(tmp_path, "sectors: [\n"))
    with pytest.raises(CostError, match="'sectors' must be a non-empty list"):
        read_cost_model(write(tmp_path, "total: 1\n"))
    assert issubclass(CostError, CirclesError)
