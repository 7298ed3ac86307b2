"""Workshop packs and the hotspot report: built from a demo report folder's published files only."""

from __future__ import annotations

import csv
import re
import shutil
import socket
from pathlib import Path

import pypdf
import pytest

from circles.packs.render import (
    PACKS,
    PAGE_SIZES,
    OfflineFetcher,
    PackError,
    build_pack,
    page_one_png,
    render_pdf,
)
from tests.helpers import ROOT

HEADINGS = {
    "customer_definition": ["Segment profile", "Deprivation profile", "Scale of the problem", "Where the people are"],
    "customer_engagement": ["Facilitator guide", "Prompt sheets", "Coding sheets", "Ground rules", "Consent"],
    "challenge": [
        "The six challenge questions",
        "Where the need is concentrated",
        "The circle of need",
        "Families in many services",
        "What families told us",
        "Unmet need and duplication",
        "The cost of the problem",
    ],
    "design": [
        "Customer journeys",
        "Time from crisis to planned support",
        "Services met per family",
        "Failure demand",
        "Who is best placed",
        "The options",
        "Questions for the room",
    ],
    "case_for_change": [
        "Why we are changing",
        "The options and the chosen design",
        "What the pilot shows so far",
        "Benefits expected and realised so far",
        "The benefits register",
        "Risks",
        "Champions and owners",
        "Measures to watch",
        "Next steps",
    ],
    "hotspot_report": ["Summary", "LSOA (neighbourhoods): hot spots", "funnel plot", "area table", "Method notes"],
}
SIZES = {"A4 portrait": (595.3, 841.9), "A3 landscape": (1190.6, 841.9)}


@pytest.fixture(scope="module")
def built(session_demo):
    """The packs the session's demo run wrote with ``build_all`` (maps included): read only."""
    folder, result = session_demo
    report = result.output_dir
    packs = {
        key: {"html": report / "packs" / f"{key}.html", "pdf": report / "packs" / f"{key}.pdf"}
        for name in PACKS
        for key in (name, f"{name}_large")
    }
    return folder, report, packs


def _text(pdf: Path) -> str:
    return " ".join((page.extract_text() or "") for page in pypdf.PdfReader(pdf).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", PACKS)
def test_pack_renders_standard_and_large(built, name):
    _, report, packs = built
    for key in (name, f"{name}_large"):
        assert packs[key]["html"].is_file() and packs[key]["pdf"].is_file()
        assert packs[key]["html"].parent == report / "packs"
        assert pypdf.PdfReader(packs[key]["pdf"]).pages


@pytest.mark.parametrize("name", PACKS)
def test_page_size_is_as_declared(built, name):
    _, _, packs = built
    width, height = SIZES[PAGE_SIZES[name]]
    for key in (name, f"{name}_large"):
        for page in pypdf.PdfReader(packs[key]["pdf"]).pages:
            box = page.mediabox
            assert abs(float(box.width) - width) < 1 and abs(float(box.height) - height) < 1


@pytest.mark.parametrize("name", PACKS)
def test_headings_synthetic_banner_and_page_numbers(built, name):
    _, _, packs = built
    for key in (name, f"{name}_large"):
        text = _flat(_text(packs[key]["pdf"]))
        for heading in HEADINGS[name]:
            assert heading in text, f"{key}: {heading!r} missing"
        assert "SYNTHETIC" in text
        pages = len(pypdf.PdfReader(packs[key]["pdf"]).pages)
        assert f"Page {pages} of {pages}" in text


def test_hotspot_report_method_notes_come_from_the_manifest(built):
    _, report, packs = built
    import json

    from circles.geo.deprivation import IMD_ATTRIBUTION

    manifest = json.loads((report / "manifest.json").read_text())
    text = _flat(_text(packs["hotspot_report"]["pdf"]))
    assert _flat(manifest["disclosure"]["rule"]) in text
    assert "FDR" in text
    assert _flat(IMD_ATTRIBUTION) in text
    assert "*" in text


def test_no_identifier_from_the_inputs_appears(built):
    folder, report, packs = built
    ids: set[str] = set()
    postcodes: set[str] = set()
    for path in (folder / "data" / "take_up").glob("*.csv"):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                ids.update(v.strip() for k, v in row.items() if k in ("client_id", "family_id") and v and v.strip())
                code = re.sub(r"\s+", "", (row.get("postcode") or "").upper())
                if len(code) >= 5:
                    postcodes.update({code, f"{code[:-3]} {code[-3:]}"})
    assert len(ids) > 100 and len(postcodes) > 100
    secrets = ids | postcodes
    files = [p for pack in packs.values() for p in pack.values()]
    for path in files:
        text = _text(path) if path.suffix == ".pdf" else path.read_text(encoding="utf-8")
        tokens = set(re.findall(r"[A-Za-z0-9]+(?: [A-Za-z0-9]{3})?", text.upper())) | set(
            re.findall(r"\w+", text.upper())
        )
        found = {s for s in secrets if s.upper() in tokens}
        assert not found, f"{path.name} holds {len(found)} input identifier(s)"
        assert not any(s.upper() in text.upper() for s in ids), path.name


def test_large_print_is_at_least_16pt(built):
    _, report, packs = built
    import weasyprint

    html = packs["customer_definition_large"]["html"]
    assert 'href="large.css"' in html.read_text()
    assert 'href="large.css"' not in packs["customer_definition"]["html"].read_text()
    fetcher = OfflineFetcher.create([report, html.parent, ROOT / "workshop_templates"])
    document = weasyprint.HTML(filename=str(html), url_fetcher=fetcher).render()
    sizes: list[float] = []

    def walk(box) -> None:
        if type(box).__name__ == "TextBox" and box.text.strip():
            sizes.append(box.style["font_size"] * 0.75)  # CSS px -> pt
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    assert sizes and min(sizes) >= 16 - 1e-6, f"smallest text {min(sizes):.1f} pt"
    # and the standard pack really is smaller, so the check can fail
    standard = len(pypdf.PdfReader(packs["customer_definition"]["pdf"]).pages)
    assert len(pypdf.PdfReader(packs["customer_definition_large"]["pdf"]).pages) > standard


def test_remote_url_is_refused_without_network(tmp_path, monkeypatch):
    attempts: list[object] = []

    def no_network(self, address):  # any socket connection fails the test
        attempts.append(address)
        raise AssertionError(f"network access to {address}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    fetcher = OfflineFetcher.create([tmp_path])
    with pytest.raises(PackError, match="remote"):
        fetcher.check("https://example.com/x.png")
    fetcher = OfflineFetcher.create([tmp_path])
    html = (
        '<html><body><p>Hello</p><img src="https://example.com/x.png"><img src="ftp://example.com/y.png"></body></html>'
    )
    with pytest.raises(PackError, match="forbidden URL"):
        render_pdf(html, tmp_path / "tiny.html", tmp_path / "tiny.pdf", fetcher)
    assert not (tmp_path / "tiny.pdf").exists()
    assert fetcher.refused == ["https://example.com/x.png", "ftp://example.com/y.png"]
    assert not attempts
    outside = OfflineFetcher.create([tmp_path / "inside"])
    with pytest.raises(PackError, match="outside"):
        outside.check((tmp_path / "secret.png").as_uri())


def test_missing_optional_files_say_not_available(built, tmp_path):
    _, report, _ = built
    thin = tmp_path / "thin"
    thin.mkdir()
    shutil.copy(report / "manifest.json", thin / "manifest.json")
    for name in PACKS:
        paths = build_pack(name, thin)
        assert "not available in this run" in paths["html"].read_text()
        assert pypdf.PdfReader(paths["pdf"]).pages


def test_errors_are_pack_errors(tmp_path):
    with pytest.raises(PackError, match="Unknown pack"):
        build_pack("customer_defintion", tmp_path)
    with pytest.raises(PackError, match="manifest.json"):
        build_pack("challenge", tmp_path)


def test_packs_render_in_parallel_processes_and_each_failure_is_its_own(tmp_path):
    """Two processes at once: each pack's outcome comes back in order, and a pack that fails (here every pack:
    the folder is no report) is that pack's error, never the run's."""
    from circles.packs.render import _render

    jobs = [("challenge", False), ("hotspot_report", True), ("challenge", True)]
    outcomes = _render(jobs, tmp_path, tmp_path / "packs", None, workers=2)
    assert [type(o) for o in outcomes] == [PackError] * 3
    assert all("manifest.json" in str(o) for o in outcomes)


def test_page_one_png(built, tmp_path):
    _, _, packs = built
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    png = page_one_png(packs["challenge"]["pdf"], tmp_path / "challenge_p1.png")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_packs_travel_with_their_fonts_and_hold_no_path_of_this_machine(built):
    """A pack sent to someone else keeps its font, and publishes no file:// link or local folder (a user name)."""
    import sys

    _, report, packs = built
    fonts = report / "packs" / "fonts"
    assert {p.name for p in fonts.glob("*.ttf")} == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"}
    for key, files in packs.items():
        html = files["html"].read_text(encoding="utf-8")
        assert 'src: url("fonts/DejaVuSans.ttf")' in html, key
        assert "file://" not in html and sys.prefix not in html, key


def test_large_print_running_text_splits_no_word(built):
    """Clear print: running text breaks between words only. The hotspot report's large print has no table (its
    area and method tables are one record a block), so no line may end in the hyphen WeasyPrint adds (U+2010);
    a hyphen the text already has ("Getis-Ord") may end a line."""
    _, _, packs = built
    pages = pypdf.PdfReader(packs["hotspot_report_large"]["pdf"]).pages
    lines = [line.strip() for page in pages for line in (page.extract_text() or "").splitlines()]
    assert any("neighbours: queen" in line for line in lines)  # the method table, as records
    assert [line for line in lines if line.endswith("\u2010")] == []


def test_large_print_hyphenates_words_and_never_splits_a_code(built):
    """Table cells at 18 pt break words at their hyphenation points (en-GB), not anywhere: 'duplicatio|n' and
    'AS|P01' were what breaking anywhere gave."""
    _, _, packs = built
    text = pypdf.PdfReader(packs["challenge_large"]["pdf"]).pages
    lines = [line.strip() for page in text for line in (page.extract_text() or "").splitlines()]
    assert not any(re.search(r"\b(duplicatio|significa|confiden|Someon)$", line) for line in lines)
    assert not any(re.search(r"\([A-Z]{1,3}[-\u2010\u00ad]?$", line) for line in lines)  # "(AS‐" then "P01)"
    assert any(re.search(r"\((?:NEE|ASP|BAR|FEA|PRO)[0-9]{2}\)", line) for line in lines)
