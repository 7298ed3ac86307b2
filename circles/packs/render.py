"""Printable workshop packs and the commissioner's hotspot report, built from a finished report folder.

The Circles of Need method runs three workshops — customer definition, customer engagement and challenge —
and ends with a report for commissioners. :func:`build_pack` renders one of them as HTML (Jinja2 templates in
the repository's ``workshop_templates/``) and as a print PDF (WeasyPrint); :func:`build_all` renders all four,
in standard and large print.

Privacy design
--------------
A pack is built **only from the published files of a report folder** (tables, maps, coding summaries, the
manifest): never from the records. Whatever passed the report's disclosure control and audit is all a pack
can show. Rendering is offline: the URL fetcher refuses every remote URL and serves only files inside the
report folder, the templates folder, the pack's own output folder and the two bundled DejaVu Sans font files.

Missing optional files never stop a pack: the section says "not available in this run".

Examples
--------
>>> paths = build_pack("hotspot_report", "reports/demo")  # doctest: +SKIP
>>> paths["pdf"]  # doctest: +SKIP
PosixPath('reports/demo/packs/hotspot_report.pdf')
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from circles.errors import CirclesError

__all__ = [
    "PACKS",
    "PAGE_SIZES",
    "PackError",
    "OfflineFetcher",
    "templates_dir",
    "font_files",
    "build_pack",
    "build_all",
    "render_pdf",
    "page_one_png",
]

#: The packs, in the order the method uses them.
PACKS: tuple[str, ...] = ("customer_definition", "customer_engagement", "challenge", "hotspot_report")

#: CSS ``@page`` size declared for each pack (the challenge pack is laid out on the wall: A3 landscape).
PAGE_SIZES: dict[str, str] = {
    "customer_definition": "A4 portrait",
    "customer_engagement": "A4 portrait",
    "challenge": "A3 landscape",
    "hotspot_report": "A4 portrait",
}

TITLES: dict[str, tuple[str, str]] = {
    "customer_definition": ("Customer definition workshop", "Who is the customer segment, where do they live?"),
    "customer_engagement": ("Customer engagement workshop", "Facilitator guide, prompt sheets and coding sheets"),
    "challenge": ("Challenge workshop", "What families told us, what services do, and what it costs"),
    "hotspot_report": ("Hotspot report for commissioners", "Where the need is concentrated, and how we know"),
}

#: Widest embedded copy of a report image, in pixels (A4 portrait at about 190 dpi; A3 landscape images 2x).
IMAGE_MAX_WIDTH = 1600

UNAVAILABLE = "not available in this run"

_REMOTE_HINT = "Packs are rendered offline: reference files inside the report or templates folder instead."


class PackError(CirclesError):
    """A pack cannot be built: unknown pack, not a report folder, a remote URL, a failed render."""


# --------------------------------------------------------------------------------------------------- locations
def templates_dir() -> Path:
    """The folder holding the pack templates (``$CIRCLES_TEMPLATES_DIR`` or the repository's ``workshop_templates/``).

    Raises
    ------
    PackError
        If the folder or its base template is missing.
    """
    override = os.environ.get("CIRCLES_TEMPLATES_DIR")
    folder = Path(override) if override else Path(__file__).resolve().parent.parent.parent / "workshop_templates"
    if not (folder / "base.html").exists():
        raise PackError(
            f"The workshop templates are missing from {folder}. Use a checkout of the repository, or set "
            "CIRCLES_TEMPLATES_DIR to a folder holding base.html, print.css, large.css and the pack templates."
        )
    return folder.resolve()


def font_files() -> dict[str, Path]:
    """DejaVu Sans regular and bold: matplotlib's bundled copies, else what ``fc-match`` finds.

    Returns
    -------
    dict
        ``{"regular": Path, "bold": Path}``.

    Raises
    ------
    PackError
        If no DejaVu Sans file can be found.
    """
    found: dict[str, Path] = {}
    try:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for key, name in (("regular", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf")):
            if (ttf / name).exists():
                found[key] = (ttf / name).resolve()
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    for key, pattern in (("regular", "DejaVu Sans"), ("bold", "DejaVu Sans:bold")):
        if key in found or shutil.which("fc-match") is None:
            continue
        out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout and "DejaVu" in out.stdout and Path(out.stdout).exists():
            found[key] = Path(out.stdout).resolve()
    if "regular" not in found:
        raise PackError("DejaVu Sans was not found (neither matplotlib's bundled copy nor fc-match). Install it.")
    found.setdefault("bold", found["regular"])
    return found


# ------------------------------------------------------------------------------------------------ URL fetcher
def _fetcher_base() -> type:
    """WeasyPrint's :class:`weasyprint.urls.URLFetcher` (WeasyPrint 70+), imported late: it loads Pango."""
    from weasyprint.urls import URLFetcher

    return URLFetcher


class OfflineFetcher:
    """A WeasyPrint URL fetcher that refuses every remote URL and serves only files in allowed places.

    Built with :meth:`create`, which returns an instance of a subclass of WeasyPrint's ``URLFetcher``
    (WeasyPrint 70 expects one) restricted to the ``file`` and ``data`` schemes.

    Parameters
    ----------
    roots
        Folders whose files (at any depth) may be served.
    files
        Single files that may be served as well (the font files).

    Attributes
    ----------
    refused : list of str
        Every URL refused, in order. WeasyPrint turns a fetcher error into a warning and renders without the
        resource; :func:`render_pdf` checks this list afterwards and raises :class:`PackError`.
    """

    roots: list[Path]
    files: set[Path]
    refused: list[str]

    @staticmethod
    def create(roots: list[Path], files: list[Path] | None = None) -> OfflineFetcher:
        """An offline fetcher serving ``roots`` and ``files``."""
        base = _fetcher_base()

        class _Fetcher(OfflineFetcher, base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                base.__init__(self, timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)
                self.roots = [Path(r).resolve() for r in roots]
                self.files = {Path(f).resolve() for f in files or []}
                self.refused = []

            def fetch(self, url: str, headers: Any = None) -> Any:
                self.check(url)
                return base.fetch(self, url, headers)

        return _Fetcher()

    def allows(self, path: Path) -> bool:
        """Whether ``path`` is one of the allowed files or inside an allowed folder."""
        path = path.resolve()
        return path in self.files or any(path.is_relative_to(root) for root in self.roots)

    def check(self, url: str) -> None:
        """Raise :class:`PackError` (and remember ``url``) unless it is a ``data:`` URL or an allowed file."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return
        if scheme != "file":
            self.refused.append(url)
            raise PackError(f"Refused to fetch {url!r}: remote URLs are never fetched. {_REMOTE_HINT}")
        if parts.netloc not in ("", "localhost"):
            self.refused.append(url)
            raise PackError(f"Refused to fetch {url!r}: a file on another host. {_REMOTE_HINT}")
        path = Path(url2pathname(parts.path))
        if not self.allows(path):
            self.refused.append(url)
            raise PackError(f"Refused to read {path}: outside the report and templates folders.")


def render_pdf(html: str, base: Path, pdf: Path, fetcher: OfflineFetcher) -> Path:
    """Render ``html`` (whose relative links resolve against file ``base``) to ``pdf`` through ``fetcher``.

    Raises
    ------
    PackError
        If the HTML asked for a remote or forbidden URL (nothing remote is ever fetched), or WeasyPrint fails.
    """
    import weasyprint

    try:
        weasyprint.HTML(string=html, base_url=str(base), url_fetcher=fetcher).write_pdf(str(pdf))
    except CirclesError:
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; say which file
        raise PackError(f"WeasyPrint could not render {pdf.name}: {exc}") from exc
    if fetcher.refused:
        pdf.unlink(missing_ok=True)
        listed = ", ".join(repr(u) for u in fetcher.refused[:5])
        raise PackError(f"{pdf.name} referenced {len(fetcher.refused)} forbidden URL(s): {listed}. {_REMOTE_HINT}")
    return pdf


# ------------------------------------------------------------------------------------------------ report data
def _csv(report: Path, rel: str) -> list[dict[str, str]] | None:
    """Rows of a published CSV as strings (``*`` kept), or ``None`` if the file is absent or unreadable."""
    path = report / rel
    if not path.is_file():
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _num(value: Any) -> float | None:
    """A float, or ``None`` for ``*``, blanks and anything that is not a finite number."""
    try:
        out = float(str(value).replace(",", "").replace("£", ""))
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _fmt(value: Any, digits: int = 0) -> str:
    """Format a number with thousands separators; ``*`` and text pass through; blanks become an en dash."""
    if value is None or str(value).strip() in ("", "nan", "None"):
        return "–"
    number = _num(value)
    if number is None:
        return str(value)
    return f"{number:,.{digits}f}"


def _money(value: Any) -> str:
    """``£12,345`` from a number, or the text unchanged if it is not one."""
    number = _num(value)
    return f"£{number:,.0f}" if number is not None else _fmt(value)


def _pct(value: Any, digits: int = 0) -> str:
    """``34%`` from a proportion 0–1."""
    number = _num(value)
    return f"{100 * number:.{digits}f}%" if number is not None else _fmt(value)


def _rate(row: dict[str, str]) -> str:
    """``6.6 (3.2–12.2)`` from rate, rate_lower and rate_upper; ``*`` if suppressed."""
    if _num(row.get("rate")) is None:
        return "*" if str(row.get("rate", "")).strip() == "*" else "–"
    low, high = _num(row.get("rate_lower")), _num(row.get("rate_upper"))
    interval = f" ({low:.1f}–{high:.1f})" if low is not None and high is not None else ""
    return f"{_num(row['rate']):.1f}{interval}"


def _area_rows(rows: list[dict[str, str]] | None, *, top: int | None = None) -> list[dict[str, str]] | None:
    """Area table rows for print, highest rate first (suppressed rates last); ``top`` keeps the first few."""
    if rows is None:
        return None
    ordered = sorted(rows, key=lambda r: (-(_num(r.get("rate")) or -1.0), r.get("area_name", "")))
    out = [
        {
            "name": r.get("area_name") or r.get("area_code", ""),
            "code": r.get("area_code", ""),
            "people": _fmt(r.get("people")),
            "rate": _rate(r),
            "comparison": r.get("comparison", "") or "–",
            "gi": r.get("gi_label", ""),
            "imd": r.get("imd_decile", ""),
        }
        for r in ordered
    ]
    return out[:top] if top else out


def _layers(report: Path) -> list[str]:
    """Area layers with a published table, LSOA first, then wards (oldest first), then the rest."""
    names = sorted(p.name.removesuffix("_areas.csv") for p in (report / "tables").glob("*_areas.csv"))
    return sorted(names, key=lambda n: (0 if n == "lsoa" else 1 if n.startswith("ward") else 2, n))


def _layer_title(layer: str) -> str:
    if layer == "lsoa":
        return "LSOA (neighbourhoods)"
    if layer == "msoa":
        return "MSOA"
    if layer.startswith("ward"):
        year = layer.removeprefix("ward")
        return f"Wards ({year})" if year else "Wards"
    return layer


class _Images:
    """Downscaled copies of the report's PNGs in ``<out>/img/``, referenced relatively from the HTML."""

    def __init__(self, report: Path, out: Path) -> None:
        self.report, self.out = report, out

    def __call__(self, rel: str, *, max_width: int = IMAGE_MAX_WIDTH) -> str | None:
        source = self.report / rel
        if not source.is_file():
            return None
        target = self.out / "img" / rel.replace("/", "_")
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                from PIL import Image

                with Image.open(source) as image:
                    if image.width > max_width:
                        image = image.resize((max_width, round(image.height * max_width / image.width)))
                    image.save(target, optimize=False)
            except Exception:  # an unreadable image is copied as it is; the browser or WeasyPrint decides
                shutil.copyfile(source, target)
        return target.relative_to(self.out).as_posix()


def _context(name: str, report: Path, out: Path, large_print: bool) -> dict[str, Any]:
    """Everything the templates need, read from the report folder's published files only."""
    manifest_path = report / "manifest.json"
    if not manifest_path.is_file():
        raise PackError(f"{report} is not a report folder: manifest.json is missing. Run `circles run SPEC` first.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{manifest_path} cannot be read as JSON: {exc}") from exc

    from circles import __version__
    from circles.geo.deprivation import IMD_ATTRIBUTION
    from circles.geo.layers import ATTRIBUTION

    image = _Images(report, out)
    wide = 2 * IMAGE_MAX_WIDTH if PAGE_SIZES[name] == "A3 landscape" else IMAGE_MAX_WIDTH
    synthetic = manifest.get("synthetic")
    if synthetic is not None:
        note = synthetic.get("note") if isinstance(synthetic, dict) else None
        synthetic = note or "SYNTHETIC records: not real people"
    rates = manifest.get("rates") or {}
    hotspots = manifest.get("hotspots") or {}
    costs = manifest.get("costs") or {}
    layers = _layers(report)
    wards = [layer for layer in layers if layer.startswith("ward")]

    def layer_info(layer: str, *, top: int | None = None) -> dict[str, Any]:
        stats = (rates.get("layers") or {}).get(layer) or {}
        spots = (hotspots.get("layers") or {}).get(layer)
        return {
            "key": layer,
            "title": _layer_title(layer),
            "rows": _area_rows(_csv(report, f"tables/{layer}_areas.csv"), top=top),
            "population": _fmt(stats.get("population")) if stats else None,
            "study_rate": _fmt(stats.get("study_area_rate"), 1) if stats else None,
            "higher": stats.get("higher"),
            "lower": stats.get("lower"),
            "hot": sum((spots or {}).get("hot_spots", {}).values()) if spots else None,
            "cold": sum((spots or {}).get("cold_spots", {}).values()) if spots else None,
            "maps": [
                (label, image(f"maps/{layer}_{what}_a4.png", max_width=wide))
                for what, label in (("people", "People"), ("rate", "Rate per 1,000"), ("hotspots", "Gi* hot spots"))
            ],
            "has_gi": any(r.get("gi") for r in _area_rows(_csv(report, f"tables/{layer}_areas.csv")) or []),
        }

    prevalence = _csv(report, "costs/prevalence_lsoa.csv")
    prevalence_totals = None
    if prevalence:
        prevalence_totals = {
            col: _fmt(sum(_num(r.get(col)) or 0 for r in prevalence))
            for col in ("population", "hazardous", "harmful", "misusing")
            if col in prevalence[0]
        }
    elif costs.get("prevalence"):
        prevalence_totals = {k: _fmt(v) for k, v in costs["prevalence"].items()}

    sector = _csv(report, "costs/sector_totals.csv")
    codebook = _csv(report, "coding/codebook.csv")
    summary = _csv(report, "coding/dimension_summary.csv")
    quotes = _csv(report, "coding/quote_bank.csv")
    dimensions = []
    if summary is not None:
        for dim in ("need", "barrier", "aspiration", "fear"):
            codes = [r for r in summary if r.get("dimension") == dim]
            dimensions.append(
                {
                    "key": dim,
                    "title": {"need": "Needs", "barrier": "Barriers", "aspiration": "Aspirations", "fear": "Fears"}[
                        dim
                    ],
                    "codes": [
                        {
                            "rank": r.get("rank", ""),
                            "code_id": r.get("code_id", ""),
                            "name": r.get("name", ""),
                            "participants": _fmt(r.get("participants")),
                            "sources": _fmt(r.get("sources")),
                            "quotes": [
                                {"quote": q.get("quote", ""), "speaker": q.get("speaker", "") or "Participant"}
                                for q in (quotes or [])
                                if q.get("code_id") == r.get("code_id")
                            ][:2],
                        }
                        for r in codes
                    ],
                }
            )

    return {
        "name": name,
        "title": TITLES[name][0],
        "subtitle": TITLES[name][1],
        "page_size": PAGE_SIZES[name],
        "large_print": large_print,
        "pipeline": manifest.get("pipeline") or report.name,
        "description": manifest.get("description") or "",
        "report_name": report.name,
        "version": __version__,
        "built": date.today().isoformat(),
        "synthetic": synthetic,
        "fonts": {key: path.as_uri() for key, path in font_files().items()},
        "unavailable": UNAVAILABLE,
        "disclosure_rule": (manifest.get("disclosure") or {}).get("rule"),
        "rates_method": rates.get("method"),
        "rates_per": rates.get("per", 1000),
        "rates_confidence": _pct(rates.get("confidence")) if rates.get("confidence") else None,
        "hotspots_published": hotspots.get("published"),
        "hotspot_layers": [
            {
                "key": key,
                "title": _layer_title(key),
                "tested": spec.get("tested", ""),
                "weights": spec.get("weights", ""),
                "correction": spec.get("correction", ""),
                "permutations": _fmt(spec.get("permutations")),
                "hot": sum((spec.get("hot_spots") or {}).values()),
                "cold": sum((spec.get("cold_spots") or {}).values()),
            }
            for key, spec in (hotspots.get("layers") or {}).items()
        ],
        "attribution": ATTRIBUTION,
        "imd_attribution": IMD_ATTRIBUTION,
        # customer definition
        "lsoa": layer_info("lsoa", top=15) if "lsoa" in layers else None,
        "ward": layer_info(wards[-1], top=12) if wards else None,
        "quintiles": [
            {
                "quintile": r.get("imd_quintile", ""),
                "areas": _fmt(r.get("areas")),
                "people": _fmt(r.get("people")),
                "share": _pct(r.get("share")),
                "interval": f"{_pct(r.get('share_lower'))}–{_pct(r.get('share_upper'))}"
                if _num(r.get("share_lower")) is not None
                else "–",
                "rate": _fmt(r.get("rate"), 1),
            }
            for r in _csv(report, "tables/deprivation_quintile.csv") or []
        ]
        or None,
        "prevalence": prevalence_totals,
        "penetration": _pct(costs.get("treatment_penetration"), 1) if costs.get("treatment_penetration") else None,
        "penetration_table": (report / "costs/treatment_penetration_lsoa.csv").is_file(),
        "total_cost": costs.get("total") or (_money(sector[-1].get("annual_cost")) if sector else None),
        "cost_per_case": costs.get("cost_per_case"),
        "children_affected": _fmt(costs.get("children_affected")) if costs.get("children_affected") else None,
        "age_band": costs.get("age_band"),
        "sectors": [
            {"sector": r.get("sector", ""), "cost": _money(r.get("annual_cost")), "share": _pct(r.get("share"))}
            for r in sector
        ]
        if sector
        else None,
        "scenarios": _csv(report, "costs/scenarios.csv"),
        "cost_chart": image("costs/cost_by_sector.png", max_width=wide),
        # customer engagement
        "codebook": [
            {
                "dimension": r.get("dimension", ""),
                "id": r.get("id", ""),
                "name": r.get("name", ""),
                "definition": r.get("definition", ""),
                "level": r.get("level", "0"),
            }
            for r in codebook
        ]
        if codebook
        else None,
        # challenge
        "hotspot_map": image("maps/lsoa_hotspots_a4.png", max_width=wide),
        "ward_hotspot_map": next(
            (
                image(f"maps/{w}_hotspots_a4.png", max_width=wide)
                for w in wards
                if (report / f"maps/{w}_hotspots_a4.png").is_file()
            ),
            None,
        ),
        "circle_image": image("circle/circle_of_need_a3.png", max_width=wide),
        "network_image": image("network/network_a3.png", max_width=wide),
        "combinations_image": image("network/combinations.png", max_width=wide),
        "many_services": [
            {"min": r.get("min_services", ""), "families": _fmt(r.get("families")), "all": _fmt(r.get("all_families"))}
            for r in _csv(report, "network/families_in_many_services.csv") or []
        ]
        or None,
        "dimensions": dimensions or None,
        "dimension_chart": image("coding/dimension_summary.png", max_width=wide),
        "questions": _csv(report, "challenge/questions.csv"),
        "needs": _csv(report, "challenge/needs.csv"),
        # hotspot report
        "layers": [layer_info(layer) for layer in layers if layer == "lsoa" or layer.startswith("ward")],
    }


# ------------------------------------------------------------------------------------------------- rendering
def _environment(folder: Path) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def build_pack(
    name: str,
    report_dir: str | Path,
    *,
    large_print: bool = False,
    out_dir: str | Path | None = None,
    report_name: str | None = None,
) -> dict[str, Path]:
    """Render one pack to ``<out_dir>/<name>[_large].html`` and ``.pdf``.

    Parameters
    ----------
    name
        One of :data:`PACKS`.
    report_dir
        A finished report folder (``reports/<pipeline>``). Only its published files are read.
    large_print
        Add ``large.css``: body text 18 pt, nothing under 16 pt.
    out_dir
        Where to write; default ``<report_dir>/packs``. Downscaled copies of the report's images and the two
        stylesheets are written beside the HTML, so the folder opens in a browser as it is.
    report_name
        The report folder's name as printed in the pack (default: ``report_dir``'s name); the runner builds
        packs in a staging folder and names the folder the report will be published as.

    Returns
    -------
    dict
        ``{"html": Path, "pdf": Path}``.

    Raises
    ------
    PackError
        Unknown pack, not a report folder, a template referencing a remote URL, or a failed render.
    """
    if name not in PACKS:
        from circles.validation import suggest

        raise PackError(f"Unknown pack {name!r}: choose one of {', '.join(PACKS)}.{suggest(name, PACKS)}")
    report = Path(report_dir).resolve()
    if not report.is_dir():
        raise PackError(f"Report folder {report} does not exist. Run `circles run SPEC` first.")
    out = Path(out_dir).resolve() if out_dir is not None else report / "packs"
    out.mkdir(parents=True, exist_ok=True)
    folder = templates_dir()
    for css in ("print.css", "large.css"):
        shutil.copyfile(folder / css, out / css)

    context = _context(name, report, out, large_print)
    if report_name is not None:
        context["report_name"] = report_name
    try:
        html = _environment(folder).get_template(f"{name}.html").render(**context)
    except Exception as exc:
        raise PackError(f"Template {name}.html could not be rendered: {exc}") from exc

    stem = f"{name}_large" if large_print else name
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(html, encoding="utf-8")
    fetcher = OfflineFetcher.create([report, folder, out], files=list(font_files().values()))
    render_pdf(html, html_path, pdf_path, fetcher)
    return {"html": html_path, "pdf": pdf_path}


def build_all(
    report_dir: str | Path, *, out_dir: str | Path | None = None, report_name: str | None = None
) -> dict[str, dict[str, Path]]:
    """Render every pack in standard and large print.

    Returns
    -------
    dict
        ``{"customer_definition": {"html": ..., "pdf": ...}, "customer_definition_large": {...}, ...}``.
    """
    built: dict[str, dict[str, Path]] = {}
    for name in PACKS:
        for large in (False, True):
            built[f"{name}_large" if large else name] = build_pack(
                name, report_dir, large_print=large, out_dir=out_dir, report_name=report_name
            )
    return built


def page_one_png(pdf: str | Path, png: str | Path, *, dpi: int = 60) -> Path | None:
    """Write page 1 of ``pdf`` as ``png`` with ``pdftoppm`` (poppler-utils) for a quick look.

    Returns
    -------
    Path or None
        The PNG, or ``None`` (with a warning) when ``pdftoppm`` is not installed.

    Raises
    ------
    PackError
        If ``pdftoppm`` fails.
    """
    if shutil.which("pdftoppm") is None:
        warnings.warn("pdftoppm was not found (install poppler-utils): no page-1 preview written.", stacklevel=2)
        return None
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    stem = png.with_suffix("")
    cmd = ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    written = stem.with_suffix(".png")
    if out.returncode != 0 or not written.exists():
        raise PackError(f"pdftoppm could not render page 1 of {pdf}: {out.stderr.strip() or out.returncode}")
    if written != png:
        written.replace(png)
    return png


def main(argv: list[str] | None = None) -> int:
    """``python -m circles.packs.render REPORT_DIR [PACK ...]``: build packs and print where they went."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m circles.packs.render REPORT_DIR [PACK ...]", file=sys.stderr)
        return 2
    names = args[1:] or list(PACKS)
    started = time.perf_counter()
    try:
        for name in names:
            for large in (False, True):
                paths = build_pack(name, args[0], large_print=large)
                print(paths["pdf"])
    except CirclesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(names) * 2} packs in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
