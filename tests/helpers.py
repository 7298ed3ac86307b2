"""Paths and the demo spec shared by the test folders; import from here (``from tests.helpers import ...``)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PIPELINES = ROOT / "pipelines"
DEMO = PIPELINES / "demo.yaml"
SHARED = ROOT.parent / "shared"
SHARED_GEO = SHARED / "geo" / "blackburn_with_darwen"


def demo_spec_in(folder: Path, *, shared: bool = True, maps: bool = True, packs: bool = False) -> Path:
    """A copy of the demo spec writing into ``folder``; its optional files point at ../shared, or nowhere.

    ``maps=False`` drops the map stages and ``packs=False`` (the default) the packs, which take most of a run's
    time, for tests about something else.
    """
    spec = yaml.safe_load(DEMO.read_text())
    dropped = ({"maps", "interactive_maps"} if not maps else set()) | ({"packs"} if not packs else set())
    spec["stages"] = [s for s in spec["stages"] if s not in dropped]
    spec["output"] = str(folder / "report")
    spec["synthetic"]["folder"] = str(folder / "data")
    spec["sources"]["take_up"]["files"] = str(folder / "data" / "take_up" / "*.csv")

    def repoint(node: object) -> None:  # every other "path" is an optional file in ../shared
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "path" and isinstance(value, str):
                    node[key] = str((DEMO.parent / value).resolve()) if shared else str(folder / "absent")
                else:
                    repoint(value)

    for section in ("geography", "rates", "deprivation"):
        repoint(spec.get(section))
    # files that travel with the spec in pipelines/
    for section, key in (
        ("coding", "codebook"),
        ("coding", "rules"),
        ("coding", "codings"),
        ("services", "directory"),
        ("costs", "model"),
    ):
        spec[section][key] = str((DEMO.parent / spec[section][key]).resolve())
    spec["coding"]["sources"] = str(folder / "data" / "notes")
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
