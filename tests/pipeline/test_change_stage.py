"""The change stage on the synthetic pilot: a planted effect recovered, a null pilot not mistaken for one, every
input row accounted for, and nothing published that names a family."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from circles.demo.pilot import PLANTED_EFFECT, pilot_tables
from circles.errors import ChangeError, SpecError
from circles.pipeline.runner import run_pipeline
from circles.pipeline.spec import load_spec
from circles.resources import packaged

PLANTED = sum(PLANTED_EFFECT.values())  # -0.25 crisis contacts a family-month


def write_inputs(folder: Path, effect: dict[str, float], seed: int = 20110401) -> None:
    tables = pilot_tables(np.random.default_rng(seed), effect=effect)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    pd.DataFrame({"client_id": ["C1"], "postcode": ["BB2 3HH"]}).to_csv(folder / "contacts.csv", index=False)


def change_spec(folder: Path, **change) -> Path:
    pipelines = packaged("pipelines")
    spec = {
        "name": "change-test",
        "output": "report",
        "geography": {"layers": {"lsoa": {"embedded": "lsoa11"}}},
        "sources": {
            "take_up": {
                "files": "contacts.csv",
                "columns": {
                    "client_id": {"column": "client_id", "privacy": "pseudonymise"},
                    "postcode": {"column": "postcode", "type": "postcode"},
                },
            }
        },
        "pseudonymisation": {"key": "demo", "scope": "change-test"},
        "stages": ["read", "validate", "pseudonymise", "design", "change"],
        "deprivation": {"embedded": "imd2019", "layer": "lsoa"},
        "design": {
            "unit_costs": str(pipelines / "demo_unit_costs.yaml"),
            "options": str(pipelines / "demo_options.yaml"),
        },
        "change": {
            "cohort": "cohort.csv",
            "outcomes": "outcomes.csv",
            "family_needs": "family_needs.csv",
            "case": str(pipelines / "demo_case_for_change.yaml"),
            "bootstrap": 999,
            "as_of": "2012-09-30",
        }
        | change,
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def effect_row(report: Path, measure: str = "crisis contacts a family-month") -> pd.Series:
    table = pd.read_csv(report / "change" / "effect.csv")
    return table.set_index("measure").loc[measure]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    write_inputs(folder, PLANTED_EFFECT)
    run_pipeline(load_spec(change_spec(folder)), quiet=True)
    return folder / "report"


def test_the_planted_effect_is_recovered_within_its_interval(planted):
    row = effect_row(planted)
    assert row["lower"] <= PLANTED <= row["upper"]
    assert row["upper"] < 0  # and told apart from no effect
    assert abs(row["difference_in_differences"] - PLANTED) < 0.1
    cost = effect_row(planted, "crisis cost (£) a family-month")
    assert cost["lower"] <= -100 <= cost["upper"]  # 0.10 x £250 + 0.15 x £500 planted


def test_a_null_pilot_gives_an_interval_that_spans_zero(tmp_path):
    write_inputs(tmp_path, {"ae_attendances": 0.0, "police_incidents": 0.0})
    run_pipeline(load_spec(change_spec(tmp_path)), quiet=True)
    row = effect_row(tmp_path / "report")
    assert row["lower"] < 0 < row["upper"]
    change = json.loads((tmp_path / "report" / "manifest.json").read_text(encoding="utf-8"))["change"]
    assert change["benefits"]["realised_low"] < 0 < change["benefits"]["realised_high"]


def test_matching_balances_the_groups_and_counts_are_published_as_the_policy_allows(planted):
    balance = pd.read_csv(planted / "change" / "balance.csv").set_index("covariate")
    assert balance.loc["prior_crisis", "smd_before"] > 0.25 and abs(balance.loc["prior_crisis", "smd_after"]) < 0.1
    assert balance.loc["deprivation", "smd_before"] < -0.25 and abs(balance.loc["deprivation", "smd_after"]) < 0.1
    row = effect_row(planted)
    assert row["pilot_families"] % 5 == 0 and row["comparison_families"] % 5 == 0  # nhs policy: nearest 5
    change = json.loads((planted / "manifest.json").read_text(encoding="utf-8"))["change"]
    statement = change["detectable"]["statement"]
    assert statement.startswith(f"With about {int(row['pilot_families'])} pilot and about ")
    assert 0.1 < change["detectable"]["mde"] < 0.4


def test_benefits_are_realised_by_quarter_against_the_measured_part_of_the_expectation(planted):
    quarters = pd.read_csv(planted / "change" / "benefits_by_quarter.csv")
    assert quarters["quarter"].iloc[0] == "2011/12 Q1"
    assert quarters["family_months"].sum() == 30 * 12
    change = json.loads((planted / "manifest.json").read_text(encoding="utf-8"))["change"]
    benefits = change["benefits"]
    assert benefits["realised_low"] < benefits["realised"] < benefits["realised_high"]
    assert benefits["realised"] == pytest.approx(quarters["cumulative_realised"].iloc[-1])
    # the key worker's A&E (0.6 x £250) and police (0.8 x £500) a family a year, for 360 family-months, discounted
    assert benefits["expected"] == pytest.approx(quarters["expected"].sum(), abs=0.05)
    assert benefits["expected"] < 550 / 12 * 360 and benefits["expected"] > 0.96 * 550 / 12 * 360
    assert benefits["expected_not_measured"] == ["Anti-social behaviour case", "Homelessness and housing options case"]


def test_the_register_is_a_workbook_without_formulas_and_family_outcomes_are_disclosure_controlled(planted):
    book = openpyxl.load_workbook(planted / "change" / "benefits_register.xlsx")
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    register = pd.read_csv(planted / "change" / "benefits_register.csv", keep_default_na=False)
    assert register["id"].tolist() == ["B1", "B2", "B3", "B4", "B5"]
    statuses = dict(zip(register["id"], register["status"], strict=True))
    assert statuses["B4"] in {"too few to publish", "not improving", "improving", "target met"}
    outcomes = pd.read_csv(planted / "change" / "family_outcomes.csv", keep_default_na=False, dtype=str)
    shown = [v for v in outcomes["families"] if v != "*"]
    assert all(int(v) == 0 or (int(v) >= 8 and int(v) % 5 == 0) for v in shown)


def test_no_family_identifier_is_published(planted):
    manifest = json.loads((planted / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["audit"]["findings"] == 0 and manifest["audit"]["searched_for"]["identifiers"] >= 270
    cohort = pd.read_csv(planted.parent / "cohort.csv")
    text = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in planted.rglob("*")
                   if p.is_file() and p.suffix in {".csv", ".json", ".svg", ".html"})  # fmt: skip
    assert not [f for f in cohort["family_id"] if f in text]


def test_bad_rows_are_quarantined_with_their_line_and_reason(tmp_path):
    write_inputs(tmp_path, PLANTED_EFFECT)
    cohort = pd.read_csv(tmp_path / "cohort.csv", dtype=str, keep_default_na=False)
    cohort.loc[3, "start_date"] = "1 April 2011"
    cohort.to_csv(tmp_path / "cohort.csv", index=False)
    outcomes = pd.read_csv(tmp_path / "outcomes.csv", dtype=str, keep_default_na=False)
    outcomes.loc[0, "value"] = "two"
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    run_pipeline(load_spec(change_spec(tmp_path)), quiet=True)
    rows = pd.read_csv(tmp_path / "report" / "change" / "rows.csv")
    reasons = set(zip(rows["file"], rows["reason"], strict=True))
    assert ("cohort.csv", "not a date (YYYY-MM-DD)") in reasons
    assert ("outcomes.csv", "not a number of 0 or more") in reasons
    assert ("outcomes.csv", "family not in the cohort") in reasons  # the family whose cohort row was quarantined
    lines = pd.read_csv(tmp_path / "report" / "change" / "quarantine.csv")
    assert "cohort.csv:5" in set(lines["source_row"]) and "outcomes.csv:2" in set(lines["source_row"])
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text(encoding="utf-8"))
    accounted = manifest["change"]["rows"]["outcomes.csv"]
    assert accounted["read"] == accounted["accepted"] + accounted["quarantined"]


def test_a_missing_column_is_an_error_naming_the_file_and_the_column(tmp_path):
    write_inputs(tmp_path, PLANTED_EFFECT)
    pd.read_csv(tmp_path / "cohort.csv").drop(columns="group").to_csv(tmp_path / "cohort.csv", index=False)
    with pytest.raises(ChangeError, match=r"cohort.csv: the cohort file has no 'group' column"):
        run_pipeline(load_spec(change_spec(tmp_path)), quiet=True)


def test_a_missing_file_or_unknown_covariate_is_a_spec_error_with_its_line(tmp_path):
    write_inputs(tmp_path, PLANTED_EFFECT)
    with pytest.raises(SpecError, match=r"change.outcomes: .*nowhere.csv does not exist"):
        load_spec(change_spec(tmp_path, outcomes="nowhere.csv"))
    with pytest.raises(SpecError, match=r"line \d+.*unknown covariate 'income'"):
        load_spec(change_spec(tmp_path, match_on=["income"]))


def test_several_files_of_one_kind_are_read_as_one_and_a_repeat_is_quarantined(tmp_path):
    write_inputs(tmp_path, PLANTED_EFFECT)
    outcomes = pd.read_csv(tmp_path / "outcomes.csv", dtype=str, keep_default_na=False)
    wellbeing = outcomes["measure"].eq("wellbeing")
    outcomes[~wellbeing].to_csv(tmp_path / "crisis.csv", index=False)  # the council's crisis contacts
    planner = outcomes[wellbeing]
    pd.concat([planner, planner.head(2)]).to_csv(tmp_path / "planner.csv", index=False)  # two rows given twice
    run_pipeline(load_spec(change_spec(tmp_path, outcomes=["crisis.csv", "planner.csv"])), quiet=True)
    rows = pd.read_csv(tmp_path / "report" / "change" / "rows.csv")
    planner_rows = rows[rows["file"] == "planner.csv"].set_index("reason")["rows"]
    assert planner_rows.to_dict() == {"accepted": len(planner), "duplicate family_id and period and measure": 2}
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text(encoding="utf-8"))
    register = pd.read_csv(tmp_path / "report" / "change" / "benefits_register.csv").set_index("measure")
    assert 1 <= float(register.loc["wellbeing", "latest"]) <= 10
    assert manifest["change"]["rows"]["crisis.csv"]["quarantined"] == 0
    with pytest.raises(SpecError, match=r"change.outcomes.1: .*missing.csv does not exist"):
        load_spec(change_spec(tmp_path, outcomes=["crisis.csv", "missing.csv"]))


def test_a_change_stage_reused_from_the_cache_still_gives_the_audit_its_family_ids(tmp_path):
    folder = tmp_path
    write_inputs(folder, {"ae_attendances": -0.1, "police_incidents": -0.15})
    spec = change_spec(folder)
    first = run_pipeline(load_spec(spec), quiet=True)
    again = run_pipeline(load_spec(spec), quiet=True)
    assert "change" in again.manifest["cache"]["reused"]  # the cache keeps no identifier...
    searched = first.manifest["audit"]["searched_for"]
    assert again.manifest["audit"]["searched_for"] == searched  # ...so the cohort's ids are read again
    assert searched["identifiers"] >= 30 * 4  # the pilot families and their candidate comparison families
