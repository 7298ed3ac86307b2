"""The family's own copy of its plan as an A4 PDF, in standard or large print (WeasyPrint, offline).

The plan is written for the family: first names only, the issues in plain words, each service with what it does,
where things stand and when it will be reviewed, the family's goals in its own words and its latest scores. No
address, date of birth or advisor's note is printed.

Rendering follows the workshop packs (:mod:`circles.packs.render`): the same offline URL fetcher (no remote URL is
ever fetched; only the planner's stylesheets and the DejaVu Sans font files may be read) and the same embedded
fonts. Large print sets body text at 18 pt with nothing under 16 pt, and never hyphenates or breaks a word.

Examples
--------
>>> pdf = render_plan_pdf(context, size="large")  # doctest: +SKIP
>>> pdf[:4]  # doctest: +SKIP
b'%PDF'
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from circles.errors import PlannerError

__all__ = ["SIZES", "date_time", "long_date", "render_plan_html", "render_plan_pdf", "static_dir", "templates_dir"]

#: The print sizes: standard (11 pt body) and large (18 pt body, nothing under 16 pt).
SIZES = ("standard", "large")

_WEB = Path(__file__).parent / "web"

try:
    _LONDON: Any = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - a system without time zone data shows UTC
    _LONDON = UTC


def templates_dir() -> Path:
    return _WEB / "templates"


def static_dir() -> Path:
    return _WEB / "static"


def long_date(value: date | datetime | None) -> str:
    """A date as people write it (``3 March 2026``); a timestamp (UTC in the database) in UK time.

    >>> long_date(date(2026, 3, 3)), long_date(datetime(2026, 7, 1, 23, 30)), long_date(None)
    ('3 March 2026', '2 July 2026', '')
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC).astimezone(_LONDON)
    return f"{value.day} {value:%B %Y}"


def date_time(value: datetime | None) -> str:
    """A timestamp (UTC in the database) in UK time: ``3 March 2026, 14:05``.

    >>> date_time(datetime(2026, 1, 5, 9, 7))
    '5 January 2026, 09:07'
    """
    if value is None:
        return ""
    local = value.replace(tzinfo=UTC).astimezone(_LONDON)
    return f"{local.day} {local:%B %Y, %H:%M}"


@cache
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["long_date"] = long_date
    env.filters["date_time"] = date_time
    return env


def render_plan_html(context: dict[str, Any], *, size: str = "standard") -> str:
    """The print HTML of a plan (``context`` as :func:`circles.planner.web.family_pages.plan_context` makes it)."""
    if size not in SIZES:
        raise PlannerError(f"Print size {size!r}: use one of {', '.join(SIZES)}.")
    return _environment().get_template("plan_print.html").render(**context, large_print=size == "large")


def _font_css() -> str:
    from circles.packs.assets import font_files

    fonts = font_files()
    faces = [
        ("Circles DejaVu Sans", fonts["regular"], "normal"),
        ("Circles DejaVu Sans", fonts["bold"], "bold"),
    ]
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); font-weight: {weight}; }}'
        for family, path, weight in faces
    )


def render_plan_pdf(context: dict[str, Any], *, size: str = "standard") -> bytes:
    """The plan as an A4 PDF (bytes), fonts embedded, rendered offline.

    Raises
    ------
    PlannerError
        Unknown size, or WeasyPrint could not render the plan (the packs' :class:`~circles.packs.assets.PackError`
        is turned into a planner error, so the page answers 400 with the reason).
    """
    from circles.packs.assets import font_files
    from circles.packs.render import OfflineFetcher, render_pdf

    html = render_plan_html(context, size=size)
    # the fonts are declared in the document's head, from the local files (never served to a browser)
    html = html.replace("</head>", f"<style>\n{_font_css()}\n</style>\n</head>", 1)
    fetcher = OfflineFetcher.create([static_dir()], files=list(font_files().values()))
    with tempfile.TemporaryDirectory(prefix="circles-plan-") as folder:
        pdf = Path(folder) / "plan.pdf"
        try:
            render_pdf(html, static_dir() / "plan_print.html", pdf, fetcher)
        except PlannerError:
            raise
        except Exception as exc:  # PackError or WeasyPrint's own
            raise PlannerError(f"The printable plan could not be made: {exc}") from exc
        return pdf.read_bytes()
