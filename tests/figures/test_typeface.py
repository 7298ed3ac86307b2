"""The cut-down DejaVu Sans the print figures embed: the same glyphs, a character outside it still drawn, and a
user's own font left alone."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pypdf
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from circles.figures.typeface import FACES, FAMILY, FONT_DIR, REPERTOIRE, build_fonts, cut_down_fonts
from circles.io.writers import save_figure

SOURCE = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
RECORD = json.loads((FONT_DIR / "fonts.json").read_text(encoding="utf-8"))


def _kept(code: int) -> bool:
    return any(first <= code <= last for first, last, _ in REPERTOIRE)


def _embedded_fonts(pdf: Path) -> set[str]:
    """The base font names a PDF embeds, without their subset tag (``ABCDEF+``)."""
    names = set()
    for page in pypdf.PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def _figure() -> plt.Figure:
    figure = plt.figure(figsize=(4, 2))
    figure.suptitle("Ωmega Жук ≤ 5 – ‘Ŵ’ £ €", fontweight="bold")  # Greek and Cyrillic are not in the repertoire
    figure.text(0.05, 0.4, "Shadsworth with Whitebirk 013B: 41.5 per 1,000 · fi fl AV To")
    return figure


def test_the_shipped_files_are_those_recorded_with_their_licence():
    assert RECORD["family"] == FAMILY
    assert (FONT_DIR / "LICENSE_DEJAVU").read_text(encoding="utf-8").startswith("Fonts are (c) Bitstream")
    for entry in RECORD["files"]:
        assert hashlib.sha256((FONT_DIR / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], entry["file"]
    assert sorted(e["file"] for e in RECORD["files"]) == sorted(FACES.values())


@pytest.mark.parametrize(("source", "cut"), sorted(FACES.items()))
def test_every_kept_character_has_dejavu_sans_glyph_and_width(source, cut):
    full, small = TTFont(SOURCE / source), TTFont(FONT_DIR / cut)
    full_map, small_map = full.getBestCmap(), small.getBestCmap()
    assert set(small_map) == {c for c in full_map if _kept(c)}
    assert 0x3A9 not in small_map and 0x416 not in small_map  # Ω and Ж: from the full font
    assert len(small.getGlyphOrder()) < len(full.getGlyphOrder()) / 3
    full_widths, small_widths = full["hmtx"].metrics, small["hmtx"].metrics
    for code, glyph in small_map.items():
        assert small_widths[glyph] == full_widths[full_map[code]], hex(code)
    features = {record.FeatureTag for record in small["GPOS"].table.FeatureList.FeatureRecord}
    assert "kern" in features
    names = {record.nameID: record.toUnicode() for record in small["name"].names if record.platformID == 3}
    assert names[1] == FAMILY and "Vera" not in names[1] and names[6].startswith("CirclesDejaVuSans")


def test_a_pdf_embeds_the_cut_down_font_and_the_full_one_only_for_what_it_lacks(tmp_path):
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure = _figure()
        with cut_down_fonts(figure):
            save_figure(figure, tmp_path / "cut.pdf")
        assert figure.texts[0].get_fontfamily() == ["sans-serif"]  # put back
        save_figure(figure, tmp_path / "full.pdf")
        plt.close(figure)
    assert _embedded_fonts(tmp_path / "cut.pdf") == {"CirclesDejaVuSans", "CirclesDejaVuSans-Bold", "DejaVuSans-Bold"}
    assert _embedded_fonts(tmp_path / "full.pdf") == {"DejaVuSans", "DejaVuSans-Bold"}
    text = pypdf.PdfReader(tmp_path / "cut.pdf").pages[0].extract_text()
    assert "Ωmega Жук ≤ 5" in text and "Shadsworth with Whitebirk 013B" in text
    assert (tmp_path / "cut.pdf").stat().st_size < (tmp_path / "full.pdf").stat().st_size * 1.2


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_page_looks_exactly_the_same(tmp_path):
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure = _figure()
        save_figure(figure, tmp_path / "full.pdf")
        with cut_down_fonts(figure):
            save_figure(figure, tmp_path / "cut.pdf")
        plt.close(figure)
    pixels = []
    for name in ("full", "cut"):
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", name + ".pdf", name], cwd=tmp_path, check=True)
        pixels.append(np.asarray(Image.open(tmp_path / f"{name}.png").convert("L")))
    assert pixels[0].shape == pixels[1].shape and (pixels[0] < 128).sum() > 1000  # there is text to compare
    assert np.array_equal(pixels[0], pixels[1])


def test_a_users_own_font_is_left_alone(tmp_path):
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.sans-serif": ["DejaVu Serif"]}):
        figure = _figure()
        with cut_down_fonts(figure):
            assert figure.texts[0].get_fontfamily() == ["sans-serif"]
            save_figure(figure, tmp_path / "serif.pdf")
        plt.close(figure)
    assert _embedded_fonts(tmp_path / "serif.pdf") == {"DejaVuSerif", "DejaVuSerif-Bold"}


def test_a_rebuild_gives_the_same_bytes(tmp_path):
    sources = {Path(e["source"]).name: e["source_sha256"] for e in RECORD["files"]}
    now = {name: hashlib.sha256((SOURCE / name).read_bytes()).hexdigest() for name in FACES}
    if now != sources:
        pytest.skip("this matplotlib ships another DejaVu Sans than the fonts were cut from: rebuild them")
    made = {(e["file"], e["sha256"], e["glyphs"]) for e in build_fonts(tmp_path)["files"]}
    assert made == {(e["file"], e["sha256"], e["glyphs"]) for e in RECORD["files"]}
