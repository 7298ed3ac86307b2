"""The report audit: planted personal data and small counts are found, clean reports pass, bad files fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import matplotlib
import openpyxl
import pandas as pd
import pytest
from matplotlib.backends.backend_pdf import PdfPages
from shapely.geometry import Point

from circles.ingest.disclosure import POLICIES
from circles.pipeline import audit
from circles.pipeline.audit import Finding, Secrets, audit_report, format_findings
from circles.pipeline.audit_markup import markup_texts

matplotlib.use("Agg")
import matplotlib.pyplot as plt

CLIENT = "C000123"
FAMILY = "F00042"
NHS = "9434765919"
NAME = "Jane Doe"
PSEUDONYM = "3f" * 32
SECRETS = Secrets.from_values(
    identifiers=[CLIENT, FAMILY, "943-476-5919", NAME],
    pseudonyms=[PSEUDONYM],
    postcodes=["BB2 1AA", "bb1 8eu"],
)
IDENTIFIER_DETAIL = "an identifier from the inputs (7 characters)"

COUNTS_CSV = (
    "area_code,area_name,records,records_suppressed,people,people_suppressed\n"
    "E01012571,Blackburn with Darwen 007A,10,False,*,True\n"
    "E01012572,Blackburn with Darwen 007B,45,False,15,False\n"
    "E01012573,Blackburn with Darwen 007C,0,False,0,False\n"
)


def write_pdf(path: Path, pages: list[str]) -> Path:
    with PdfPages(path) as pdf:
        for text in pages:
            figure = plt.figure(figsize=(4, 3))
            figure.text(0.1, 0.5, text)
            pdf.savefig(figure)
            plt.close(figure)
    return path


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Areas") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_gpkg(path: Path, people: list[object], layer: str = "lsoa") -> Path:
    frame = gpd.GeoDataFrame(
        {
            "area_code": [f"E0101257{i}" for i in range(len(people))],
            "area_name": ["Blackburn with Darwen 007A"] * len(people),
            "people": people,
            "people_suppressed": [p is None for p in people],
        },
        geometry=[Point(370000 + i, 428000) for i in range(len(people))],
        crs="EPSG:27700",
    )
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def clean_report(folder: Path) -> Path:
    """A report folder of every readable type, holding nothing it should not."""
    (folder / "tables").mkdir(parents=True)
    (folder / "maps").mkdir()
    (folder / "tables" / "lsoa_areas.csv").write_text(COUNTS_CSV)
    (folder / "manifest.json").write_text(
        json.dumps({"pipeline": "demo", "rows": {"read": 3, "people": 3}, "inputs": [{"file": "gp.csv"}]})
    )
    (folder / "quarantine.csv").write_text("stage,file,source_row,field,reason,message\n")
    (folder / "notes.md").write_text("# Notes\n\nPostcodes are shown as districts (BB2) or masked as BB2 ***.\n")
    write_gpkg(folder / "areas.gpkg", [15.0, None, 0.0, 10.0])
    write_xlsx(folder / "areas.xlsx", [["area_code", "people"], ["E01012571", 15], ["E01012572", "*"], ["E1", 0]])
    write_pdf(folder / "pack.pdf", ["Blackburn with Darwen: people per area", "District BB2 has 15 people"])
    figure = plt.figure(figsize=(2, 2))
    figure.text(0.1, 0.5, "people")
    figure.savefig(folder / "maps" / "lsoa_people.png")
    figure.savefig(folder / "maps" / "lsoa_people.svg")
    plt.close(figure)
    return folder


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# ------------------------------------------------------------------------------------------------ secrets


def test_secrets_are_normalised_and_short_values_dropped():
    secrets = Secrets.from_values(
        identifiers=[" C000123 ", "943 476 5919", "Jane   Doe", "M", "", None, float("nan"), 9434765918.0],
        pseudonyms=["abc", PSEUDONYM],
        postcodes=["bb2 1aa", " BB1  8EU ", "BB2", "UNKNOWN", None],
    )
    assert secrets.identifiers == {"C000123", "9434765919", "Jane Doe", "9434765918"}
    assert secrets.pseudonyms == {PSEUDONYM}
    assert secrets.postcodes == {"BB21AA", "BB18EU"}


def test_secrets_are_compared_casefolded_whether_keyed_by_arrow_or_one_by_one(tmp_path):
    """ASCII secrets are keyed in bulk by Arrow, others one by one: both find what they should, and a value
    that is both an identifier and a pseudonym is reported as an identifier."""
    ascii_only = Secrets.from_values(identifiers=["C000123", "Jane Doe", "SHARED1"], pseudonyms=["shared1", "ab12cd"])
    accented = Secrets.from_values(identifiers=["Straße 12", "Ōsaka99", "SHARED1"], pseudonyms=["shared1", "ab12cd"])
    (tmp_path / "a.txt").write_text("c000123 and JANE DOE; Shared1, AB12CD\n")
    (tmp_path / "b.txt").write_text("STRASSE 12, ōSAKA99\n")
    found = {(f.file, f.kind) for f in audit_report(tmp_path, ascii_only)}
    assert found == {("a.txt", "identifier"), ("a.txt", "pseudonym")}
    assert len(audit_report(tmp_path, ascii_only)) == 4  # C000123, Jane Doe, SHARED1 (an identifier), ab12cd
    assert [f.file for f in audit_report(tmp_path, accented)] == ["a.txt", "a.txt", "b.txt", "b.txt"]


def test_secrets_keyed_slice_by_slice_are_each_found_and_no_other_word_is(tmp_path, monkeypatch):
    """The scanner keeps the secrets' keys as sorted 64-bit hashes, keyed a slice at a time (a million a slice;
    three here): every secret in every slice is found, an NHS number written with spaces too, a near miss not."""
    from circles.pipeline import audit_secrets

    monkeypatch.setattr(audit_secrets, "_SLICE", 3)
    identifiers = [f"C{i:06d}" for i in range(10)] + ["9434765919"]
    secrets = Secrets.from_values(identifiers=identifiers, pseudonyms=[PSEUDONYM])
    words = [i.lower() for i in identifiers[:10]] + ["943 476 5919", "C999999", "C00000", PSEUDONYM.upper()]
    (tmp_path / "a.txt").write_text("\n".join(words) + "\n")
    found = audit_report(tmp_path, secrets)
    assert sorted(f.location for f in found) == sorted(f"line {n}" for n in [*range(1, 12), 14])
    assert {f.kind for f in found if f.location == "line 14"} == {"pseudonym"}


# ------------------------------------------------------------------------------------------------ clean


def test_a_clean_report_has_no_findings(tmp_path):
    folder = clean_report(tmp_path / "report")
    assert audit_report(folder, SECRETS) == []
    assert format_findings([]).startswith("Audit passed")


def test_masked_postcodes_districts_zero_ten_and_stars_are_fine(tmp_path):
    (tmp_path / "t.csv").write_text("area,people,note\nA,0,BB2 ***\nB,10,BB2\nC,*,bb2\nD,,district BB2 only\n")
    (tmp_path / "page.html").write_text("<p>BB2 ***</p><p>BB2</p><p>BB21</p>\n")
    assert audit_report(tmp_path, SECRETS) == []


def test_small_counts_in_exempt_files_are_not_findings(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"rows": {"people": 3, "count": 2}}))
    (tmp_path / "quarantine.csv").write_text("file,people\ngp.csv,3\n")
    assert audit_report(tmp_path, SECRETS) == []
    # exempt from the count rule only: secrets are still searched for
    (tmp_path / "manifest.json").write_text(json.dumps({"rows": {"people": 3}, "inputs": [{"file": CLIENT}]}))
    finding = only(audit_report(tmp_path, SECRETS))
    assert (finding.file, finding.location, finding.kind) == ("manifest.json", "$.inputs[0].file", "identifier")


# ------------------------------------------------------------------------------------------------ planted


def test_planted_identifier_in_a_csv_cell(tmp_path):
    folder = clean_report(tmp_path / "report")
    path = folder / "tables" / "lsoa_areas.csv"
    path.write_text(path.read_text().replace("Blackburn with Darwen 007B", f"{CLIENT.lower()} (see notes)"))
    finding = only(audit_report(folder, SECRETS))
    assert finding == Finding("tables/lsoa_areas.csv", "line 3, column 'area_name'", "identifier", IDENTIFIER_DETAIL)
    assert CLIENT.casefold() not in finding.detail.casefold()


def test_name_with_a_space_in_html_even_across_a_line_and_tags(tmp_path):
    (tmp_path / "pack.html").write_text(
        "<html>\n<body>\n<p>Area summary</p>\n<td>jane   DOE</td>\n<p>Seen by <b>Jane</b>\n Doe.</p>\n</body>\n"
    )
    findings = audit_report(tmp_path, SECRETS)
    assert [(f.file, f.location, f.kind) for f in findings] == [
        ("pack.html", "line 4", "identifier"),
        ("pack.html", "line 5", "identifier"),
    ]
    assert findings[0].detail == "an identifier from the inputs (8 characters, 2 words)"
    assert all("jane" not in f.detail.casefold() for f in findings)


def test_a_longer_name_is_not_a_match(tmp_path):
    (tmp_path / "a.txt").write_text("Jane Doeson and Mary-Jane Doe\n")  # whole words only: "Jane Doe" is in the 2nd
    assert [f.location for f in audit_report(tmp_path, SECRETS)] == ["line 1"]
    (tmp_path / "a.txt").write_text("Jane Doeson\n")
    assert audit_report(tmp_path, SECRETS) == []


def test_nhs_number_written_with_spaces_or_dashes_in_text(tmp_path):
    (tmp_path / "notes.txt").write_text("Referral notes\nNHS 943 476 5919 seen\nalso 943-476-5919\nand 9434765919\n")
    findings = audit_report(tmp_path, SECRETS)
    assert [(f.location, f.kind) for f in findings] == [
        ("line 2", "identifier"),
        ("line 3", "identifier"),
        ("line 4", "identifier"),
    ]
    assert all("5919" not in f.detail for f in findings)
    (tmp_path / "notes.txt").write_text("943 476 59190 and 1943 476 5919 are other numbers\n")
    assert audit_report(tmp_path, SECRETS) == []


def test_pseudonym_in_json_is_located_by_json_path(tmp_path):
    (tmp_path / "extract.json").write_text(
        json.dumps({"people": [{"pseudonym": "0" * 64}, {"pseudonym": PSEUDONYM.upper(), "n": 1}]}, indent=2)
    )
    finding = only(audit_report(tmp_path, SECRETS))
    assert finding == Finding(
        "extract.json", "$.people[1].pseudonym", "pseudonym", "a pseudonym computed by the run (64 characters)"
    )


def test_a_secret_json_key_is_found_without_naming_it(tmp_path):
    (tmp_path / "by_client.json").write_text(json.dumps({"clients": {"C000999": 1, CLIENT: 2}}))
    finding = only(audit_report(tmp_path, SECRETS))
    assert finding.location == "$.clients[key 1] (key)"
    assert CLIENT not in finding.location + finding.detail


def test_lower_case_postcode_on_pdf_page_two(tmp_path):
    write_pdf(tmp_path / "pack.pdf", ["Blackburn with Darwen", "Contact point: bb2 1aa"])
    finding = only(audit_report(tmp_path, SECRETS))
    assert (finding.file, finding.location, finding.kind) == ("pack.pdf", "page 2", "postcode")
    assert "1aa" not in finding.detail.casefold()


def test_postcode_in_a_matplotlib_svg(tmp_path):
    figure = plt.figure(figsize=(2, 2))
    figure.text(0.1, 0.5, "BB1 8EU")
    figure.savefig(tmp_path / "map.svg")
    plt.close(figure)
    assert only(audit_report(tmp_path, SECRETS)).kind == "postcode"


def test_an_interactive_maps_geometry_is_not_read_but_its_hover_text_is(tmp_path):
    import plotly.graph_objects as go

    ring = [[-2.4823477, 53.7485341], [-2.4700000, 53.7485341], [-2.4700000, 53.7600000], [-2.4823477, 53.7485341]]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "E01012345", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    ]}  # fmt: skip
    figure = go.Figure(go.Choropleth(geojson=geojson, locations=["E01012345"], z=[12], text=["call 07700 900123"]))
    figure.write_html(tmp_path / "map.html", include_plotlyjs=True)
    finding = only(audit_report(tmp_path, SECRETS))  # the phone number in the hover text, not the coordinates
    assert (finding.file, finding.kind) == ("map.html", "phone")
    raw = (tmp_path / "map.html").read_text(encoding="utf-8")
    with_tags, without_tags = markup_texts(raw)
    assert "53.7485341" in raw and "53.7485341" not in with_tags + without_tags  # geometry blanked...
    assert with_tags.count("\n") == raw.count("\n")  # ...to its line breaks: line numbers stay the file's
    assert "07700 900123" in with_tags and "E01012345" in with_tags


def test_small_count_in_a_csv_people_column(tmp_path):
    (tmp_path / "t.csv").write_text(COUNTS_CSV.replace("45,False,15,False", "45,False,3,False"))
    finding = only(audit_report(tmp_path, SECRETS))
    assert finding == Finding(
        "t.csv",
        "line 3, column 'people'",
        "small_count",
        "count column 'people' holds 3; the 'nhs' policy suppresses counts of 1 to 7",
    )


def test_count_columns_by_suffix_and_by_suppressed_companion(tmp_path):
    (tmp_path / "t.csv").write_text(
        "area,visit_count,referrals,referrals_suppressed,ages\nA,2,7,False,5\nB,8,10,False,6\n"
    )
    findings = audit_report(tmp_path, SECRETS)
    assert [f.location for f in findings] == ["line 2, column 'referrals'", "line 2, column 'visit_count'"]
    # another policy moves the threshold: 7 is published under ndtms (1-4 suppressed), 2 is not
    finding = only(audit_report(tmp_path, SECRETS, policy=POLICIES["ndtms"]))
    assert finding.location == "line 2, column 'visit_count'"
    assert finding.detail == "count column 'visit_count' holds 2; the 'ndtms' policy suppresses counts of 1 to 4"


def test_small_count_in_a_geopackage_layer(tmp_path):
    write_gpkg(tmp_path / "areas.gpkg", [15.0, None, 4.0], layer="msoa")
    finding = only(audit_report(tmp_path, SECRETS))
    assert (finding.file, finding.location, finding.kind) == (
        "areas.gpkg",
        "layer 'msoa', row 3, column 'people'",
        "small_count",
    )
    assert "holds 4" in finding.detail


def test_a_phone_number_in_one_cell_of_a_large_geopackage_layer_is_found_by_its_row(tmp_path):
    # a column is read as one text first (clean: no cell is read alone), but a count column is still checked
    # cell by cell and a column holding a phone number is then read cell by cell to say where
    rows = 2000
    frame = gpd.GeoDataFrame(
        {
            "area_code": [f"E01{i:06d}" for i in range(rows)],
            "rate": [i / 7 for i in range(rows)],
            "note": ["ring the hub"] * 1499 + ["ring 07700 900123"] + ["ring the hub"] * 500,
            "people": [15] * 1899 + [3] + [15] * 100,
        },
        geometry=[Point(370000 + i, 428000) for i in range(rows)],
        crs="EPSG:27700",
    )
    frame.to_file(tmp_path / "areas.gpkg", layer="lsoa", driver="GPKG", engine="pyogrio")
    # the same attributes in another projection: columns read clean in the first are not read again, but what
    # was found there is found here too
    frame.to_crs("EPSG:4326").to_file(tmp_path / "areas_wgs84.gpkg", layer="lsoa", driver="GPKG", engine="pyogrio")
    findings = audit_report(tmp_path, SECRETS)
    assert [(f.file, f.location, f.kind) for f in findings] == [
        (file, location, kind)
        for file in ("areas.gpkg", "areas_wgs84.gpkg")
        for location, kind in (
            ("layer 'lsoa', row 1500, column 'note'", "phone"),
            ("layer 'lsoa', row 1900, column 'people'", "small_count"),
        )
    ]


def test_small_count_in_an_xlsx_sheet(tmp_path):
    write_xlsx(tmp_path / "areas.xlsx", [["Area", "People"], ["E01012571", 15], ["E01012572", 2], ["E1", "*"]])
    finding = only(audit_report(tmp_path, SECRETS))
    assert (finding.file, finding.location, finding.kind) == ("areas.xlsx", "sheet 'Areas', cell B3", "small_count")


def test_identifier_in_an_xlsx_formula_and_a_file_name(tmp_path):
    write_xlsx(tmp_path / "a.xlsx", [["note"], [f'="{FAMILY}"']])
    (tmp_path / f"{CLIENT}.txt").write_text("nothing here\n")
    findings = audit_report(tmp_path, SECRETS)
    assert [(f.file, f.location, f.kind) for f in findings] == [
        ("<name withheld 1>", "file name", "identifier"),
        ("a.xlsx", "sheet 'Areas', cell A2", "identifier"),
    ]


# ------------------------------------------------------------------------------------------------ unreadable


@pytest.mark.parametrize("name", ["areas.gpkg", "areas.xlsx", "pack.pdf", "blob.bin"])
def test_a_file_that_cannot_be_read_fails_the_audit(tmp_path, name):
    (tmp_path / name).write_bytes(b"\x00\x01 not what the name says \xff" * 10)
    finding = only(audit_report(tmp_path, SECRETS))
    assert (finding.file, finding.kind) == (name, "unreadable")
    assert str(tmp_path) not in finding.detail


def test_a_missing_folder_fails_the_audit(tmp_path):
    assert only(audit_report(tmp_path / "absent", SECRETS)).kind == "unreadable"


def test_format_findings_groups_by_file_and_never_needs_the_secret(tmp_path):
    (tmp_path / "t.csv").write_text(f"area,people\n{CLIENT},3\n")
    text = format_findings(audit_report(tmp_path, SECRETS))
    assert text.splitlines()[0].startswith("Audit FAILED: 2 findings in 1 file (identifier 1, small_count 1)")
    assert "t.csv" in text and CLIENT not in text


# ------------------------------------------------------------------------------------------------ the demo


@pytest.fixture(scope="module")
def demo_report(session_demo):
    folder, result = session_demo  # the whole demo: PDFs, PNGs, HTML and all (read only: copy before changing)
    inputs = pd.concat([pd.read_csv(path, dtype=str) for path in sorted((folder / "data" / "take_up").glob("*.csv"))])
    secrets = Secrets.from_values(
        identifiers=pd.concat([inputs["client_id"], inputs["family_id"]]), postcodes=inputs["postcode"]
    )
    return result.output_dir, secrets, inputs


def test_the_demo_report_passes(demo_report):
    report, secrets, inputs = demo_report
    assert len(secrets.identifiers) > 1000 and len(secrets.postcodes) > 500
    assert (report / "tables" / "lsoa_areas.csv").exists() and (report / "areas.gpkg").exists()
    assert audit_report(report, secrets) == []


def test_one_client_id_planted_in_the_demo_report_is_found(demo_report, tmp_path):
    report, secrets, inputs = demo_report
    copy = shutil.copytree(report, tmp_path / "report")
    client = inputs["client_id"].iloc[0]
    table = copy / "tables" / "lsoa_areas.csv"
    lines = table.read_text().splitlines(keepends=True)
    area_code = lines[5].split(",")[0]
    lines[5] = lines[5].replace(area_code, client, 1)
    table.write_text("".join(lines))
    finding = only(audit_report(copy, secrets))
    assert (finding.file, finding.location, finding.kind) == (
        "tables/lsoa_areas.csv",
        "line 6, column 'area_code'",
        "identifier",
    )
    assert client not in finding.detail


def test_two_processes_find_what_one_finds_in_the_demo_report(demo_report, tmp_path, monkeypatch):
    """The files shared out by size and read in a forked child as well: the same findings, the same clean keys."""
    from circles import parallel

    report, secrets, inputs = demo_report
    copy = shutil.copytree(report, tmp_path / "report")
    client, postcode = inputs["client_id"].iloc[0], inputs["postcode"].iloc[3]
    (copy / "tables" / "zz_extra.csv").write_text(f"area,people,note\nE01,3,{client}\nE02,40,seen at {postcode}\n")
    folder = copy / f"maps by {client}"  # a name withheld: numbered as one process numbers it
    folder.mkdir()
    (folder / "notes.md").write_text(f"ring {inputs['client_id'].iloc[1]} back")
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: True)
    alone, together = set(), set()
    one = audit_report(copy, secrets, clean=alone)
    two = audit_report(copy, secrets, clean=together, workers=2)
    assert two == one
    assert together == alone and len(alone) > 100
    kinds = sorted({(f.file.split("/")[0], f.kind) for f in one})
    assert kinds == [("<name withheld 1>", "identifier"), ("tables", "identifier"), ("tables", "postcode"),
                     ("tables", "small_count")]  # fmt: skip
    shares = audit._shares(sorted(p for p in copy.rglob("*") if p.is_file()), 2)
    assert len(shares) == 2 and all(len(share) > 20 for share in shares)


# ------------------------------------------------------------------------------------------------ patterns


def test_phone_email_nhs_number_and_date_of_birth_in_published_files_are_found_by_pattern(tmp_path):
    """Not from the inputs (the secrets know none of these): found by their shape, never repeated."""
    report = clean_report(tmp_path / "report")
    (report / "coding").mkdir()
    (report / "coding" / "quote_bank.csv").write_text(
        'code,quote\nA,"ring me on 07700 900461 after six"\nB,mail jo.bloggs@hotmail.co.uk\n'
    )
    write_pdf(report / "pack2.pdf", ["Her NHS number is 999 526 0182", "She was born on 3 March 2015"])
    (report / "tables" / "people.csv").write_text("area,dob\nE01,2015-03-03\nE02,\n")
    found = [(f.file, f.location, f.kind) for f in audit_report(report, SECRETS)]
    assert found == [
        ("coding/quote_bank.csv", "line 2, column 'quote'", "phone"),
        ("coding/quote_bank.csv", "line 3, column 'quote'", "email"),
        ("pack2.pdf", "page 1", "nhs_number"),
        ("pack2.pdf", "page 2", "date_of_birth"),
        ("tables/people.csv", "line 2", "date_of_birth"),
    ]
    details = " ".join(f.detail for f in audit_report(report, SECRETS))
    for value in ("07700", "900461", "hotmail", "526 0182", "2015"):
        assert value not in details


def test_the_analysts_files_and_the_directorys_own_contacts_are_not_pattern_findings(tmp_path):
    report = clean_report(tmp_path / "report")
    (report / "coding").mkdir()
    (report / "services").mkdir()
    note = "Relapse; one dad rang me on 07700 900461, NHS 999 526 0182, born 3 March 2015."
    (report / "coding" / "codings.csv").write_text(f'source,quote\nnotes,"{note}"\n')
    (report / "coding" / "quotes_held_for_review.csv").write_text(f'text_id,quote\nab,"{note}"\n')
    (report / "services" / "service.csv").write_text("id,name,phone,email\ns1,Drop-in,01254 585000,hub@bwd.gov.uk\n")
    (report / "packs").mkdir()
    (report / "packs" / "pack.html").write_text("<p>Ring the drop-in on 01254 585 000 or hub@bwd.gov.uk</p>")
    assert audit_report(report, SECRETS) == []
    (report / "packs" / "pack.html").write_text("<p>Ring the drop-in on 01254 585 000 or Jo on 01254 585001</p>")
    assert [(f.file, f.kind) for f in audit_report(report, SECRETS)] == [("packs/pack.html", "phone")]


def test_a_path_of_this_machine_in_a_published_file_is_found(tmp_path):
    import sys

    report = clean_report(tmp_path / "report")
    (report / "packs").mkdir()
    (report / "packs" / "pack.html").write_text(
        f'<style>@font-face {{ src: url("file:///home/jo.bloggs/fonts/a.ttf"); }}</style><p>{sys.prefix}/lib</p>'
    )
    (report / "manifest.json").write_text(json.dumps({"inputs": [{"file": f"file:///{sys.prefix}/x.csv"}]}))
    found = [(f.file, f.kind) for f in audit_report(report, SECRETS)]
    assert found == [("packs/pack.html", "path"), ("packs/pack.html", "path")]
    assert all("jo.bloggs" not in f.detail for f in audit_report(report, SECRETS))


def test_a_cell_repeated_across_rows_is_reported_at_every_row_it_holds_a_finding(tmp_path):
    """Cells read clean are remembered (a repeated value is checked once); one with a finding never is."""
    report = tmp_path / "report"
    report.mkdir()
    rows = ["area,people,note", *[f"A{i},10,ordinary text" for i in range(3)], "B,10,ring 07700 900123"]
    rows += ["C,10,ring 07700 900123", "D,10,ordinary text"]
    (report / "table.csv").write_text("\n".join(rows) + "\n")
    findings = audit_report(report, Secrets.from_values(identifiers=["C000123"]))
    assert [(f.location, f.kind) for f in findings] == [
        ("line 5, column 'note'", "phone"),
        ("line 6, column 'note'", "phone"),
    ]
