"""End to end: the demo spec run once for the session (``session_demo`` in conftest), and what a failed run leaves
behind."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import yaml
from typer.testing import CliRunner

from circles.cli import app
from circles.demo.synthetic import PLANTED_CORES, PLANTED_HOTSPOTS
from circles.errors import SourceError
from circles.pipeline.runner import run_pipeline
from tests.helpers import DEMO, demo_spec_in


@pytest.fixture(scope="module")
def demo_run(session_demo):
    """The session's demo run (maps and packs): read only."""
    return session_demo


def test_every_row_is_accounted_for(demo_run):
    _, result = demo_run
    manifest = json.loads((result.output_dir / "manifest.json").read_text())
    rows = manifest["rows"]
    assert rows["read"] > 3000
    assert rows["read"] == rows["accepted"] + rows["quarantined"]
    assert all(entry["balanced"] for entry in manifest["accounting"]["by_file"])
    # per file, the read stage saw exactly the rows each input file holds
    read_by_file = {e["file"]: e["read"] for e in manifest["accounting"]["by_file"] if e["stage"] == "read"}
    assert read_by_file == {i["file"]: i["rows"] for i in manifest["inputs"]}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])


def test_every_generated_postcode_resolves(demo_run):
    _, result = demo_run
    outcomes = result.manifest["geocoding"]["outcomes"]
    assert outcomes["matched"] == result.manifest["rows"]["read"]
    assert sum(outcomes.values()) == outcomes["matched"]
    placement = result.manifest["placement"]["by_layer"]
    assert all(counts["unplaced"] == 0 for counts in placement.values())
    assert pd.read_csv(result.output_dir / "quarantine.csv").empty


def test_planted_hotspots_have_the_highest_published_counts(demo_run):
    _, result = demo_run
    table = pd.read_csv(result.output_dir / "tables" / "lsoa_areas.csv", na_values="*")
    people = table.set_index("area_code")["people"]
    planted = people.loc[list(PLANTED_HOTSPOTS)]
    others = people.drop(index=list(PLANTED_HOTSPOTS))
    assert planted.min() >= others.max()  # published counts are rounded to 5: ties at the edge are possible
    assert planted.mean() > 2 * others.mean()


def test_planted_neighbourhoods_are_classed_hot_and_rates_carry_intervals(demo_run):
    _, result = demo_run
    table = pd.read_csv(result.output_dir / "tables" / "lsoa_areas.csv", na_values="*").set_index("area_code")
    raw = gpd.read_file(result.output_dir / "areas.gpkg", layer="lsoa").set_index("area_code")  # the analyst's
    assert (raw.loc[list(PLANTED_CORES), "gi_bin"] >= 2).all()
    assert (raw.loc[list(PLANTED_CORES), "lisa_category"] == "High-High").all()
    assert set(raw.index[raw["gi_bin"] >= 2]) <= set(PLANTED_HOTSPOTS)
    assert (table.loc[list(PLANTED_CORES), "hotspot"] == "Hot spot").all()
    assert set(table.index[table["hotspot"] == "Hot spot"]) <= set(PLANTED_HOTSPOTS)
    assert result.manifest["hotspots"]["layers"]["lsoa"]["correction"] == "fdr"
    # no z-scores or p-values are published (they would let the exact values be solved for); the raw classes stay
    # in the GeoPackage
    assert not {"gi_z", "gi_p", "lisa_p", "lisa_i", "gi_bin", "gi_label", "lisa_category"} & set(table.columns)
    rated = table.dropna(subset=["rate"])
    assert ((rated["rate_lower"] <= rated["rate"]) & (rated["rate"] <= rated["rate_upper"])).all()
    assert set(rated["comparison"]) <= {"higher", "similar", "lower"}
    assert (table.loc[table["people_suppressed"], "rate"].isna()).all()
    assert result.manifest["rates"]["layers"]["lsoa"]["population"] == 150_030
    assert 0.3 < result.manifest["deprivation"]["share_of_cases"]["most_deprived_10pct"] < 0.7


def test_geopackage_reads_back_with_every_area(demo_run):
    _, result = demo_run
    layers = dict(pyogrio.list_layers(result.output_dir / "areas.gpkg"))
    assert set(layers) == {"lsoa", "msoa", "ward2025", "ward2004", "ward2017"}
    expected = {"lsoa": 91, "msoa": 18, "ward2025": 17, "ward2004": 23, "ward2017": 23}
    for name, n in expected.items():
        frame = gpd.read_file(result.output_dir / "areas.gpkg", layer=name)
        assert len(frame) == n
        assert frame.crs.to_epsg() == 27700
        assert {"area_code", "area_name", "people", "people_suppressed"} <= set(frame.columns)
    wgs = gpd.read_file(result.output_dir / "areas_wgs84.gpkg", layer="ward2004")
    assert wgs.crs.to_epsg() == 4326
    assert {"Shadsworth with Whitebirk", "Bastwell", "Sudell"} <= set(wgs["area_name"])


def test_published_counts_pass_disclosure_control(demo_run):
    _, result = demo_run
    for path in (result.output_dir / "tables").glob("*.csv"):
        table = pd.read_csv(path, na_values="*")
        for column in [c for c in ("records", "people") if c in table]:
            values = table[column].dropna()
            assert ((values == 0) | (values >= 8)).all(), path.name
            assert (values % 5 == 0).all(), path.name
            assert (table[column].isna() == table[f"{column}_suppressed"]).all()


def test_no_identifier_or_full_postcode_in_any_output(demo_run):
    folder, result = demo_run
    inputs = pd.concat(pd.read_csv(p, dtype=str) for p in (folder / "data" / "take_up").glob("*.csv"))
    postcodes = set(inputs["postcode"].str.upper().str.replace(" ", "")) - {""}
    clients = set(inputs["client_id"])
    for path in result.output_dir.rglob("*"):
        if path.suffix in (".csv", ".json"):
            text = path.read_text()
            compact = text.upper().replace(" ", "")
            assert not any(pc in compact for pc in postcodes), path.name
            assert not any(c in text for c in clients), path.name


def test_one_map_per_layer(demo_run):
    _, result = demo_run
    maps = {p.name for p in (result.output_dir / "maps").glob("*_a4.png")}
    layers = ("lsoa", "msoa", "ward2004", "ward2017", "ward2025")
    assert {f"{n}_{what}_a4.png" for n in layers for what in ("people", "rate", "comparison")} <= maps
    hot = {f"{n}_{what}_a4.png" for n in ("lsoa", "ward2025", "ward2004") for what in ("hotspots", "funnel")}
    assert hot <= maps and "lsoa_lisa_a4.png" not in maps  # the LISA classes are in the hot-spot labels
    assert (result.output_dir / "maps" / "lsoa_hotspots_a3.pdf").exists()
    for name in maps:
        assert (result.output_dir / "maps" / name.replace(".png", ".pdf")).exists()
    # every interactive page opens on its own (plotly.js inline: maps.plotlyjs defaults to inline), so it can be
    # sent by e-mail; nothing is fetched
    from plotly.offline import get_plotlyjs

    for page in result.output_dir.rglob("*.html"):
        if page.parent.name != "packs":
            text = page.read_text(encoding="utf-8")
            assert "<script src=" not in text and get_plotlyjs() in text, page.name
    assert not list(result.output_dir.rglob("plotly.min.js"))
    # the maps the packs print, drawn at their printed size for standard and large print (issue 16)
    svgs = {p.name for p in (result.output_dir / "maps").glob("*.svg")}
    assert {
        f"{n}_{w}_{m}.svg"
        for n in ("lsoa", "ward2025")
        for w in ("people", "rate", "hotspots", "funnel")
        for m in ("print", "large")
    } <= svgs
    assert not any(name.startswith("msoa_") for name in svgs)  # no pack prints MSOA maps


def test_outputs_listed_in_the_manifest_match_the_folder(demo_run):
    _, result = demo_run
    on_disk = sorted(str(p.relative_to(result.output_dir)) for p in result.output_dir.rglob("*") if p.is_file())
    listed = sorted([o["path"] for o in result.manifest["outputs"]] + ["manifest.json"])
    assert on_disk == listed


def test_runs_without_the_optional_layers_and_says_so(tmp_path):
    result = run_pipeline(demo_spec_in(tmp_path, optional_present=False, maps=False), quiet=True)
    assert result.manifest["geography"]["optional_layers_missing"] == ["ward2025", "ward2004", "ward2017"]
    assert any("ward2025" in w for w in result.manifest["warnings"])
    assert set(dict(pyogrio.list_layers(result.output_dir / "areas.gpkg"))) == {"lsoa", "msoa"}


def test_a_failed_run_writes_nothing_and_keeps_the_last_report(demo_run, tmp_path):
    folder, earlier = demo_run
    spec = yaml.safe_load((folder / "demo.yaml").read_text())
    report = tmp_path / "report"
    shutil.copytree(earlier.output_dir, report)  # the last good run: a report circles wrote
    before = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    bad = tmp_path / "take_up"
    bad.mkdir()
    header = pd.read_csv(next((folder / "data" / "take_up").glob("*.csv")), nrows=0).columns
    (bad / "broken.csv").write_text(",".join(header).replace("postcode", "post_code") + "\n")
    spec.update(output=str(report), synthetic=None)
    spec["sources"]["take_up"]["files"] = str(bad / "*.csv")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(SourceError, match=r"broken.csv: missing required column 'postcode' \(Did you mean 'post_code'"):
        run_pipeline(path, quiet=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()} == before


def test_cli_reports_errors_without_a_traceback(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\noutput: out\nstagez: []\n")
    outcome = CliRunner().invoke(app, ["run", str(spec)])
    assert outcome.exit_code == 2
    assert "stagez: unknown key. Did you mean 'stages'?" in outcome.output
    assert "Traceback" not in outcome.output


def test_cli_run_prints_the_accounting_and_the_folder(tmp_path):
    outcome = CliRunner().invoke(app, ["run", str(demo_spec_in(tmp_path, maps=False)), "--quiet"])
    assert outcome.exit_code == 0, outcome.output
    assert "= accepted" in outcome.output
    assert str(tmp_path / "report") in outcome.output


def test_the_notes_are_coded_and_the_refi_export_reimports_to_the_same_codings(demo_run):
    from circles.qualitative.refi import import_project

    _, result = demo_run
    coding = result.output_dir / "coding"
    codings = pd.read_csv(coding / "codings.csv", keep_default_na=False)
    assert {"jb", "ak", "rules"} <= set(codings["coder"])
    assert (codings.loc[codings["coder"] == "machine", "status"] == "suggested").all()
    summary = pd.read_csv(coding / "dimension_summary.csv", na_values="*")
    assert {"need", "barrier", "aspiration", "fear"} <= set(summary["dimension"])
    top_barriers = set(summary.loc[summary["dimension"] == "barrier"].nsmallest(3, "rank")["code_id"])
    assert top_barriers & {"BAR01", "BAR02", "BAR03"}  # crisis point, 9 to 5, telling my story again
    bank = pd.read_csv(coding / "quote_bank.csv")
    assert not bank["speaker"].str.contains(r"Parent [A-Z]", regex=True).any()  # labels, never the notes' names
    agreement = pd.read_csv(coding / "agreement.csv").set_index("code_id")
    pooled = agreement.loc["(all codes)"]
    assert 0.9 < pooled["percent_agreement"] < 1 and 0 < pooled["krippendorff_alpha"] < 1
    differ = pd.read_csv(coding / "disagreements.csv")
    assert ((differ["code_id"] == "NEE01") & (differ["coded_by"] == "ak")).any()  # ak saw a need where jb a barrier
    project = import_project(coding / "project.qdpx")
    accepted = codings[codings["status"] == "accepted"]
    key = ["source_id", "start", "end", "code_id", "coder"]
    mine = accepted[key].sort_values(key).reset_index(drop=True)
    back = project.segments[key].sort_values(key).reset_index(drop=True)
    assert mine.astype(str).equals(back.astype(str))
    assert result.manifest["coding"]["codes"] == len(project.codebook)


def test_challenge_outputs_network_circle_and_directory(demo_run):
    from pypdf import PdfReader

    from circles.challenge import services
    from circles.qualitative.codebook import read_codebook

    _, result = demo_run
    out = result.output_dir
    many = pd.read_csv(out / "network" / "families_in_many_services.csv", na_values="*")
    assert many["min_services"].tolist() == [3, 5, 7]
    shown = many["families"].dropna()
    assert (shown % 5 == 0).all() and shown.is_monotonic_decreasing
    assert many["families"].isna().tolist() == sorted(many["families"].isna())  # a suppressed count (1-7) is last
    assert result.manifest["network"]["unmapped"] == []  # the demo names every provider its directory lacks
    # opening hours over the 52 weeks from the day of the run; every demo service is current
    hours = pd.read_csv(out / "challenge" / "service_hours.csv")
    assert len(hours) == 15 and hours["current"].all()
    assert hours.set_index("service_id").loc["police", "hours_per_week"] == 168.0
    period = result.manifest["services"]
    assert (pd.Timestamp(period["hours_until"]) - pd.Timestamp(period["hours_from"])).days == 52 * 7 - 1
    pairs = pd.read_csv(out / "network" / "service_pairs.csv", na_values="*")
    assert ((pairs["shared"].dropna() >= 8) & (pairs["shared"].dropna() % 5 == 0)).all()
    assert (out / "network" / "network_a3.pdf").exists() and (out / "network" / "network.html").exists()
    page = PdfReader(out / "circle" / "circle_of_need_a3.pdf").pages[0]
    assert round(float(page.mediabox.width)) == 1191 and round(float(page.mediabox.height)) == 842  # A3 landscape
    needs = pd.read_csv(out / "challenge" / "needs.csv").set_index("code_id")
    assert needs.loc["NEE01", "status"] == "unmet"  # the families' "someone to talk to out of hours"
    questions = pd.read_csv(out / "challenge" / "questions.csv")
    assert len(questions) == 6 and questions["evidence"].str.len().gt(40).all()
    # the directory export is a valid HSDS 3.0 package that reads back unchanged
    codebook = read_codebook(DEMO.parent / "demo_codebook.yaml")
    exported = services.import_hsds(out / "services", codebook=codebook)
    original = services.read_services_yaml(DEMO.parent / "demo_services.yaml", codebook=codebook)
    assert exported.equals(original)


def test_costs_prevalence_and_penetration(demo_run):
    _, result = demo_run
    out = result.output_dir / "costs"
    totals = pd.read_csv(out / "sector_totals.csv").set_index("sector")["annual_cost"]
    assert totals.to_dict() == {
        "Health/NHS": 11_631_409,
        "Criminal Justice": 10_029_121,
        "Benefits": 11_890_233,
        "Total": 33_550_763,
    }
    estimates = pd.read_csv(out / "prevalence_lsoa.csv")
    assert len(estimates) == 91 and estimates["population"].sum() == 111_377  # adults 18+, mid-2020
    assert abs(estimates["harmful"].sum() - 111_377 * 0.055) < 91  # rounded per LSOA
    penetration = pd.read_csv(out / "treatment_penetration_lsoa.csv", na_values="*").set_index("area_code")
    borough = penetration.loc["all areas"]
    assert 0 < borough["lower"] < borough["penetration"] < borough["upper"] < 1
    assert (penetration["in_treatment"].dropna() % 5 == 0).all()
    scenarios = pd.read_csv(out / "scenarios.csv")
    assert scenarios["scenario"].tolist() == ["3 people sustaining change", "30 families"]
    apportioned = pd.read_csv(out / "apportioned_lsoa.csv")
    assert round(apportioned["annual_cost"].sum(), 2) == 33_550_763


def test_the_run_writes_all_four_packs_and_audits_them(demo_run):
    _, result = demo_run
    packs = result.output_dir / "packs"
    for name in ("customer_definition", "customer_engagement", "challenge", "hotspot_report"):
        for variant in (name, f"{name}_large"):
            assert (packs / f"{variant}.pdf").stat().st_size > 10_000
            assert (packs / f"{variant}.html").exists()
    assert any(s["stage"] == "packs" and s["status"] == "ran" for s in result.manifest["stages"])
    assert result.manifest["audit"]["findings"] == 0
    assert result.manifest["audit"]["files_scanned"] >= len(list(packs.rglob("*.pdf")))


def test_quotes_are_screened_before_they_reach_the_packs(demo_run):
    """The synthetic notes name two children, a hospital ward, a phone number and a place the screen does not
    know: the bank prints the first four redacted, holds the quote with the fifth for review, and no pack or
    published file carries any of them (the analyst's codings still do)."""
    report = demo_run.report
    bank = pd.read_csv(report / "coding" / "quote_bank.csv", keep_default_na=False)
    redacted = bank[bank["screening"] == "redacted"]
    assert sorted(redacted["quote"]) == [
        "I want to be a proper dad again, take our [name] and [name] to football on a Saturday and be sober for it.",
        "Most of the people we see come to us at crisis point: after an admission to [place], a police incident, "
        "or when children's social care get involved.",
        "Relapse is the fear everyone carries; one dad rang me on [phone] at midnight.",
    ]
    assert set(bank["screening"]) == {"clean", "redacted"}
    held = pd.read_csv(report / "coding" / "quotes_held_for_review.csv", keep_default_na=False)
    assert held[["code_id", "quote", "decision"]].values.tolist() == [
        ["BAR02", "My worker's only there in school hours, and the help at Brookhouse stops at half past three.", ""]
    ]
    assert "Brookhouse" in held["found"].iloc[0]
    # quotes are participants' words from reviewed codings (issue 16): the provider's remarks only as provider views
    assert set(redacted["code_id"]) == {"ASP03", "PRO02", "PRO05"}
    assert set(bank["origin"]) == {"manual"}
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["screening"] == {"screened": True, "published": {"clean": 15, "redacted": 3}, "held_for_review": 1}
    assert any("1 quote held back" in w for w in manifest["warnings"])
    challenge = (report / "packs" / "challenge.html").read_text(encoding="utf-8")
    assert "take our [name] and [name] to football" in challenge
    for path in (report / "packs").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for value in ("Kayden", "Mia ", "07700 900461", "Ward C18", "Brookhouse"):
            assert value not in text, (path.name, value)
    codings = (report / "coding" / "codings.csv").read_text(encoding="utf-8")
    assert "07700 900461" in codings and "Kayden" in codings  # the original stays in the analyst's file


def test_hot_spots_are_areas_whose_own_rate_is_high(demo_run):
    """Issue 15's checks: no area is a hot spot unless its own rate is significantly higher; the 2025 wards carry
    labels; the pilot wards stand out; one population source gives one study-area rate; places can be named."""
    _, result = demo_run
    tables = result.output_dir / "tables"
    for path in tables.glob("*_areas.csv"):
        table = pd.read_csv(path, na_values="*")
        if "hotspot" in table:
            assert set(table.loc[table["hotspot"] == "Hot spot", "comparison"]) <= {"higher"}, path.name
            assert set(table.loc[table["hotspot"] == "Cold spot", "comparison"]) <= {"lower"}, path.name
    wards = pd.read_csv(tables / "ward2025_areas.csv", na_values="*").set_index("area_name")
    assert wards.loc["Bastwell & Daisyfield", "hotspot"] == "Hot spot"
    old = pd.read_csv(tables / "ward2004_areas.csv", na_values="*").set_index("area_name")
    for pilot in ("Shadsworth with Whitebirk", "Bastwell", "Roe Lee"):  # high, but no significant cluster
        assert old.loc[pilot, "comparison"] == "higher" and old.loc[pilot, "hotspot"] == "High rate, on its own"
    assert old.loc["Little Harwood", "hotspot"] != "Hot spot"
    rates = {n: layer["study_area_rate"] for n, layer in result.manifest["rates"]["layers"].items()}
    assert len(set(rates.values())) == 1, rates
    lsoas = pd.read_csv(tables / "lsoa_areas.csv", na_values="*")
    assert lsoas["ward"].notna().all()
    assert (lsoas["area_name"].str.split().str[-1].str.fullmatch(r"[0-9]{3}[A-Z]")).all()
    assert (lsoas["area_name"].str.rsplit(" ", n=1).str[0] == lsoas["ward"]).all()
    questions = pd.read_csv(result.output_dir / "challenge" / "questions.csv").set_index("number")
    assert (
        "Wards (2025): 1 area whose own rate is significantly high among high neighbours: Bastwell & Daisyfield"
        in (questions.loc[2, "evidence"])
    )
    for layer in ("lsoa", "ward2025", "ward2004"):
        assert (result.output_dir / "maps" / f"funnel_{layer}.html").exists()
