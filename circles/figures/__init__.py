"""Figures: print maps (matplotlib) and offline interactive maps (plotly).

Modules, in data-flow order:

``print_maps``        choropleths for A4/A3 print, with attribution
``interactive_maps``  offline HTML maps with hover text from the published tables
``typeface``          the cut-down DejaVu Sans the print PDFs embed (same glyphs, quicker to embed)
"""

from circles.figures.funnel import funnel_figure, funnel_html
from circles.figures.interactive_maps import (
    PLOTLY_CONFIG,
    SUPPRESSED_COLOUR,
    hover_text,
    interactive_map,
    write_html,
)
from circles.figures.print_maps import (
    LABEL_GID,
    NO_VALUE_STYLE,
    NORTH_ARROW_GID,
    PAPER_SIZES_MM,
    SCALE_BAR_GID,
    SUPPRESSED_STYLE,
    choropleth,
    paper_size,
    save_print_map,
)

__all__ = [
    "funnel_figure",
    "funnel_html",
    "choropleth",
    "save_print_map",
    "paper_size",
    "PAPER_SIZES_MM",
    "SUPPRESSED_STYLE",
    "NO_VALUE_STYLE",
    "LABEL_GID",
    "SCALE_BAR_GID",
    "NORTH_ARROW_GID",
    "interactive_map",
    "write_html",
    "hover_text",
    "SUPPRESSED_COLOUR",
    "PLOTLY_CONFIG",
]
