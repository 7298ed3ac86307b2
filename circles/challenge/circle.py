"""Circle-of-need diagrams: a customer segment, its needs, the services that meet them and who runs those services.

The segment sits at the centre. Ring 1 holds the segment's needs, barriers, aspirations and fears, ring 2 the
services that meet them and ring 3 the providers running those services. This module gathers the public names of
the two modules that make the diagram, so ``from circles.challenge.circle import circle_layout, circle_figure``
reaches both:

``circle_placement``  :func:`circle_items` chooses the items (every code a service meets or the notes raised),
                      :func:`circle_layout` places every node and gives each item its status (unmet, met, possible
                      duplication for needs; addressed or not for barriers and fears) in a :class:`CircleLayout`;
                      :func:`raised_text`, :data:`DIMENSION_ORDER`, :data:`RING_RADII`, :data:`ASSESSED`
``circle_figures``    :func:`circle_figure` draws it for the page it is printed on (a pack's medium, or A3/A4
                      landscape); :data:`MIN_FONT_PT`, :data:`LABEL_WRAP` and the ``gid`` prefixes
``circle_interactive`` :func:`circle_html` draws it for the browser
``circle_style``      :data:`DIMENSION_COLOURS` and the words and markers both share
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
    ASSESSED,
    DIMENSION_ORDER,
    RING_RADII,
    CircleError,
    CircleLayout,
    circle_items,
    circle_layout,
    raised_text,
)

__all__ = [
    "CircleError",
    "CircleLayout",
    "circle_items",
    "circle_layout",
    "raised_text",
    "circle_figure",
    "circle_html",
    "DIMENSION_ORDER",
    "DIMENSION_COLOURS",
    "RING_RADII",
    "ASSESSED",
    "MIN_FONT_PT",
    "LABEL_WRAP",
    "LABEL_GID",
    "KEY_GID",
    "CENTRE_GID",
]
