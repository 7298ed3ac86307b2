"""Where circles finds the data it ships: the embedded geography, the pack templates and the demo's specs.

In the repository these are the top-level folders users asked for (``geo/``, ``workshop_templates/``,
``pipelines/``). The wheel carries the same folders inside the package as ``circles/_data/<folder>`` (see
``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``); they are found with
:mod:`importlib.resources`, so an installed circles needs no checkout beside it. A source checkout (including an
editable install) uses the top-level folders themselves.

>>> packaged("pipelines").joinpath("demo.yaml").is_file()
True
>>> demo_spec().name
'demo.yaml'
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path
from typing import Literal

from circles.errors import CirclesError

__all__ = ["PackagedFolder", "packaged", "demo_spec"]

#: The folders circles ships with its code.
PackagedFolder = Literal["geo", "workshop_templates", "pipelines"]
_FOLDERS: tuple[str, ...] = ("geo", "workshop_templates", "pipelines")


def packaged(folder: PackagedFolder) -> Path:
    """The path of one of the folders circles ships: inside the installed package, else the checkout's.

    Parameters
    ----------
    folder : {"geo", "workshop_templates", "pipelines"}
        The top-level folder of the repository.

    Returns
    -------
    pathlib.Path
        An existing folder.

    Raises
    ------
    CirclesError
        If neither the installed package nor a checkout holds it (a broken install: reinstall circles).
    """
    if folder not in _FOLDERS:
        raise CirclesError(f"circles ships no folder {folder!r}; it ships {', '.join(_FOLDERS)}.")
    inside = files("circles").joinpath("_data", folder)
    if inside.is_dir():
        with as_file(inside) as path:  # a real folder for a wheel installed on disk (zip imports are not supported)
            return Path(path)
    checkout = Path(__file__).resolve().parent.parent / folder
    if checkout.is_dir():
        return checkout
    raise CirclesError(
        f"circles' {folder}/ folder is missing: it is neither in the installed package ({inside}) nor beside "
        f"the source ({checkout}). Reinstall circles (`pip install --force-reinstall circles`)."
    )


def demo_spec() -> Path:
    """The embedded demo spec (Blackburn with Darwen, synthetic records): ``pipelines/demo.yaml``."""
    return packaged("pipelines") / "demo.yaml"
