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

Missing optional files never stop a pack: the section says "not available in this run". When the spec lacked
what a section needs (a layer, a population, the IMD, the services or costs section), the section says what is
missing, what it would give and the spec lines that add it (:mod:`circles.packs.missing`); :func:`build_all`
writes the same notes to ``packs/missing_data.md``.

One pack that fails never costs the others or the report: :func:`build_all` writes
``packs/<pack>[_large]_FAILED.txt`` in its place (what went wrong, how to rebuild it), warns, and lists it in
:attr:`BuiltPacks.failed`; the pipeline records it in the manifest and publishes the rest.

Examples
--------
>>> paths = build_pack("hotspot_report", "reports/demo")  # doctest: +SKIP
>>> paths["pdf"]  # doctest: +SKIP
PosixPath('reports/demo/packs/hotspot_report.pdf')
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from circles.errors import CirclesError
from circles.io.writers import atomic_path
from circles.packs.assets import (
    PACKS,
    PAGE_SIZES,
    TITLES,
    PackError,
    font_files,
    templates_dir,
)
from circles.packs.context import _context, _manifest
from circles.packs.missing import MISSING_FILE, missing_data

__all__ = [
    "PACKS",
    "PAGE_SIZES",
    "PackError",
    "OfflineFetcher",
    "templates_dir",
    "font_files",
    "build_pack",
    "build_all",
    "BuiltPacks",
    "failed_name",
    "render_pdf",
    "page_one_png",
]

_REMOTE_HINT = "Packs are rendered offline: reference files inside the report or templates folder instead."


# ------------------------------------------------------------------------------------------------ URL fetcher
def _fetcher_base() -> type:
    """WeasyPrint's :class:`weasyprint.urls.URLFetcher` (WeasyPrint 70+), imported late: it loads Pango."""
    from weasyprint.urls import URLFetcher

    return URLFetcher


class OfflineFetcher:
    """A WeasyPrint URL fetcher that refuses every remote URL and serves only files in allowed places.

    Built with :meth:`create`, which returns an instance of a subclass of WeasyPrint's ``URLFetcher``
    (WeasyPrint 70 expects one) restricted to the ``file`` and ``data`` schemes.

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
        """An offline fetcher serving ``roots`` and ``files``.

        Parameters
        ----------
        roots : list of Path
            Folders whose files (at any depth) may be served.
        files : list of Path, optional
            Single files that may be served as well (the font files).
        """
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
    # the stylesheets and the fonts travel with the pack (no path of this machine in the HTML); each copy is
    # whole or absent, since other packs render beside this one at the same time
    copies = [(folder / css, out / css) for css in ("print.css", "large.css")]
    for source, target in copies + [(path, out / "fonts" / path.name) for path in font_files().values()]:
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)

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
    try:
        render_pdf(html, html_path, pdf_path, fetcher)
    except Exception:
        html_path.unlink(missing_ok=True)  # no half-built pack: HTML without its PDF
        raise
    (out / failed_name(stem)).unlink(missing_ok=True)  # built now: an earlier failure note no longer holds
    return {"html": html_path, "pdf": pdf_path}


def failed_name(stem: str) -> str:
    """The note written in place of a pack that could not be built: ``<pack>[_large]_FAILED.txt``."""
    return f"{stem}_FAILED.txt"


class BuiltPacks(dict):
    """The packs :func:`build_all` built, ``{key: {"html": Path, "pdf": Path}}``, and those it could not build.

    Attributes
    ----------
    failed : dict
        ``{key: error message}`` for each pack (``challenge``, ``challenge_large``...) that raised; its
        ``<key>_FAILED.txt`` note is beside the packs that were built.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failed: dict[str, str] = {}


def _failure_note(name: str, key: str, error: str, report_name: str) -> str:
    """What a facilitator reads in place of a pack that failed: which, why, what was still published, what to do."""
    title = TITLES[name][0]
    size = "large print" if key.endswith("_large") else "standard print"
    flag = " --large-print" if key.endswith("_large") else ""
    return (
        f"The {title} pack ({size}) could not be built in this run.\n\n"
        f"What went wrong: {error}\n\n"
        f'Everything else in the report folder "{report_name}", including the other packs, was built, checked '
        "and published as usual. Nothing of this pack was published: a half-built pack could mislead.\n\n"
        "To try again once the cause is fixed, rebuild it from the published report folder:\n\n"
        f"    circles pack {name} --pipeline YOUR_SPEC.yaml{flag}\n\n"
        "If it fails again, send this note (it holds no personal data) to whoever looks after circles for your "
        "team. This note is removed when the pack is built.\n"
    )


def build_all(
    report_dir: str | Path,
    *,
    out_dir: str | Path | None = None,
    report_name: str | None = None,
    workers: int | None = None,
) -> dict[str, dict[str, Path]]:
    """Render every pack in standard and large print, and ``missing_data.md`` when the run lacked something.

    ``missing_data.md`` (:data:`circles.packs.missing.MISSING_FILE`) holds the notes the packs print where the
    spec lacked a layer, a population, the IMD, the services or the costs section, each with the spec lines that
    add it (:func:`circles.packs.missing.missing_data`); a run with everything has none, and no file.

    A pack that cannot be built never stops the others: its error is given as a warning naming the pack, a short
    ``packs/<pack>[_large]_FAILED.txt`` note (:func:`failed_name`) says what went wrong and how to rebuild it,
    and :attr:`BuiltPacks.failed` lists it for the run's manifest.

    The packs render in ``workers`` processes at once (at most one per pack); ``workers=1`` renders them one
    after another in this process. The default is the ``CIRCLES_WORKERS`` environment variable, else 1 (the
    ``circles`` command sets one per core). On Linux, with no other thread running, the processes are forked
    (:func:`circles.parallel.fork_is_safe`); elsewhere they are spawned, and a spawned process imports the
    calling script again, which is safe from the ``circles`` command, a notebook or ``python -m``, but would run
    an unguarded script's top-level code twice.

    Returns
    -------
    BuiltPacks
        ``{"customer_definition": {"html": ..., "pdf": ...}, "customer_definition_large": {...}, ...}`` for the
        packs built; ``.failed`` for those that were not.

    Raises
    ------
    PackError
        When ``report_dir`` is not a report folder (no pack could be built from it).
    """
    report = Path(report_dir).resolve()
    manifest = _manifest(report)
    out = Path(out_dir).resolve() if out_dir is not None else report / "packs"
    out.mkdir(parents=True, exist_ok=True)
    built = BuiltPacks()
    jobs = [(name, large) for name in PACKS for large in (False, True)]
    for (name, large), outcome in zip(jobs, _render(jobs, report, out, report_name, workers), strict=True):
        key = f"{name}_large" if large else name
        if not isinstance(outcome, BaseException):
            built[key] = outcome
            continue
        message = str(outcome) or type(outcome).__name__  # one pack's failure costs neither the others nor the report
        built.failed[key] = message
        note = _failure_note(name, key, message, report_name or report.name)
        for stale in (out / f"{key}.html", out / f"{key}.pdf"):  # an earlier build's: not this report's
            stale.unlink(missing_ok=True)
        (out / failed_name(key)).write_text(note, encoding="utf-8")
        warnings.warn(f"pack {key!r} could not be built: {message}", stacklevel=2)
    text = missing_data(manifest).markdown(manifest.get("pipeline") or report_name or "")
    if text:
        (out / MISSING_FILE).write_text(text, encoding="utf-8")
    else:
        (out / MISSING_FILE).unlink(missing_ok=True)
    return built


def _render(
    jobs: list[tuple[str, bool]], report: Path, out: Path, report_name: str | None, workers: int | None
) -> list[dict[str, Path] | BaseException]:
    """Each job's pack, or the exception that stopped it, in the jobs' order; in parallel processes when more than
    one worker is allowed: forked where :func:`circles.parallel.fork_is_safe` (they start at once, with circles
    already imported), else spawned (nothing of this process's state is shared). The longest packs (large print,
    the A3 challenge pack) start first, so no worker is left with a long one at the end."""
    from circles.parallel import fork_is_safe

    if workers is None:
        workers = int(os.environ.get("CIRCLES_WORKERS") or 1)
    workers = max(1, min(workers, len(jobs)))

    def one(name: str, large: bool) -> dict[str, Path] | BaseException:
        try:
            return build_pack(name, report, large_print=large, out_dir=out, report_name=report_name)
        except Exception as exc:
            return exc

    if workers == 1:
        return [one(name, large) for name, large in jobs]
    import weasyprint  # noqa: F401  - imported once here, a forked worker starts with it (a second each)

    context = multiprocessing.get_context("fork" if fork_is_safe() else "spawn")
    first = sorted(jobs, key=lambda job: (not job[1], job[0] != "challenge"))  # large print, then the A3 pack
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            (name, large): pool.submit(
                build_pack, name, report, large_print=large, out_dir=out, report_name=report_name
            )
            for name, large in first
        }
        outcomes: list[dict[str, Path] | BaseException] = []
        for job in jobs:
            try:
                outcomes.append(futures[job].result())
            except Exception as exc:  # the pack's own error, or its process died (BrokenProcessPool)
                outcomes.append(exc)
    return outcomes


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
