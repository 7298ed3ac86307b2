"""Honest degradation: a spec without wards, populations or IMD gets packs and maps that say what is missing.

One run (module fixture) of the demo spec with its ward layers, its ``rates.populations`` and its ``deprivation:``
section taken out, as a council's first spec might be; its ``hotspots.layers`` still lists ``ward2025`` and
``ward2004``. The packs must title tables by counts, never "by rate", say that hot spots are on counts, and print
the spec lines that would add each missing thing. The whole demo (``session_demo``) must print no such note.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdf
import pytest
import yaml

from circles.packs.missing import MISSING_FILE, hotspot_wording, missing_data
from circles.pipeline.runner import run_pipeline
from tests.helpers import ROOT, demo_spec_in

POPULATION_LINE = "lsoa: {path: population_lsoa.csv, code: lsoa_code, layout: syoa}"
COUNTS_CAPTION = "Hot spots on counts of people (no population for this layer: counts, not rates"
PACK_FILES = ("customer_definition", "challenge", "hotspot_report")


def _text(pdf: Path) -> str:
    return re.sub(r"\s+", " ", " ".join((page.extract_text() or "") for page in pypdf.PdfReader(pdf).pages))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def degraded(tmp_path_factory):
    """The demo without ward layers, populations or IMD, maps and packs included: read only."""
    folder = tmp_path_factory.mktemp("degraded")
    path = demo_spec_in(folder, maps=True, packs=True)
    spec = yaml.safe_load(path.read_text())
    spec["geography"]["layers"] = {n: v for n, v in spec["geography"]["layers"].items() if not n.startswith("ward")}
    spec["geography"].pop("name_by", None)  # LSOAs named after the 2025 wards, which are gone
    spec["rates"].pop("populations", None)
    spec.pop("deprivation", None)  # the 'deprivation' stage stays listed: it is skipped for want of the section
    spec["maps"]["labels"] = []
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = run_pipeline(path, quiet=True)
    report = result.output_dir
    return {
        "report": report,
        "manifest": result.manifest,
        "html": {n: (report / "packs" / f"{n}.html").read_text(encoding="utf-8") for n in PACK_FILES},
        "pdf": {n: _text(report / "packs" / f"{n}.pdf") for n in PACK_FILES},
    }


# --------------------------------------------------------------------------------------- the degraded run
@pytest.mark.slow
def test_the_run_records_what_its_hot_spots_tested(degraded):
    hotspots = degraded["manifest"]["hotspots"]
    assert hotspots["layers"]["lsoa"]["value"] == "count"
    assert hotspots["layers"]["lsoa"]["value_requested"] == "rate"
    assert hotspots["layers_missing"] == ["ward2025", "ward2004"]
    assert degraded["manifest"]["rates"]["layers"] == {}


@pytest.mark.slow
def test_no_table_is_titled_by_rate_without_rates(degraded):
    html, text = degraded["html"]["customer_definition"], degraded["pdf"]["customer_definition"]
    for content in (html, text):
        assert "by rate" not in content and "highest rates" not in content
        assert "Top 15 LSOAs by number of people" in content
        assert "Neighbourhoods with the most people in contact with services" in content
    table = html.split("Top 15 LSOAs by number of people", 1)[1].split("</table>", 1)[0]
    assert "Rate per 1,000" not in table and "Compared with the study area" not in table
    people = re.findall(r'<td class="num">([^<]*)</td>', table)
    assert len(people) == 15
    numbers = [int(p.replace(",", "")) for p in people if p != "*"]
    assert numbers == sorted(numbers, reverse=True), "highest count first"
    assert people[: len(numbers)] == [p for p in people if p != "*"], "suppressed counts last"
    for name in ("customer_definition", "hotspot_report"):
        assert "Rate per 1,000 (95% interval)" not in degraded["html"][name]


@pytest.mark.slow
def test_each_missing_thing_has_its_note_and_spec_lines(degraded):
    cd, hs = degraded["pdf"]["customer_definition"], degraded["pdf"]["hotspot_report"]
    # a population for the LSOAs: in the segment profile and the hot-spot report, with the spec lines
    for text in (cd, hs):
        assert "Missing from this run: No population for LSOA (2011)." in text
        assert f"rates: populations: {POPULATION_LINE}" in text
        assert "lsoa: {embedded: lsoa11_mid2020}" in text  # the Blackburn with Darwen alternative
    # the ward layer, named as the spec's hotspots.layers asks for it
    assert "Missing from this run: No ward layer." in cd and "Missing from this run: No ward layer." in hs
    assert "geography: layers: ward2025: {path: ward2025.geojson" in cd
    assert "hotspots.layers asks for ward2025" in cd
    # the IMD
    assert "Missing from this run: No deprivation (IMD 2019)." in cd
    assert "The spec has no 'deprivation:' section." in cd
    assert "deprivation: path: imd2019_lsoa.csv" in cd and "decile: IMD_decile" in cd
    assert "deprivation: {embedded: imd2019, layer: lsoa}" in cd
    assert "The deprivation profile: not available" not in cd
    # the costs' prevalence needs a population file for costs.layer
    assert "No prevalence estimate: no population file for LSOA (2011)" in cd
    # the same notes, in the method notes and beside the packs
    assert "What this run is missing" in hs
    notes = (degraded["report"] / "packs" / MISSING_FILE).read_text(encoding="utf-8")
    for heading in ("No ward layer", "No population for LSOA (2011)", "No population for MSOA (2011)"):
        assert f"## {heading}" in notes and heading in hs
    assert "## No deprivation (IMD 2019)" in notes and POPULATION_LINE in notes
    assert "msoa: {derive_from: lsoa}" in notes


@pytest.mark.slow
def test_hot_spots_on_counts_say_so_in_every_caption(degraded):
    report = degraded["report"]
    hs, challenge = degraded["pdf"]["hotspot_report"], degraded["pdf"]["challenge"]
    assert COUNTS_CAPTION in hs and COUNTS_CAPTION in _flat(degraded["html"]["hotspot_report"])
    assert "Gi* hot spots of counts of people, not rates" in hs
    assert "Counts of people, not rates (no population for this layer)" in hs  # what was tested, method notes
    assert "Gi* hot spots by neighbourhood (LSOA), on counts of people" in challenge
    assert "Gi* hot spot (on counts)" in degraded["html"]["customer_definition"]
    for what in ("hotspots_a4", "hotspots_a3", "lisa_a4"):
        text = _text(report / "maps" / f"lsoa_{what}.pdf")
        assert "of counts of people, not rates" in text, what
        assert "counts, not rates" in text and "Empirical Bayes" not in text
    interactive = (report / "maps" / "interactive_label.html").read_text(encoding="utf-8")
    assert "Hot spots on counts of people" in interactive
    # no layer had a population: nothing may claim rates were smoothed or tested
    for name in PACK_FILES:
        for content in (degraded["html"][name], degraded["pdf"][name]):
            assert "Empirical Bayes" not in content and "hot spots of the rate," not in content, name
    assert "Empirical Bayes" not in interactive


@pytest.mark.slow
def test_large_print_notes_are_at_least_16pt(degraded):
    import weasyprint

    from circles.packs.render import OfflineFetcher

    html = degraded["report"] / "packs" / "customer_definition_large.html"
    assert 'class="missing"' in html.read_text(encoding="utf-8")
    fetcher = OfflineFetcher.create([degraded["report"], html.parent, ROOT / "workshop_templates"])
    document = weasyprint.HTML(filename=str(html), url_fetcher=fetcher).render()
    sizes: list[float] = []

    def walk(box) -> None:
        if type(box).__name__ == "TextBox" and box.text.strip():
            sizes.append(box.style["font_size"] * 0.75)  # CSS px -> pt
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    assert min(sizes) >= 16 - 1e-6, f"smallest text {min(sizes):.1f} pt"


# --------------------------------------------------------------------------------------- the whole demo
@pytest.mark.slow
def test_the_whole_demo_prints_no_missing_data_note(session_demo):
    report = session_demo.report
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert not missing_data(manifest), [n.what for n in missing_data(manifest)]
    assert not (report / "packs" / MISSING_FILE).exists()
    for path in (report / "packs").glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert 'class="missing"' not in html and "Missing from this run" not in html, path.name
    assert "Top 15 LSOAs by rate" in (report / "packs" / "customer_definition.html").read_text(encoding="utf-8")
    assert {v["value"] for v in manifest["hotspots"]["layers"].values()} == {"rate"}
    assert "Empirical Bayes" in _text(report / "packs" / "hotspot_report.pdf")
    assert "counts, not rates" not in _text(report / "maps" / "lsoa_hotspots_a4.pdf")


# --------------------------------------------------------------------------------------- from a manifest alone
def _manifest(**extra):
    base = {
        "geography": {
            "layers": {
                "lsoa": {"title": "LSOA (2011)", "source": "lsoa.geojson"},
                "ward2025": {"title": "Wards (2025)", "source": "wards.geojson"},
            },
            "optional_layers_missing": [],
        },
        "rates": {"measure": "people", "layers": {"lsoa": {}, "ward2025": {}}},
        "hotspots": {"layers": {"lsoa": {"tested": "Empirical Bayes rate of people per resident", "value": "rate"}}},
        "deprivation": {"layer": "lsoa"},
        "costs": {"prevalence": {"harmful": 1}},
        "challenge": {},
        "circle": {},
        "coding": {},
        "network": {},
        "design": {},
        "change": {},
        "stages": [
            {"stage": s}
            for s in (
                "coding",
                "aggregate",
                "rates",
                "deprivation",
                "hotspots",
                "maps",
                "network",
                "costs",
                "challenge",
            )
        ],
        "warnings": [],
    }
    return base | extra


def test_a_complete_manifest_has_no_notes():
    assert not missing_data(_manifest())
    assert missing_data({}).notes == () and missing_data({"pipeline": "x"}).notes == ()


def test_a_declared_population_that_was_not_found_is_named_by_its_file():
    manifest = _manifest(
        rates={"measure": "people", "layers": {"lsoa": {}}},
        warnings=["population for 'ward2025' not found at /home/someone/data/pop_ward.csv; no rates for it"],
    )
    (note,) = missing_data(manifest)
    assert note.key == "population:ward2025" and note.what == "No population for Wards (2025)"
    assert note.detail == "The spec declares rates.populations.ward2025, but pop_ward.csv was not found."
    assert "/home/someone" not in note.markdown()  # only the file's name: packs are printed and shared
    assert note.snippet.splitlines() == [
        "rates:",
        "  populations:",
        "    ward2025: {path: population_ward.csv, code: ward_code, layout: nomis_ts007}",
        "    # or, summed from the LSOA populations by best fit:",
        "    # ward2025: {derive_from: lsoa}",
    ]
    assert note.embedded == ""  # not embedded geography: no Blackburn with Darwen alternative


def test_sections_and_stages_that_are_absent_give_their_spec_lines():
    manifest = _manifest(stages=[{"stage": s} for s in ("coding", "aggregate", "rates", "hotspots", "maps", "network")])
    for key in ("deprivation", "costs", "challenge", "circle"):
        manifest.pop(key)
    notes = missing_data(manifest)
    assert notes.keys() == ["deprivation", "costs", "services"]
    assert notes.get("deprivation").snippet.endswith("# and list 'deprivation' in stages:, after 'rates'")
    assert notes.get("costs").snippet.startswith("costs:\n  model: costs.yaml")
    assert "services:\n  directory: services.yaml" in notes.get("services").snippet
    assert "'circle' and 'challenge' in stages:" in notes.get("services").snippet


def test_no_design_stage_gives_its_spec_lines():
    manifest = _manifest()
    manifest.pop("design")
    (note,) = missing_data(manifest)
    assert note.key == "design" and note.detail == "The spec lists no 'design' stage."
    assert note.snippet.startswith("design:\n  unit_costs: unit_costs.yaml")
    assert note.snippet.endswith("# and list 'design' in stages:, after 'challenge'")
    manifest["stages"] = [*manifest["stages"], {"stage": "design"}]
    assert missing_data(manifest).get("design").detail == "The spec has no 'design:' section."


def test_no_coded_notes_no_network_and_no_maps_give_their_spec_lines():
    stages = [{"stage": s} for s in ("aggregate", "rates", "deprivation", "hotspots", "costs", "challenge")]
    manifest = _manifest(stages=stages)
    for key in ("coding", "network"):
        manifest.pop(key)
    notes = missing_data(manifest)
    assert notes.keys() == ["coding", "network", "maps"]
    coding = notes.get("coding")
    assert coding.what == "No codebook and no coded notes"
    assert coding.detail == "The spec has no 'coding:' section, so there is no codebook and no coded notes."
    assert coding.snippet.startswith("coding:\n  codebook: codebook.yaml")
    assert coding.snippet.endswith("# and list 'coding' in stages:, after 'read'")
    assert "coding sheets of the customer engagement pack" in coding.gives
    assert "challenge questions 4 and 6" in notes.get("network").gives
    assert notes.get("maps").snippet.startswith("maps:\n  measure: people")
    # a codebook in the spec, no notes coded yet: the note says so, and the sheets are not what is missing
    manifest["reference_files"] = [{"key": "coding.codebook", "file": "codebook.yaml"}]
    coding = missing_data(manifest).get("coding")
    assert coding.what == "No coded notes"
    assert (
        coding.detail
        == "The spec has a codebook, but no notes were coded in this run (the spec lists no 'coding' stage)."
    )
    assert "engagement pack" not in coding.gives


def test_a_missing_optional_layer_and_a_declared_imd_file():
    geography = {
        "layers": {"lsoa": {"title": "LSOA (2011)", "source": "embedded:lsoa11 (lsoa11_bwd.geojson)"}},
        "optional_layers_missing": ["ward2025"],
    }
    manifest = _manifest(
        geography=geography,
        rates={"measure": "people", "layers": {"lsoa": {}}},
        warnings=[
            "optional layer 'ward2025' not found at /x/wards_2025.geojson; running without it",
            "IMD table not found at /x/imd.csv; no deprivation profile",
        ],
    )
    manifest.pop("deprivation")
    notes = missing_data(manifest)
    ward = notes.layer("ward")
    assert "geography.layers.ward2025, but wards_2025.geojson was not found" in ward.detail
    assert "ward2025: {path: ward2025.geojson, code: WD25CD, name: WD25NM, title: Wards (2025)}" in ward.snippet
    assert ward.embedded == "ward2025: {embedded: ward2025}"  # embedded geography: Blackburn with Darwen
    assert notes.get("deprivation").detail == "The spec declares deprivation.path, but imd.csv was not found."


def test_hotspot_wording_says_why_counts_were_tested():
    manifest = _manifest(
        hotspots={
            "layers": {
                "lsoa": {"tested": "count of people", "value": "count", "value_requested": "rate"},
                "ward2025": {"tested": "count of people", "value": "count", "value_requested": "count"},
                "old": {"tested": "count of people"},  # a manifest from before 'value' was recorded
            }
        }
    )
    lsoa = hotspot_wording(manifest, "lsoa")
    assert lsoa["counts"] and lsoa["caption"].startswith(COUNTS_CAPTION)
    assert "the spec asks for counts" in hotspot_wording(manifest, "ward2025")["caption"]
    assert hotspot_wording(manifest, "old")["value"] == "count"
    assert hotspot_wording(manifest, "msoa") is None
    rate = hotspot_wording(_manifest(), "lsoa")
    assert rate["value"] == "rate" and "Empirical Bayes" in rate["caption"]
