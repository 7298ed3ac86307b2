"""The benefits register and the case for change file."""

from __future__ import annotations

import pytest

from circles.change.case import Benefit, read_case
from circles.change.register import benefit_status, benefits_register
from circles.errors import SpecError


def benefit(measure, baseline, target, direction="down"):
    return Benefit(
        id=measure[:3],
        benefit="b",
        measure=measure,
        baseline=baseline,
        target=target,
        direction=direction,
        owner="Head of Early Help",
    )


def test_status_reads_the_direction_of_the_benefit():
    assert benefit_status(0.8, 0.5, 0.5, "down") == "target met"
    assert benefit_status(0.8, 0.5, 0.6, "down") == "improving"
    assert benefit_status(0.8, 0.5, 0.9, "down") == "not improving"
    assert benefit_status(5.0, 7.0, 7.5, "up") == "target met"
    assert benefit_status(5.0, 7.0, 4.0, "up") == "not improving"
    assert benefit_status(None, 7.0, 6.0, "up") == "not improving"
    assert benefit_status(5.0, 7.0, None, "up") == "not yet measured"


def test_register_takes_comparison_baselines_and_latest_values():
    table = benefits_register(
        [
            benefit("crisis_contacts_per_family_month", "from the comparison group", 0.5),
            benefit("wellbeing", 5.0, 7.0, "up"),
            benefit("successful_families", 0, 10, "up"),
        ],
        latest={"crisis_contacts_per_family_month": 0.61234, "wellbeing": 6.2, "successful_families": None},
        baselines={"crisis_contacts_per_family_month": 0.83},
    )
    assert table["baseline"].tolist() == [0.83, 5.0, 0.0]
    assert table["latest"].tolist()[:2] == [0.612, 6.2]
    assert table["status"].tolist() == ["improving", "improving", "not yet measured"]


def test_case_file_refuses_an_option_the_appraisal_does_not_have(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("name: x\noption: key-wroker\nbenefits: []\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"line 2, option: 'key-wroker' is not an option"):
        read_case(path, options=["key-worker"])
    path.write_text(
        "name: x\nbenefits:\n  - {id: B1, benefit: b, measure: nonsense, target: 1, direction: up, owner: o}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="line 3"):
        read_case(path)
