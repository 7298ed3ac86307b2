"""Unit costs: the demo's file, and files that lack what a cost needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from circles.costs.money import CostError
from circles.design.unit_costs import read_unit_costs, unit_costs_by_service

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def test_the_demo_unit_costs_are_illustrative_sourced_and_in_one_price_year() -> None:
    table = read_unit_costs(PIPELINES / "demo_unit_costs.yaml")
    assert table.attrs["illustrative"]
    assert set(table["price_year"]) == {"2022/23"}
    assert table["source"].str.contains("illustrative").all()
    sources = " ".join(table["source"])
    for publisher in ("National Cost Collection", "Home Office", "Unit Costs of Health and Social Care"):
        assert publisher in sources
    by_service = unit_costs_by_service(table).set_index("service")
    assert by_service.loc["Emergency department attendance", "cost"] == 250
    assert by_service.loc["Domestic incident", "source"].startswith("Police incident attended: Home Office")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "  - {item: A&E, cost: 250, price_year: 2022/23}\n",
            r"line 2, unit_costs\.0\.source: required key is missing",
        ),
        (
            "  - {item: A&E, cost: -5, source: s, price_year: 2022/23}\n",
            r"unit_costs\.0\.cost: .*greater than or equal to 0",
        ),
        (
            "  - {item: A&E, cost: 250, source: s, price_year: 2022/23, colour: red}\n",
            r"unit_costs\.0\.colour: unknown key",
        ),
        (
            "  - {item: A&E, cost: 250, source: s, price_year: 2022/23}\n"
            "  - {item: GP, cost: 40, source: s, price_year: 2021/22}\n",
            r"more than one price_year \(2021/22, 2022/23\)",
        ),
        (
            "  - {item: A&E, cost: 250, source: s, price_year: 2022/23, services: [ED]}\n"
            "  - {item: GP, cost: 40, source: s, price_year: 2022/23, services: [ED]}\n",
            "service 'ED' is costed by two unit_costs items",
        ),
    ],
)
def test_a_unit_costs_file_lacking_what_a_cost_needs_names_the_file_and_key(tmp_path, text, message) -> None:
    path = tmp_path / "costs.yaml"
    path.write_text("unit_costs:\n" + text, encoding="utf-8")
    with pytest.raises(CostError, match=message) as error:
        read_unit_costs(path)
    assert str(path) in str(error.value)
