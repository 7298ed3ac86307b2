"""Reading a pack's PDF as a person would (issue 16): type size, broken words, raster figures, near-empty pages.

:func:`read_pdf` measures every page of a PDF with pdfplumber (pdfminer.six): the size of every character as
printed (a rotated character's size is its width on the page), the width of every raster image, how far down the
text area the page's content reaches, and whether the page opens a section (holds a section heading). The
checks (:func:`small_type`, :func:`broken_words`, :func:`wide_rasters`, :func:`near_empty_pages`) return what a
reader would complain about, page by page, so a failing test says where to look.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pdfplumber

MM = 72 / 25.4  # points per millimetre
#: The running header and footer sit in the page margins, within this distance of the paper's edge.
MARGIN_BOXES_MM = 16.0
#: Page margins (top, bottom) in mm, from print.css and large.css.
TEXT_AREA_MM = {False: (22.0, 20.0), True: (20.0, 22.0)}


@dataclass
class PageReading:
    number: int
    sizes: list[tuple[str, float]] = field(default_factory=list)  # (character, size in pt)
    rasters_mm: list[float] = field(default_factory=list)  # width of each raster image on the page
    fill: float = 0.0  # share of the text area's height the content reaches down to
    opens_section: bool = False  # holds a section (h2) heading
    lines: list[str] = field(default_factory=list)


def _size(char: dict) -> float:
    return float(char["size"] if char.get("upright", True) else char["width"])


def read_pdf(pdf: Path, *, large_print: bool = False) -> list[PageReading]:
    """Every page of ``pdf``, measured."""
    heading_pt = 24.0 if large_print else 15.0
    top_mm, bottom_mm = TEXT_AREA_MM[large_print]
    pages = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, 1):
            reading = PageReading(number)
            edge = MARGIN_BOXES_MM * MM
            body = [o for o in page.chars + page.rects + page.curves + page.lines + page.images]
            body = [o for o in body if o["top"] > edge and o["bottom"] < page.height - edge]
            chars = [
                c for c in page.chars if c["text"].strip() and c["top"] > edge and c["bottom"] < page.height - edge
            ]
            reading.sizes = [(c["text"], _size(c)) for c in page.chars if c["text"].strip()]
            reading.rasters_mm = [float(image["width"]) / MM for image in page.images]
            text_top, text_height = top_mm * MM, page.height - (top_mm + bottom_mm) * MM
            lowest = max((o["bottom"] for o in body), default=text_top)
            reading.fill = max(0.0, (lowest - text_top) / text_height)
            reading.opens_section = any(c["size"] >= heading_pt - 0.1 and c.get("upright", True) for c in chars)
            # a word gap scaled to the type (a space at 7 pt is under pdfplumber's fixed 3 pt tolerance, so figure
            # text would read "Hotspotclass")
            reading.lines = (page.extract_text(x_tolerance_ratio=0.15) or "").splitlines()
            pages.append(reading)
    return pages


def small_type(pages: list[PageReading], minimum: float) -> dict[int, str]:
    """Pages with characters under ``minimum`` pt: ``{page: "3 characters, smallest 5.0 pt: 'l,i'"}``."""
    out = {}
    for page in pages:
        small = [(c, s) for c, s in page.sizes if s < minimum - 0.05]
        if small:
            text = "".join(c for c, _ in small[:12])
            out[page.number] = f"{len(small)} characters, smallest {min(s for _, s in small):.1f} pt: {text!r}"
    return out


@cache
def _words() -> frozenset[str]:
    """The ordinary English words circles ships for its name screen (web2, public domain), lower case."""
    source = Path(__file__).resolve().parents[2] / "circles/ingest/screening/data/ordinary_words.txt.gz"
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


_LAST = re.compile(r"(?:^|[\s(“\"])([A-Za-z]{2,})$")  # a whole word's start: not "parent's" -> "s"
_FIRST = re.compile(r"^([a-z]+)\b")


def broken_words(pages: list[PageReading]) -> dict[int, list[str]]:
    """Words split across two lines without a hyphen ("significa" / "nt"): the two pieces make a word and the
    first piece is not one. ``{page: ["significa|nt", ...]}``."""
    words = _words()
    out: dict[int, list[str]] = {}
    for page in pages:
        for line, after in zip(page.lines, page.lines[1:], strict=False):
            last, first = _LAST.search(line.rstrip()), _FIRST.search(after.lstrip())
            if not (last and first):
                continue
            head, tail = last.group(1), first.group(1)
            if (head + tail).casefold() in words and head.casefold() not in words:
                out.setdefault(page.number, []).append(f"{head}|{tail}")
    return out


def wide_rasters(pages: list[PageReading], widest_mm: float = 60.0) -> dict[int, list[float]]:
    """Raster images wider than ``widest_mm`` (a figure should be vector): ``{page: [widths in mm]}``."""
    return {
        p.number: [round(w) for w in p.rasters_mm if w > widest_mm]
        for p in pages
        if any(w > widest_mm for w in p.rasters_mm)
    }


def near_empty_pages(pages: list[PageReading], least: float = 0.2) -> dict[int, float]:
    """Pages less than ``least`` full inside a section: neither opening one nor its last page (the next page
    opens a section, or the pack ends), as a box or a footnote pushed overleaf mid-section. ``{page: fill}``."""
    out = {}
    for page, following in zip(pages, pages[1:], strict=False):
        if page.fill < least and not page.opens_section and not following.opens_section:
            out[page.number] = round(page.fill, 2)
    return out


def spaceless(phrase: str) -> str:
    """``phrase`` without spaces or line breaks: compare with :func:`spaceless_text`, as large print breaks lines
    anywhere."""
    return re.sub(r"\s+", "", phrase)


def spaceless_text(pdf: Path) -> str:
    """A PDF's text (pypdf) without spaces or line breaks, words hyphenated at a line end (U+2010) joined again."""
    import pypdf

    text = " ".join((page.extract_text() or "") for page in pypdf.PdfReader(pdf).pages)
    return spaceless(re.sub("\u2010\\s*", "", text))


def write_crafted_report(folder: Path, manifest: dict, tables: dict[str, list[dict]] | None = None) -> Path:
    """A crafted report folder: ``manifest.json`` and each of ``tables`` (``"design/options.csv"`` -> rows) as a
    CSV whose columns are every key of its rows, in order of first appearance."""
    import csv
    import json

    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for relative, rows in (tables or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with (folder / relative).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder
