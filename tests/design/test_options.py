"""The options appraisal: NPV reproduced by hand, the tornado, and options files that name what they cannot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from circles.design.options import Option, appraise, option_npv, read_options
from circles.design.unit_costs import read_unit_costs
from circles.errors import SpecError
from circles.qualitative.codebook import read_codebook

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
COSTS = pd.DataFrame({"item": ["A&E", "Police"], "cost": [250.0, 500.0], "price_year": ["2022/23"] * 2})


def key_worker(**change) -> Option:
    data = {
        "id": "key-worker",
        "name": "A single key worker",
        "needs": ["NEE04"],
        "cost_per_family": {"low": 400, "central": 500, "high": 700},
        "families": {"low": 20, "central": 30, "high": 40},
        "setup_cost": 10000,
        "avoided": [
            {"item": "A&E", "low": 1, "central": 2, "high": 3},
            {"item": "Police", "low": 0.5, "central": 1, "high": 2},
        ],
    }
    return Option.model_validate(data | change)


def test_npv_reproduced_by_hand() -> None:
    # 30 families a year, each avoiding 2 A&E attendances (£250) and 1 police incident (£500) at £500 a family:
    # 30 x (2 x 250 + 1 x 500 - 500) = £15,000 a year, years 0-4 discounted at 3.5% (year 0 not), less £10,000.
    by_hand = sum(15000 / 1.035**t for t in range(5)) - 10000
    assert by_hand == pytest.approx(60096.19, abs=0.01)
    costs = {"A&E": 250.0, "Police": 500.0}
    assert option_npv(key_worker(), costs, years=5, rate=0.035) == pytest.approx(by_hand)
    table = appraise([key_worker()], COSTS, years=5, rate=0.035).table.iloc[0]
    assert table["npv_central"] == pytest.approx(by_hand)
    # low and high: contacts avoided at their low (1 and 0.5) and high (3 and 2) values, the rest central
    low = sum(30 * (1 * 250 + 0.5 * 500 - 500) / 1.035**t for t in range(5)) - 10000
    high = sum(30 * (3 * 250 + 2 * 500 - 500) / 1.035**t for t in range(5)) - 10000
    assert (table["npv_low"], table["npv_high"]) == (pytest.approx(low), pytest.approx(high))
    factor = sum(1 / 1.035**t for t in range(5))
    assert table["pv_cost"] == pytest.approx(30 * 500 * factor + 10000)
    assert table["pv_avoided"] == pytest.approx(30 * 1000 * factor)
    assert table["benefit_cost_ratio"] == pytest.approx(30 * 1000 * factor / (30 * 500 * factor + 10000))
    assert (table["years"], table["discount_rate"], table["price_year"]) == (5, 0.035, "2022/23")


def test_the_tornado_moves_one_assumption_at_a_time_widest_first() -> None:
    tornado = appraise([key_worker()], COSTS, years=5).tornado
    factor = sum(1 / 1.035**t for t in range(5))
    swings = dict(zip(tornado["assumption"], tornado["swing"], strict=True))
    assert swings["Cost per family"] == pytest.approx(30 * 300 * factor)  # £400 to £700
    assert swings["Families reached"] == pytest.approx(20 * 500 * factor)  # 20 to 40 families at £500 net each
    assert swings["A&E avoided"] == pytest.approx(30 * 2 * 250 * factor)
    assert swings["Police avoided"] == pytest.approx(30 * 1.5 * 500 * factor)
    assert "Setup cost" not in swings  # one value: no range, no bar
    assert list(tornado["swing"]) == sorted(tornado["swing"], reverse=True)
    cost = tornado.set_index("assumption").loc["Cost per family"]
    assert cost["npv_low"] > cost["central"] > cost["npv_high"]  # a low cost is the better case


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("needs: [NEE04, NEE99]", r"line 5, options\.0\.needs\.1: unknown need 'NEE99'"),
        ("needs: [A single key worker]", None),
        ("needs: [NEE04]\n    colour: red", r"options\.0\.colour: unknown key"),
    ],
)
def test_an_options_file_naming_an_unknown_need_is_refused_with_file_line_and_key(tmp_path, text, message) -> None:
    path = tmp_path / "options.yaml"
    path.write_text(
        "options:\n  - id: k\n    name: Key worker\n    cost_per_family: 500\n    " + text + "\n    families: 30\n"
        "    avoided: [{item: A&E, low: 1, central: 2, high: 3}]\n",
        encoding="utf-8",
    )
    needs = {"NEE04": "A single key worker"}
    if message is None:  # a need named by its code name is read as its id
        assert read_options(path, needs=needs, items={"A&E": 250}).options[0].needs == ["NEE04"]
        return
    with pytest.raises(SpecError, match=message) as error:
        read_options(path, needs=needs, items={"A&E": 250})
    assert str(path) in str(error.value)


def test_an_unknown_item_a_range_out_of_order_and_a_repeated_id_are_refused(tmp_path) -> None:
    path = tmp_path / "options.yaml"
    option = (
        "  - {id: k, name: K, needs: [N], cost_per_family: 1, families: 1, "
        "avoided: [{item: %s, low: 1, central: 2, high: %s}]}\n"
    )
    path.write_text("options:\n" + option % ("A and E", 3), encoding="utf-8")
    with pytest.raises(SpecError, match=r"options\.0\.avoided\.0\.item: 'A and E' is not a unit-cost item"):
        read_options(path, items={"A&E": 250})
    path.write_text("options:\n" + option % ("A&E", 3) + option % ("A&E", 3), encoding="utf-8")
    with pytest.raises(SpecError, match=r"line 3, options\.1\.id: option id 'k' is used twice"):
        read_options(path)
    path.write_text(
        "options:\n  - {id: k, name: K, needs: [N], cost_per_family: {low: 9, central: 5, high: 7}, families: 1}\n"
    )
    with pytest.raises(SpecError, match=r"options\.0\.cost_per_family: .*low, central and high must be in that order"):
        read_options(path)


def test_the_demo_options_read_against_the_demo_codebook_and_unit_costs() -> None:
    costs = read_unit_costs(PIPELINES / "demo_unit_costs.yaml")
    book = read_codebook(PIPELINES / "demo_codebook.yaml")
    items = dict(zip(costs["item"], costs["cost"], strict=True))
    options = read_options(PIPELINES / "demo_options.yaml", needs={c.id: c.name for c in book.codes}, items=items)
    assert options.illustrative
    assert [o.id for o in options.options] == ["key-worker", "out-of-hours-line", "family-advocates"]
    appraisal = appraise(options, costs, years=5)
    assert (appraisal.table["npv_low"] <= appraisal.table["npv_central"]).all()
    assert (appraisal.table["npv_central"] <= appraisal.table["npv_high"]).all()
    assert set(appraisal.tornado["option_id"]) == {"key-worker", "out-of-hours-line", "family-advocates"}
