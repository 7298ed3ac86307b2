"""Circle-of-need diagrams: a customer segment, its needs, the services that meet them and who runs those services.

The segment sits at the centre. Ring 1 holds the segment's needs, barriers, aspirations and fears, ring 2 the
services that meet them and ring 3 the providers running those services. This module gathers the public names of
the two modules that make the diagram, so ``from circles.challenge.circle import circle_layout, circle_figure``
reaches both:

``circle_placement``  :func:`circle_layout` places every node and gives each item its status (unmet, met, possible
                      duplication) in a :class:`CircleLayout`; :data:`DIMENSION_ORDER`, :data:`RING_RADII`
``circle_figures``    :func:`circle_figure` draws it for print (A3 landscape) and :func:`circle_html` for the
                      browser; :data:`DIMENSION_COLOURS`, :data:`MIN_FONT_PT`, :data:`LABEL_WRAP` and the ``gid``
                      prefixes
"""

from __future__ import annotations

from circles.challenge.circle_figures import (
    CENTRE_GID,
    DIMENSION_COLOURS,
    KEY_GID,
    LABEL_GID,
    LABEL_WRAP,
    MIN_FONT_PT,
    circle_figure,
    circle_html,
)
from circles.challenge.circle_placement import (
    DIMENSION_ORDER,
    RING_RADII,
    CircleError,
    CircleLayout,
    circle_layout,
)

__all__ = [
    "CircleError",
    "CircleLayout",
    "circle_layout",
    "circle_figure",
    "circle_html",
    "DIMENSION_ORDER",
    "DIMENSION_COLOURS",
    "RING_RADII",
    "MIN_FONT_PT",
    "LABEL_WRAP",
    "LABEL_GID",
    "KEY_GID",
    "CENTRE_GID",
]
