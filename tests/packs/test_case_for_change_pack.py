"""The case for change pack: built from a small crafted report folder, its numbers and verdicts are the published ones.

The crafted folder holds a ``manifest.json`` and the ``change/`` files the change stage publishes. The words that
judge the pilot must follow from the intervals beside them: an interval wholly below zero, and one spanning zero,
are both crafted. The same folder without ``change/`` (a run without the stage) must still build and print the note
saying which spec lines add it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from circles.packs.assets import PACKS, PAGE_SIZES, TITLES
from circles.packs.change_context import effect_sentence
from circles.packs.render import build_pack
from tests.packs.reading import broken_words, read_pdf, small_type, write_crafted_report
from tests.packs.reading import spaceless as _flat
from tests.packs.reading import spaceless_text as _text

EFFECT = [
    {"measure": "crisis contacts a family-month", "pilot_before": "0.6552", "pilot_after": "0.4828",
     "comparison_before": "0.6169", "comparison_after": "0.6466", "difference_in_differences": "-0.2021",
     "lower": "-0.3537", "upper": "-0.0309", "level": "0.95", "pilot_families": "30", "comparison_families": "85"},
    {"measure": "crisis cost (£) a family-month", "pilot_before": "260.7759", "pilot_after": "202.5862",
     "comparison_before": "245.2107", "comparison_after": "259.5785", "difference_in_differences": "-72.5575",
     "lower": "-137.2192", "upper": "3.6824", "level": "0.95", "pilot_families": "30", "comparison_families": "85"},
]  # fmt: skip
REGISTER = [
    {"id": "B1", "benefit": "Fewer crises for families in the pilot", "measure": "crisis_contacts_per_family_month",
     "what_is_measured": "crisis contacts (A&E attendance, Police incident) a pilot family-month after the start",
     "baseline": "0.685",
     "target": "0.5", "direction": "down", "owner": "Director of Public Health", "latest": "0.483", "latest_low": "",
     "latest_high": "", "status": "target met"},
    {"id": "B5", "benefit": "Savings realised against the appraisal's expectation", "measure": "realised_benefit_gbp",
     "what_is_measured": "benefit realised to date, pounds, discounted (central estimate)", "baseline": "0.0",
     "target": "16500.0", "direction": "up", "owner": "Head of Finance (Public Health)", "latest": "26051.99",
     "latest_low": "-1322.17", "latest_high": "49268.99", "status": "target met, not yet certain"},
    {"id": "B4", "benefit": "Families reach and keep their outcomes", "measure": "successful_families",
     "what_is_measured": "families meeting the Supporting Families rule (published count)", "baseline": "0.0",
     "target": "10.0", "direction": "up", "owner": "Key Worker Team Manager", "latest": "*", "latest_low": "",
     "latest_high": "", "status": "too few to publish"},
]  # fmt: skip
FILES = {
    "effect.csv": EFFECT,
    "benefits_register.csv": REGISTER,
    "benefits_by_quarter.csv": [
        {"quarter": "2011/12 Q1", "cumulative_realised": "4498.56"},
        {"quarter": "2012/13 Q1", "cumulative_realised": "26051.99"},
    ],
    "family_outcomes.csv": [
        {"status": "successful", "families": "*"},
        {"status": "not all needs positive", "families": "15"},
    ],
    "holding_back.csv": [
        {"headline_outcome": "substance_use", "outcome": "Promoting recovery from substance use", "families": "10"},
        {"headline_outcome": "housing", "outcome": "Secure housing", "families": "*"},
    ],
}
CASE = {
    "name": "Crafted case for change",
    "illustrative": True,
    "option": "key-worker",
    "reason": "Families meet a dozen agencies and tell their story again and again.",
    "champions": [{"role": "Executive sponsor", "name": "Director of Public Health", "part": ""}],
    "owners": [{"benefit": "B1", "owner": "Director of Public Health"}],
    "risks": [
        {
            "risk": "Families do not engage",
            "likelihood": "medium",
            "impact": "high",
            "mitigation": "Introduce the worker through a peer mentor.",
            "owner": "Key Worker Team Manager",
        },
    ],  # fmt: skip
    "measures": [
        {
            "measure": "wellbeing",
            "why": "A fall in crises should come with families feeling better.",
            "what": "pilot families' mean wellbeing score (1-10), each family's latest",
        }
    ],  # fmt: skip
    "next_steps": ["Agree the benefits register at the partnership board."],
}
MANIFEST = {
    "pipeline": "crafted",
    "synthetic": {"note": "SYNTHETIC records: not real people"},
    "disclosure": {"rule": "counts of 1 to 7 are suppressed"},
    "geography": {"layers": {"lsoa": {"title": "LSOA (2011)", "source": "lsoa.geojson"}}},
    "stages": [{"stage": s} for s in ("read", "aggregate", "design", "change", "packs")],
    "change": {
        "as_of": "2012-09-30", "before_months": 12, "after_months": 12,
        "match_on": ["age_band", "deprivation", "prior_crisis"], "balance_max_smd_after": 0.0985,
        "detectable": {"statement": "With about 30 pilot and about 85 comparison families, a fall of 0.23 crisis "
                                    "contacts a family-month is the smallest this evaluation would detect."},
        "method": {"effect": "Difference in differences, BCa bootstrap"},
        "benefits": {"realised": 26051.99, "realised_low": -1322.17, "realised_high": 49268.99,
                     "expected": 16456.6, "expected_low": 5984.22, "expected_high": 31417.15, "level": 0.95,
                     "discount_rate": 0.035, "option": "A single key worker per family",
                     "expected_not_measured": ["Anti-social behaviour case"], "price_year": "2022/23"},
        "family_outcomes": {"assessed": 30, "rule": "three or more headline needs, all positive",
                            "as_of": "2012-09-30"},
    },
}  # fmt: skip


def _write(folder: Path, manifest: dict, *, change: bool = True, effect: list[dict] | None = None) -> Path:
    tables = {f"change/{n}": rows for n, rows in (FILES | {"effect.csv": effect or EFFECT}).items()} if change else {}
    write_crafted_report(folder, manifest, tables)
    if change:
        (folder / "change" / "case_for_change.json").write_text(json.dumps(CASE), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    report = _write(tmp_path_factory.mktemp("change") / "report", MANIFEST)
    return {large: build_pack("case_for_change", report, large_print=large) for large in (False, True)}


def test_the_pack_is_listed_after_design_on_a4():
    assert PACKS.index("design") < PACKS.index("case_for_change") < PACKS.index("hotspot_report")
    assert PAGE_SIZES["case_for_change"] == "A4 portrait" and TITLES["case_for_change"][0] == "The case for change"


@pytest.mark.parametrize(
    ("numbers", "verdict"),
    [
        ((-0.2, -0.35, -0.03), "wholly below zero"),
        ((-0.2, -0.45, 0.05), "cannot yet rule out no effect"),
        ((0.1, -0.2, 0.4), "cannot yet rule out no effect"),
        ((0.3, 0.1, 0.5), "wholly above zero"),
    ],
)
def test_the_verdict_follows_the_interval_not_the_estimate(numbers, verdict):
    sentence = effect_sentence(*numbers, unit="crisis contacts a family-month")
    assert verdict in sentence
    assert sentence.startswith("fell" if numbers[0] < 0 else "rose")


def test_an_interval_spanning_zero_names_both_ends_with_their_direction():
    sentence = effect_sentence(-72.56, -137.22, 3.68, unit="a family-month", money=True)
    assert sentence.startswith("fell by £73 a family-month (interval £137 fewer to £4 more)")


@pytest.mark.parametrize("large", [False, True])
def test_the_effects_and_their_verdicts_are_the_published_ones(crafted, large):
    text = _text(crafted[large]["pdf"])
    assert _flat("Crisis contacts fell by 0.20 a family-month (interval 0.03 to 0.35 fewer)") in text
    assert _flat("wholly below zero") in text
    assert _flat("Crisis cost fell by £73 a family-month (interval £137 fewer to £4 more)") in text
    assert _flat("cannot yet rule out no effect") in text
    assert _flat("matched to them on age band, deprivation, prior crisis") in text
    assert _flat("the smallest this evaluation would detect") in text
    for value in ("0.66", "0.48", "-0.20", "-£73"):
        assert _flat(value) in text, value


@pytest.mark.parametrize("large", [False, True])
def test_benefits_register_and_case_text_appear(crafted, large):
    text = _text(crafted[large]["pdf"])
    assert _flat("£26,052") in text and _flat("-£1,322 to £49,269") in text
    assert _flat("£16,457") in text and _flat("£5,984 to £31,417") in text
    assert _flat("savings so far cannot yet be told apart from none") in text  # -£1,322 to £49,269 spans zero
    assert _flat("Anti-social behaviour case") in text and _flat("2022/23 prices") in text
    assert _flat("target met, not yet certain") in text and _flat("too few to publish") in text
    assert _flat("at least £16,500") in text and _flat("at most 0.50") in text
    assert _flat("Not all needs positive") in text
    assert _flat("Promoting recovery from substance use (10 families). One other need holds back too few") in text
    for phrase in (CASE["reason"], "Executive sponsor", "Introduce the worker through a peer mentor.",
                   CASE["next_steps"][0], "Pilot families' mean wellbeing score", "Illustrative"):  # fmt: skip
        assert _flat(phrase) in text, phrase


def test_suppressed_counts_are_shown_as_published(crafted):
    html = crafted[False]["html"].read_text(encoding="utf-8")
    assert '<td class="num">*</td>' in html  # the successful families, suppressed
    assert _flat("suppressed to protect privacy: counts of 1 to 7 are suppressed") in _text(crafted[False]["pdf"])


def test_a_null_pilot_is_never_called_a_success(tmp_path):
    null = [dict(EFFECT[0], difference_in_differences="-0.0100", lower="-0.1800", upper="0.1500")]
    report = _write(tmp_path / "report", MANIFEST, effect=null)
    text = _text(build_pack("case_for_change", report)["pdf"])
    assert _flat("cannot yet rule out no effect") in text and _flat("wholly below zero") not in text


def test_large_print_has_no_small_type_and_no_broken_word(crafted):
    pages = read_pdf(crafted[True]["pdf"], large_print=True)
    assert small_type(pages, 16.0) == {} and broken_words(pages) == {}


def test_a_run_without_the_change_stage_says_which_spec_lines_add_it(tmp_path):
    manifest = {k: v for k, v in MANIFEST.items() if k != "change"}
    manifest["stages"] = [{"stage": s} for s in ("read", "aggregate", "design", "packs")]
    report = _write(tmp_path / "report", manifest, change=False)
    text = _text(build_pack("case_for_change", report)["pdf"])
    assert _flat("Missing from this run: No change stage. The spec lists no 'change' stage.") in text
    assert (
        _flat("change: cohort: pilot/cohort.csv") in text and _flat("list 'change' in stages:, after 'design'") in text
    )


@pytest.mark.slow
def test_the_demo_case_for_change_prints_the_published_effect(session_demo):
    report = session_demo.report
    with (report / "change" / "effect.csv").open(encoding="utf-8") as handle:
        contacts = next(csv.DictReader(handle))
    text = _text(report / "packs" / "case_for_change.pdf")
    assert _flat(f"{float(contacts['difference_in_differences']):.2f}") in text
    assert _flat("SYNTHETIC") in text and _flat("Director of Public Health") in text
