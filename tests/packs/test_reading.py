"""The packs read as a person would (issue 16): every page of every pack, standard and large print.

Each check reads the PDF the demo run published, with :mod:`tests.packs.reading`: no character under the pack's
minimum (7 pt, 16 pt in large print; figure text included, as every figure is vector with real text), no word
broken without a hyphen, no raster figure over 60 mm wide, and no page under a fifth full except one that opens a
section or is a section's last. The checks themselves are tested on hand-made PDFs, so each can fail.
"""

from __future__ import annotations

import pytest
import weasyprint

from circles.packs.render import PACKS
from tests.packs.reading import broken_words, near_empty_pages, read_pdf, small_type, wide_rasters

KEYS = [f"{name}{suffix}" for name in PACKS for suffix in ("", "_large")]


@pytest.fixture(scope="module")
def readings(session_demo):
    packs = session_demo.report / "packs"
    return {key: read_pdf(packs / f"{key}.pdf", large_print=key.endswith("_large")) for key in KEYS}


@pytest.mark.parametrize("key", KEYS)
def test_no_type_under_the_minimum(readings, key):
    minimum = 16.0 if key.endswith("_large") else 7.0
    assert small_type(readings[key], minimum) == {}


@pytest.mark.parametrize("key", KEYS)
def test_no_word_broken_without_a_hyphen(readings, key):
    assert broken_words(readings[key]) == {}


@pytest.mark.parametrize("key", KEYS)
def test_figures_are_vector(readings, key):
    assert wide_rasters(readings[key]) == {}
    # the figures really are there, as text the reader can check: the hot-spot map's legend
    if key.startswith("hotspot_report"):
        assert any("Hot spot class" in line for page in readings[key] for line in page.lines)


@pytest.mark.parametrize("key", KEYS)
def test_no_near_empty_page(readings, key):
    assert near_empty_pages(readings[key]) == {}


@pytest.mark.parametrize("key", KEYS)
def test_a_suppression_note_never_opens_a_page(readings, key):
    """The note saying what "*" means is read with the table whose stars it explains: it once stood alone at
    the top of page 8 of the large-print challenge pack, the table on page 7."""
    alone = [
        page.number for page in readings[key] if len(page.lines) > 1 and page.lines[1].startswith("* = suppressed")
    ]
    assert alone == []


# ------------------------------------------------------------------------------------------- the checks themselves
def _pdf(tmp_path, body: str, css: str = ""):
    path = tmp_path / "probe.pdf"
    style = f"@page {{ size: A4; margin: 22mm 18mm 20mm 18mm; }} body {{ font-family: 'DejaVu Sans'; }} {css}"
    weasyprint.HTML(string=f"<html lang='en-GB'><style>{style}</style><body>{body}</body></html>").write_pdf(path)
    return path


def test_the_checks_fail_on_what_the_issue_found(tmp_path):
    """3 pt legend text, a word broken anywhere, a raster figure, and a footnote pushed overleaf."""
    from PIL import Image

    png = tmp_path / "map.png"
    Image.new("RGB", (800, 600), "white").save(png)
    body = (
        "<h2 style='font-size:15pt'>Maps</h2>"
        "<p style='font-size:3pt'>Legend</p>"
        "<p style='width:18mm; overflow-wrap: break-word; hyphens: manual; font-size:10pt'>duplication significant</p>"
        f"<img src='{png.as_uri()}' style='width:150mm'>"
        "<p style='break-before:page'>A footnote overleaf.</p><p style='break-before:page'>The section goes on.</p>"
    )
    pages = read_pdf(_pdf(tmp_path, body))
    assert list(small_type(pages, 7.0)) == [1]
    assert 1 in broken_words(pages)
    assert wide_rasters(pages) == {1: [150]}
    assert list(near_empty_pages(pages)) == [2]


def test_the_checks_pass_hyphenated_words_and_a_short_last_page(tmp_path):
    body = (
        "<h2 style='font-size:15pt'>Notes</h2>"
        "<p style='width:30mm; hyphens:auto; font-size:10pt'>duplication significant confidence</p>"
    )
    pages = read_pdf(_pdf(tmp_path, body))
    assert small_type(pages, 7.0) == {} and broken_words(pages) == {} and near_empty_pages(pages) == {}
    assert any(line.endswith("-") or line.endswith("\u2010") for line in pages[0].lines)
