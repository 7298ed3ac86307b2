"""Circle-of-need style: the colours, markers and words the print and browser circles share.

:mod:`circles.challenge.circle_figures` (print) and :mod:`circles.challenge.circle_interactive` (browser) both draw
a :class:`~circles.challenge.circle_placement.CircleLayout`; this module keeps them saying the same thing.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

__all__ = [
    "DIMENSION_COLOURS",
    "OTHER_COLOUR",
    "SERVICE_COLOUR",
    "PROVIDER_COLOUR",
    "UNMET_COLOUR",
    "STATUS_LABELS",
    "LABEL_WRAP",
    "MAX_LINES",
    "fits",
    "wrap_label",
    "marker_area",
    "alignment",
    "plural",
    "status_text",
]

#: Marker colour of each dimension (colour-blind-safe Dark2); other dimensions are grey.
DIMENSION_COLOURS: dict[str, str] = {
    "need": "#1b9e77",
    "barrier": "#d95f02",
    "aspiration": "#7570b3",
    "fear": "#e7298a",
}
OTHER_COLOUR = "#999999"
SERVICE_COLOUR = "#4a7fb0"
PROVIDER_COLOUR = "#444444"
UNMET_COLOUR = "#d7191c"
#: Characters per line of a diagram label at 9 pt (fewer at a larger size).
LABEL_WRAP = 18
#: Most lines of a diagram label, by ring: providers, on the outer ring, have room to spell a long name out.
MAX_LINES: dict[str, int] = {"item": 2, "service": 2, "provider": 4}

#: Status of an item, in words (hover text, key).
STATUS_LABELS: dict[str, str] = {
    "unmet": "unmet: no service meets this",
    "met": "met",
    "possible duplication": "possible duplication",
    "addressed": "services work on this (duplication is judged for needs only)",
    "not assessed": "no service works on this (not a need a service meets)",
}

_MARKER_AREA = (50.0, 380.0)  # scatter area (pt²) of the least and most raised item


def fits(name: str, ring: str = "item", wrap: int = LABEL_WRAP) -> bool:
    """Whether a name can be written on the diagram: at most :data:`MAX_LINES` lines of ``wrap`` characters.

    Examples
    --------
    >>> fits("Someone to talk to"), fits("Telling my story again to every new service")
    (True, False)
    >>> fits("Greater Manchester West Mental Health NHS Foundation Trust", "provider")  # four lines
    True
    >>> fits("Greater Manchester West Mental Health NHS Foundation Trust", "provider", wrap=10)
    False
    """
    lines = textwrap.wrap(name, wrap, break_long_words=False)
    return len(lines) <= MAX_LINES[ring] and all(len(line) <= wrap for line in lines)


def wrap_label(name: str, wrap: int = LABEL_WRAP, newline: str = "\n") -> str:
    """A name wrapped at ``wrap`` characters, never inside a word.

    Examples
    --------
    >>> wrap_label("Someone to talk to out of hours", 18, "<br>")
    'Someone to talk to<br>out of hours'
    """
    return newline.join(textwrap.wrap(name, wrap, break_long_words=False))


def marker_area(segments: pd.Series | np.ndarray | list, top: float) -> np.ndarray:
    """Scatter area (pt²) of an item raised ``segments`` times when the most raised was raised ``top`` times;
    an item not raised, or whose count is suppressed, gets the smallest.

    Examples
    --------
    >>> marker_area([0, 5, 10, float("nan")], 10).round().tolist()
    [50.0, 215.0, 380.0, 50.0]
    """
    low, high = _MARKER_AREA
    values = np.nan_to_num(np.asarray(segments, dtype=float), nan=0.0)
    top = 0.0 if not np.isfinite(top) else top
    return low + (high - low) * (values / top if top > 0 else np.zeros_like(values))


def alignment(angle: float) -> tuple[str, str]:
    """Horizontal and vertical alignment of a label outside a node at ``angle`` (radians from east).

    Examples
    --------
    >>> alignment(0.0), alignment(math.pi / 2)
    (('left', 'center'), ('center', 'bottom'))
    """
    c, s = math.cos(angle), math.sin(angle)
    ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
    va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    return ha, va


def plural(dimension: str) -> str:
    """``"need"`` → ``"Needs"``.

    Examples
    --------
    >>> plural("need"), plural("provider views")
    ('Needs', 'Provider views')
    """
    word = dimension.capitalize()
    return word if word.endswith("s") else word + "s"


def status_text(status: str, n_services: int, duplication_at: int) -> str:
    """An item's status in words, with the number of services.

    Examples
    --------
    >>> status_text("possible duplication", 4, 3)
    'possible duplication: met by 4 services (3 or more)'
    >>> status_text("addressed", 3, 3)
    '3 services work on this (duplication is judged for needs only)'
    """
    services = f"{n_services} service{'' if n_services == 1 else 's'}"
    if status == "possible duplication":
        return f"possible duplication: met by {services} ({duplication_at} or more)"
    if status == "met":
        return f"met by {services}"
    if status == "addressed":
        return f"{services} work{'s' if n_services == 1 else ''} on this (duplication is judged for needs only)"
    return STATUS_LABELS.get(status, status)
