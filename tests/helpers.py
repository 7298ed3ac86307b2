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


#: The demo's record stages and its hot spots: a quick run for tests about how a run is published, not what.
RECORDS_AND_HOT_SPOTS = (
    *("read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"),
    *("rates", "hotspots"),
)


def demo_spec_in(
    folder: Path,
    *,
    optional_present: bool = True,
    maps: bool = True,
    packs: bool = False,
    stages: tuple[str, ...] | None = None,
) -> Path:
    """A copy of the demo spec writing into ``folder``.

    ``optional_present=False`` declares the wards, populations and IMD as optional files that are absent, as a
    council's spec might before it has them. ``maps=False`` drops the map stages and ``packs=False`` (the default)
    the packs, which take most of a run's time, for tests about something else. ``stages`` keeps only those of
    the demo's stages (its sections stay).
    """
    spec = yaml.safe_load(DEMO.read_text())
    dropped = ({"maps", "interactive_maps"} if not maps else set()) | ({"packs"} if not packs else set())
    spec["stages"] = [s for s in spec["stages"] if s not in dropped and (stages is None or s in stages)]
    spec["output"] = str(folder / "report")
    spec["synthetic"]["folder"] = str(folder / "data")
    spec["sources"]["take_up"]["files"] = str(folder / "data" / "take_up" / "*.csv")
    if not optional_present:
        absent = str(folder / "absent")
        layers = spec["geography"]["layers"]
        for name, code in (("ward2025", "WD25"), ("ward2004", "WD13")):
            layers[name] = {"path": absent, "code": f"{code}CD", "name": f"{code}NM", "optional": True}
        layers["ward2017"] = {
            "lookup": {"path": absent, "via": "lsoa", "from": "LSOA11CD", "to": "WD17CD", "name": "WD17NM"},
            "optional": True,
        }
        populations = spec["rates"]["populations"]
        populations["lsoa"] = {"path": absent, "code": "lsoa11_code", "optional": True}
        populations["ward2025"] = {"path": absent, "code": "ward_code", "layout": "nomis_ts007", "optional": True}
        spec["deprivation"] = {"path": absent, "layer": "lsoa", "optional": True}
    # files that travel with the spec in pipelines/
    for section, key in (
        ("coding", "codebook"),
        ("coding", "rules"),
        ("coding", "codings"),
        ("services", "directory"),
        ("costs", "model"),
    ):
        spec[section][key] = str((DEMO.parent / spec[section][key]).resolve())
    for key in ("unit_costs", "options"):
        if isinstance((spec.get("design") or {}).get(key), str):
            spec["design"][key] = str((DEMO.parent / spec["design"][key]).resolve())
    spec["coding"]["sources"] = str(folder / "data" / "notes")
    if spec.get("change"):
        for key in ("cohort", "outcomes", "family_needs"):
            spec["change"][key] = str(folder / "data" / "pilot" / Path(spec["change"][key]).name)
        spec["change"]["case"] = str((DEMO.parent / spec["change"]["case"]).resolve())
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
