"""Printed packs: Jinja2 templates rendered to HTML and, with WeasyPrint, to PDF (standard and large print).

Modules, in data-flow order:

``render``  building the four workshop packs and the commissioner's hot spot report
"""

from circles.packs.render import (
    PACKS,
    PAGE_SIZES,
    OfflineFetcher,
    PackError,
    build_all,
    build_pack,
    font_files,
    page_one_png,
    render_pdf,
    templates_dir,
)

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
