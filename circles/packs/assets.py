"""What the packs are built with: their names, page sizes and titles, the templates folder, the fonts.

Shared by :mod:`circles.packs.context` (what the templates are given) and :mod:`circles.packs.render` (which
renders them); :mod:`circles.packs.render` re-exports the public names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from circles.errors import CirclesError
from circles.resources import packaged

__all__ = ["PACKS", "PAGE_SIZES", "PackError", "templates_dir", "font_files"]

#: The packs, in the order the method uses them.
PACKS: tuple[str, ...] = (
    "customer_definition",
    "customer_engagement",
    "challenge",
    "design",
    "case_for_change",
    "hotspot_report",
)

#: CSS ``@page`` size declared for each pack (the challenge pack is laid out on the wall: A3 landscape).
PAGE_SIZES: dict[str, str] = {
    "customer_definition": "A4 portrait",
    "customer_engagement": "A4 portrait",
    "challenge": "A3 landscape",
    "design": "A4 portrait",
    "case_for_change": "A4 portrait",
    "hotspot_report": "A4 portrait",
}

TITLES: dict[str, tuple[str, str]] = {
    "customer_definition": ("Customer definition workshop", "Who is the customer segment, where do they live?"),
    "customer_engagement": ("Customer engagement workshop", "Facilitator guide, prompt sheets and coding sheets"),
    "challenge": ("Challenge workshop", "What families told us, what services do, and what it costs"),
    "design": ("Design workshop", "Journeys, failure demand, who is best placed, and the options"),
    "case_for_change": ("The case for change", "Why change, what the pilot shows so far, and what happens next"),
    "hotspot_report": ("Hotspot report for commissioners", "Where the need is concentrated, and how we know"),
}

#: Widest embedded copy of a report image, in pixels (A4 portrait at about 190 dpi; A3 landscape images 2x).
IMAGE_MAX_WIDTH = 1600

UNAVAILABLE = "not available in this run"


class PackError(CirclesError):
    """A pack cannot be built: unknown pack, not a report folder, a remote URL, a failed render."""


# --------------------------------------------------------------------------------------------------- locations
def templates_dir() -> Path:
    """The pack templates: ``$CIRCLES_TEMPLATES_DIR``, else the ``workshop_templates/`` folder circles ships.

    Raises
    ------
    PackError
        If the folder or its base template is missing.
    """
    override = os.environ.get("CIRCLES_TEMPLATES_DIR")
    folder = Path(override) if override else packaged("workshop_templates")
    if not (folder / "base.html").exists():
        raise PackError(
            f"The workshop templates are missing from {folder}. Reinstall circles, or set CIRCLES_TEMPLATES_DIR "
            "to a folder holding base.html, print.css, large.css and the pack templates."
        )
    return folder.resolve()


def font_files() -> dict[str, Path]:
    """DejaVu Sans regular and bold, and DejaVu Sans Mono (spec lines): matplotlib's copies, else ``fc-match``'s.

    Returns
    -------
    dict
        ``{"regular": Path, "bold": Path, "mono": Path}`` (``mono`` is the regular face when no mono is found).

    Raises
    ------
    PackError
        If no DejaVu Sans file can be found.
    """
    found: dict[str, Path] = {}
    try:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        faces = (("regular", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"), ("mono", "DejaVuSansMono.ttf"))
        for key, name in faces:
            if (ttf / name).exists():
                found[key] = (ttf / name).resolve()
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    for key, pattern in (("regular", "DejaVu Sans"), ("bold", "DejaVu Sans:bold"), ("mono", "DejaVu Sans Mono")):
        if key in found or shutil.which("fc-match") is None:
            continue
        out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout and "DejaVu" in out.stdout and Path(out.stdout).exists():
            found[key] = Path(out.stdout).resolve()
    if "regular" not in found:
        raise PackError("DejaVu Sans was not found (neither matplotlib's bundled copy nor fc-match). Install it.")
    found.setdefault("bold", found["regular"])
    found.setdefault("mono", found["regular"])
    return found
