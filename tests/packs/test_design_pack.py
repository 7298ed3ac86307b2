"""The design workshop pack: built from a small crafted report folder, its numbers are the published files' own.

The crafted folder holds a ``manifest.json`` and the ``design/`` files the design stage publishes, with values
chosen to be found in the PDF (a failure-demand share, NPVs, suppressed counts). The same folder without
``design/`` (a run without the stage) must still build and print the note saying which spec lines add it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from circles.packs.assets import PACKS, PAGE_SIZES, TITLES
from circles.packs.render import build_pack
from tests.packs.reading import broken_words, read_pdf, small_type, write_crafted_report
from tests.packs.reading import spaceless as _flat
from tests.packs.reading import spaceless_text as _text

FAILURE = [
    {"service": "Police", "contacts": "200", "failure_demand": "50", "failure_demand_share": "0.25",
     "failure_demand_lower": "0.19", "failure_demand_upper": "0.31", "unit_cost": "500.0",
     "cost_source": "Police incident: Home Office; illustrative", "price_year": "2022/23", "failure_cost": "25000.0"},
    {"service": "Housing", "contacts": "40", "failure_demand": "*", "failure_demand_share": "*",
     "failure_demand_lower": "*", "failure_demand_upper": "*", "unit_cost": "", "cost_source": "", "price_year": "",
     "failure_cost": "*"},
    {"service": "All services", "contacts": "1235", "failure_demand": "345", "failure_demand_share": "0.2793522267",
     "failure_demand_lower": "0.25", "failure_demand_upper": "0.30", "repeat": "100", "re_referral": "120",
     "crisis_after_planned": "125", "unit_cost": "", "cost_source": "", "price_year": "", "failure_cost": "1225615.0"},
]  # fmt: skip
OPTIONS = [
    {"option_id": "key-worker", "option": "A single key worker", "needs": "NEE04", "families": "30",
     "cost_per_family": "3200", "pv_cost": "463615.6", "pv_avoided": "169632.78", "npv_low": "-404734.81",
     "npv_central": "-293982.83", "npv_high": "-141173.14", "benefit_cost_ratio": "0.366", "years": "5",
     "discount_rate": "0.035", "price_year": "2022/23"},
]  # fmt: skip
FILES = {
    "journeys_common.csv": [
        {"journey": "GP → Treatment", "step_1": "GP", "step_2": "Treatment", "families": "140"},
        {"journey": "A&E → Treatment", "step_1": "A&E", "step_2": "Treatment", "families": "*"},
        {"journey": "Other journeys", "step_1": "", "step_2": "", "families": "605"},
    ],
    "routes_in.csv": [
        {"route_type": "crisis", "route": "Police", "families": "65"},
        {"route_type": "crisis", "route": "999 call", "families": "*"},
        {"route_type": "planned", "route": "Self", "families": "515"},
    ],
    "time_to_planned_support.csv": [
        {
            "day": "0",
            "survival": "0.99",
            "survival_lower": "0.98",
            "survival_upper": "1.0",
            "at_risk": "540",
            "reached": "*",
            "censored": "*",
        },
        {
            "day": "90",
            "survival": "0.42",
            "survival_lower": "0.38",
            "survival_upper": "0.46",
            "at_risk": "205",
            "reached": "55",
            "censored": "10",
        },
    ],  # fmt: skip
    "telling_my_story.csv": [
        {"services": "1", "families": "100"},
        {"services": "2", "families": "310"},
        {"services": "5 or more", "families": "*"},
    ],
    "repeat_presentations.csv": [
        {
            "window_days": "30",
            "crisis_contacts": "825",
            "repeats": "90",
            "families": "540",
            "families_back": "60",
            "share": "0.10909",
            "share_lower": "0.0896",
            "share_upper": "0.1322",
        },
    ],  # fmt: skip
    "failure_demand.csv": FAILURE,
    "best_placed.csv": [
        {
            "code_id": "NEE01",
            "code_name": "Someone to talk to out of hours",
            "rank": "",
            "service_name": "No service in the directory meets this need",
        },
        {
            "code_id": "NEE02",
            "code_name": "Help with money",
            "rank": "1",
            "service_name": "Think Family advocates",
            "organisation": "The council",
            "meets_score": "1.0",
            "hours_score": "0.0",
            "reach_score": "not scored",
            "caseload_score": "1.0",
            "duplication_score": "0.667",
            "score": "0.733",
            "families": "525",
        },
    ],  # fmt: skip
    "best_placed_weights.csv": [
        {"criterion": "meets", "weight": "2", "normalised": "0.5", "scored": "True", "note": ""},
        {"criterion": "hours", "weight": "1", "normalised": "0.25", "scored": "True", "note": ""},
        {
            "criterion": "reach",
            "weight": "1",
            "normalised": "0.0",
            "scored": "False",
            "note": "not scored: no population-weighted centroids given",
        },
        {"criterion": "caseload", "weight": "1", "normalised": "0.25", "scored": "True", "note": ""},
    ],  # fmt: skip
    "options.csv": OPTIONS,
    "options_tornado.csv": [
        {
            "option_id": "key-worker",
            "assumption": "Cost per family",
            "low": "2500",
            "high": "4000",
            "npv_low": "-195848.17",
            "npv_high": "-406136.73",
            "central": "-293982.83",
            "swing": "210288.56",
        },
    ],  # fmt: skip
}
MANIFEST = {
    "pipeline": "crafted",
    "synthetic": {"note": "SYNTHETIC records: not real people"},
    "disclosure": {"rule": "counts of 1 to 7 are suppressed"},
    "geography": {"layers": {"lsoa": {"title": "LSOA (2011)", "source": "lsoa.geojson"}}},
    "stages": [{"stage": s} for s in ("read", "aggregate", "design", "packs")],
    "design": {
        "crisis_routes": ["Police", "999 call"],
        "method": {"journeys": "families by the sequence of services they met"},
        "families": 1135,
        "time_to_planned_support": {"families_in_crisis": 540, "reached_planned_support": 400, "median_days": 66.0,
                                    "lower_quartile_days": 25.0, "upper_quartile_days": 252.0,
                                    "censored_at": "2011-03-31"},
        "story_families": 1135,
        "unit_costs": {"price_year": "2022/23", "illustrative": True},
        "options": {"illustrative": False, "years": 5, "discount_rate": 0.035},
    },
}  # fmt: skip


def _write(folder: Path, manifest: dict, design: bool = True) -> Path:
    return write_crafted_report(folder, manifest, {f"design/{n}": rows for n, rows in FILES.items()} if design else {})


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    report = _write(tmp_path_factory.mktemp("design") / "report", MANIFEST)
    return {large: build_pack("design", report, large_print=large) for large in (False, True)}


def test_the_design_pack_is_listed_in_the_method_order():
    assert PACKS.index("challenge") < PACKS.index("design") < PACKS.index("hotspot_report")
    assert PAGE_SIZES["design"] == "A4 portrait" and TITLES["design"][0] == "Design workshop"


@pytest.mark.parametrize("large", [False, True])
def test_failure_demand_share_and_cost_are_the_published_ones(crafted, large):
    text = _text(crafted[large]["pdf"])
    police = FAILURE[0]
    assert _flat(f"{100 * float(police['failure_demand_share']):.1f}%") in text  # 25.0%
    assert _flat("19.0–31.0%") in text and _flat("£25,000") in text
    every = FAILURE[-1]
    share = f"{100 * float(every['failure_demand_share']):.1f}%"  # 27.9%
    assert _flat(f"Across all services, 345 of 1,235 contacts were failure demand: {share}") in text
    assert _flat("£1,225,615 at 2022/23 prices (illustrative)") in text  # illustrative: the unit-cost file says so
    assert _flat("Police incident: Home Office; illustrative") in text
    assert _flat("not costed") in text  # Housing has no unit cost


@pytest.mark.parametrize("large", [False, True])
def test_options_npvs_and_the_other_sections_appear(crafted, large):
    text = _text(crafted[large]["pdf"])
    for value in ("-£404,735", "-£293,983", "-£141,173", "0.37", "£3,200"):
        assert _flat(value) in text, value
    assert (
        _flat("options and their assumptions are marked illustrative") not in text
    )  # the options file does not say so
    assert _flat("Cost per family (£2,500 to £4,000: NPV -£195,848 to -£406,137)") in text
    assert _flat("Half had reached it within 66 days; a quarter within 25 days, three quarters within 252 days") in text
    assert _flat("Reach was not scored: no population-weighted centroids given") in text
    assert _flat("No service in the directory meets “Someone to talk to out of hours” (NEE01)") in text
    assert _flat("Questions for the room") in text and _flat("SYNTHETIC") in text


def test_suppressed_counts_are_shown_as_published(crafted):
    html = crafted[False]["html"].read_text(encoding="utf-8")
    assert '<td class="num">*</td>' in html  # a suppressed journey, route, story and failure-demand count
    text = _text(crafted[False]["pdf"])
    assert _flat("A&E → Treatment *") in text and _flat("999 call *") in text and _flat("5 or more * *") in text
    assert _flat("suppressed to protect privacy: counts of 1 to 7 are suppressed") in text
    assert _flat("at least 65 by a crisis route") in text  # the published sum, without the suppressed count


def test_large_print_has_no_small_type_and_no_broken_word(crafted):
    pages = read_pdf(crafted[True]["pdf"], large_print=True)
    assert small_type(pages, 16.0) == {} and broken_words(pages) == {}


def test_a_run_without_the_design_stage_says_which_spec_lines_add_it(tmp_path):
    manifest = {k: v for k, v in MANIFEST.items() if k != "design"}
    manifest["stages"] = [{"stage": s} for s in ("read", "aggregate", "challenge", "packs")]
    report = _write(tmp_path / "report", manifest, design=False)
    text = _text(build_pack("design", report)["pdf"])
    assert _flat("Missing from this run: No design stage. The spec lists no 'design' stage.") in text
    assert (
        _flat("design: unit_costs: unit_costs.yaml") in text
        and _flat("list 'design' in stages:, after 'challenge'") in text
    )
    assert _flat("Questions for the room") in text


def test_a_report_without_design_files_says_not_available(tmp_path):
    report = _write(tmp_path / "report", MANIFEST, design=False)  # the manifest says the stage ran: no note
    html = build_pack("design", report)["html"].read_text(encoding="utf-8")
    assert "not available in this run" in html and "Missing from this run" not in html


@pytest.mark.slow
def test_the_demo_design_pack_prints_the_published_failure_demand(session_demo):
    report = session_demo.report
    with (report / "design" / "failure_demand.csv").open(encoding="utf-8") as handle:
        every = next(r for r in csv.DictReader(handle) if r["service"] == "All services")
    text = _text(report / "packs" / "design.pdf")
    assert _flat(f"{100 * float(every['failure_demand_share']):.1f}%") in text
    assert _flat(f"£{float(every['failure_cost']):,.0f}") in text
