"""Printed packs: Jinja2 templates rendered to HTML and, with WeasyPrint, to PDF (standard and large print).

Modules, in data-flow order:

``assets``   the packs, their page sizes and titles, the templates folder and the fonts
``context``  what the templates are given, read from a report folder's published files
``missing``  what the run's spec lacked (a layer, a population, the IMD...) and the spec lines that add it
``render``   building the four workshop packs and the commissioner's hot spot report
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
