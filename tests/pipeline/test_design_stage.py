"""The design stage on a small spec of crafted contacts with known answers (disclosure set to publish exactly).

Three families:

* F1: A&E by ambulance (closed the same day), A&E again 10 days later (a repeat and a re-referral), a GP
  consultation 20 days after the first crisis (planned support reached), then a police domestic incident by a
  999 call (crisis after planned support);
* F2: GP consultation (self), then housing options (from the GP): planned only;
* F3: a domestic incident by a 999 call, never reaching planned support (censored at the last start date).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from circles.errors import CirclesError, SpecError
from circles.pipeline.runner import run_pipeline
from circles.pipeline.spec import load_spec

ROWS = [
    ("C1", "F1", "Emergency department attendance", "Ambulance", "2010-01-01", "2010-01-01"),
    ("C1", "F1", "Emergency department attendance", "Ambulance", "2010-01-11", "2010-01-11"),
    ("C1", "F1", "GP consultation", "Self", "2010-01-21", ""),
    ("C1", "F1", "Domestic incident", "999 call", "2010-03-01", "2010-03-01"),
    ("C2", "F2", "GP consultation", "Self", "2010-01-05", ""),
    ("C2", "F2", "Housing options", "GP", "2010-02-01", ""),
    ("C3", "F3", "Domestic incident", "999 call", "2010-02-01", "2010-02-01"),
]

UNIT_COSTS = """
name: test unit costs
unit_costs:
  - {item: A&E attendance, cost: 250, source: NHS National Cost Collection, price_year: 2022/23,
     services: [Emergency department attendance]}
  - {item: Police incident, cost: 500, source: Home Office, price_year: 2022/23, services: [Domestic incident]}
"""


def small_spec(folder: Path, design: dict | None = None, **extra) -> Path:
    """A spec reading the crafted contacts, publishing every count as it is (suppress below 1, round to 1)."""
    rows = [(c, f, s, f"{s} provider", r, d, e, "BB2 3HH") for c, f, s, r, d, e in ROWS]
    columns = ["client_id", "family_id", "service", "provider", "referral_source", "start_date", "end_date", "pc"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "contacts.csv", index=False)
    (folder / "unit_costs.yaml").write_text(UNIT_COSTS, encoding="utf-8")
    date = {"type": "date", "date_formats": ["%Y-%m-%d"]}
    spec = {
        "name": "design-test",
        "output": "report",
        "geography": {"layers": {"lsoa": {"embedded": "lsoa11"}}},
        "sources": {
            "take_up": {
                "files": "contacts.csv",
                "columns": {
                    "client_id": {"column": "client_id", "privacy": "pseudonymise"},
                    "family_id": {"column": "family_id", "privacy": "pseudonymise"},
                    "postcode": {"column": "pc", "type": "postcode"},
                    "service": "service",
                    "provider": "provider",
                    "referral_source": "referral_source",
                    "start_date": {"column": "start_date"} | date,
                    "end_date": {"column": "end_date", "required": False} | date,
                },
            }
        },
        "pseudonymisation": {"key": "demo", "scope": "design-test"},
        "stages": ["read", "validate", "pseudonymise", "design"],
        "disclosure": {"policy": "nhs", "suppress_below": 1, "round_to": 1},
        "design": {"unit_costs": "unit_costs.yaml"} if design is None else design,
    } | extra
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("design_stage")
    result = run_pipeline(small_spec(folder), quiet=True)
    return result.output_dir / "design", result.manifest


def read(report: tuple[Path, dict], name: str) -> pd.DataFrame:
    return pd.read_csv(report[0] / name, na_values=["*"])


def test_journeys_and_routes_in_count_each_family_once(report) -> None:
    journeys = read(report, "journeys_common.csv")
    assert sorted(zip(journeys["journey"], journeys["families"], strict=True)) == [
        ("Domestic incident", 1),
        ("Emergency department attendance → GP consultation → Domestic incident", 1),
        ("GP consultation → Housing options", 1),
    ]
    assert journeys["families"].sum() == report[1]["design"]["families"] == 3
    page = (report[0] / "journeys_sankey.html").read_text(encoding="utf-8")  # the same journeys, as a Sankey
    assert '"type":"sankey"' in page.replace(" ", "") and "1. GP consultation" in page and "2. Housing options" in page
    assert not re.search(r"<script[^>]+src=\"https?:", page)  # opens offline: no script from the network
    routes = read(report, "routes_in.csv")
    assert routes[["route_type", "route", "families"]].values.tolist() == [
        ["crisis", "999 call", 1],
        ["crisis", "Ambulance", 1],
        ["planned", "Self", 1],
    ]


def test_time_to_planned_support_reaches_one_family_and_censors_the_other(report) -> None:
    # published at days 0, 7, 14 and the longest follow-up (28), never at each event day
    km = read(report, "time_to_planned_support.csv")
    assert km["day"].tolist() == [0, 7, 14, 28]
    assert km["survival"].tolist() == [1.0, 1.0, 1.0, 0.5]
    assert km[["at_risk", "reached", "censored"]].values.tolist() == [[2, 0, 0], [2, 0, 0], [2, 0, 0], [1, 1, 1]]
    summary = report[1]["design"]["time_to_planned_support"]
    assert summary["families_in_crisis"] == 2 and summary["reached_planned_support"] == 1
    assert summary["censored_at"] == "2010-03-01" and summary["median_days"] is None  # never below a half


def test_telling_my_story_and_repeat_presentations(report) -> None:
    story = read(report, "telling_my_story.csv")
    assert story["families"].tolist()[:3] == [1, 1, 1] and story["families"].sum() == 3
    repeats = read(report, "repeat_presentations.csv")
    assert repeats[["window_days", "crisis_contacts", "repeats"]].values.tolist() == [[30, 4, 1], [90, 4, 2]]
    assert repeats["share"].tolist() == [0.25, 0.5]


def test_failure_demand_per_service_is_costed_with_the_unit_costs(report) -> None:
    fd = read(report, "failure_demand.csv").set_index("service")
    measures = ["contacts", "repeat", "re_referral", "failure_demand"]
    assert fd.loc["Emergency department attendance", measures].tolist() == [2, 1, 1, 1]
    assert fd.loc["Domestic incident", "crisis_after_planned"] == 1
    assert fd.loc["Emergency department attendance", "failure_cost"] == 250
    assert fd.loc["Domestic incident", "failure_cost"] == 500
    text = pd.read_csv(report[0] / "failure_demand.csv", dtype=str, keep_default_na=False).set_index("service")
    assert text.loc["All services", "contacts_suppression"] == ""  # a reason that does not apply: blank, never "*"
    assert text.loc["GP consultation", "failure_cost"] == ""  # no unit cost: blank, not "*" (suppressed)
    overall = fd.loc["All services"]
    assert (overall["contacts"], overall["failure_demand"], overall["failure_cost"]) == (7, 2, 750)
    assert overall["failure_demand_share"] == pytest.approx(2 / 7)
    assert 0 <= overall["failure_demand_lower"] < 2 / 7 < overall["failure_demand_upper"] <= 1
    design = report[1]["design"]
    assert design["unit_costs"]["price_year"] == "2022/23"
    assert design["failure_demand_cost"] == 750
    assert {"journeys", "time_to_planned_support", "failure_demand"} <= set(design["method"])


def test_no_pseudonym_or_family_id_is_published(report) -> None:
    text = " ".join(p.read_text(encoding="utf-8") for p in report[0].glob("*.csv"))
    assert not any(f in text.split(",") for f in ("F1", "F2", "F3", "C1"))
    assert "best_placed" in report[1]["design"]  # no services section: says so


def test_without_a_design_section_the_stage_is_skipped(tmp_path) -> None:
    path = small_spec(tmp_path)
    spec = yaml.safe_load(path.read_text())
    del spec["design"]
    path.write_text(yaml.safe_dump(spec))
    result = run_pipeline(path, quiet=True)
    assert "design" not in result.manifest and not (result.output_dir / "design").exists()


def test_an_unknown_design_key_is_refused_with_its_line(tmp_path) -> None:
    with pytest.raises(SpecError, match=r"design\.story_window: unknown key\. Did you mean 'story_window_days'"):
        load_spec(small_spec(tmp_path, {"story_window": 90}))


def test_a_missing_unit_costs_file_is_refused_when_the_spec_loads(tmp_path) -> None:
    with pytest.raises(SpecError, match=r"design\.unit_costs: .*absent\.yaml does not exist"):
        load_spec(small_spec(tmp_path, {"unit_costs": "absent.yaml"}))


def test_a_unit_costs_file_missing_a_column_names_the_file_and_key(tmp_path) -> None:
    path = small_spec(tmp_path)
    (tmp_path / "unit_costs.yaml").write_text(
        "unit_costs:\n  - {item: A&E attendance, cost: 250, price_year: 2022/23}\n", encoding="utf-8"
    )
    with pytest.raises(CirclesError, match=r"unit_costs\.yaml, .*unit_costs\.0\.source: required key is missing"):
        run_pipeline(path, quiet=True)


def test_inline_unit_costs_and_crisis_routes_from_the_design_section(tmp_path) -> None:
    inline = [{"item": "A&E", "cost": 100, "source": "s", "price_year": "2022/23", "services": ["GP consultation"]}]
    result = run_pipeline(small_spec(tmp_path, {"unit_costs": inline, "crisis_routes": ["Ambulance"]}), quiet=True)
    design = result.manifest["design"]
    assert design["crisis_routes"] == ["Ambulance"] and design["failure_demand_cost"] == 0
    routes = pd.read_csv(result.output_dir / "design" / "routes_in.csv")
    assert routes[["route_type", "route"]].values.tolist() == [
        ["crisis", "Ambulance"],
        ["planned", "999 call"],
        ["planned", "Self"],
    ]


PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
OPTIONS = """
options:
  - id: key-worker
    name: A single key worker
    needs: [%s]
    cost_per_family: 100
    families: {low: 5, central: 10, high: 20}
    avoided:
      - {item: A&E attendance, low: 0.5, central: 1, high: 2}
      - {item: Police incident, low: 0, central: 0.5, high: 1}
"""


def with_directory(folder: Path, need: str = "NEE04", **design) -> Path:
    """The small spec with the demo's service directory and codebook, and an options file."""
    (folder / "notes").mkdir(exist_ok=True)
    (folder / "options.yaml").write_text(OPTIONS % need, encoding="utf-8")
    services = {"directory": str(PIPELINES / "demo_services.yaml"), "hours_from": "2010-04-01"}
    coding = {"codebook": str(PIPELINES / "demo_codebook.yaml"), "sources": "notes"}
    design = {"unit_costs": "unit_costs.yaml", "options": "options.yaml"} | design
    return small_spec(folder, design, services=services, coding=coding)


def test_best_placed_and_the_options_appraisal_with_a_service_directory(tmp_path) -> None:
    design = {"best_placed": {"weights": {"meets": 1, "hours": 1}}}
    result = run_pipeline(with_directory(tmp_path, **design), quiet=True)
    out = result.output_dir / "design"
    placed = pd.read_csv(out / "best_placed.csv", keep_default_na=False)
    nee01 = placed[placed["code_id"] == "NEE01"]
    assert nee01["service_name"].tolist() == ["No service in the directory meets this need"]
    assert set(placed.loc[placed["rank"] != "", "reach_score"]) == {"not scored"}  # no centroids: said, not guessed
    weights = pd.read_csv(out / "best_placed_weights.csv").set_index("criterion")
    assert weights["normalised"].to_dict() == {
        "meets": 0.5,
        "hours": 0.5,
        "reach": 0.0,
        "caseload": 0.0,
        "duplication": 0.0,
    }
    # NPV by hand: 10 families x (1 x £250 + 0.5 x £500 - £100) = £4,000 a year, years 0-4 at 3.5%
    options = pd.read_csv(out / "options.csv").set_index("option_id")
    by_hand = sum(4000 / 1.035**t for t in range(5))
    assert options.loc["key-worker", "npv_central"] == pytest.approx(by_hand, abs=0.01)
    tornado = pd.read_csv(out / "options_tornado.csv")
    assert tornado["assumption"].tolist()[0] == "Families reached"  # 5 to 20 families: the widest swing
    assert (out / "options_tornado_key-worker_print.svg").is_file()
    assert (out / "options_tornado_key-worker_large.svg").is_file()
    manifest = result.manifest["design"]
    assert manifest["options"]["npv_central"]["key-worker"] == round(by_hand)
    assert manifest["best_placed"]["needs_no_service_meets"] == ["NEE01"]


def test_an_option_naming_an_unknown_need_is_refused_naming_the_file_and_key(tmp_path) -> None:
    with pytest.raises(SpecError, match=r"options\.yaml, line 5, options\.0\.needs\.0: unknown need 'NEE40'"):
        run_pipeline(with_directory(tmp_path, need="NEE40"), quiet=True)


def test_options_without_unit_costs_are_refused(tmp_path) -> None:
    with pytest.raises(SpecError, match="prices the contacts avoided with design.unit_costs"):
        run_pipeline(with_directory(tmp_path, unit_costs=None), quiet=True)
