"""The embedded demo: synthetic records and notes for Blackburn with Darwen (not real people).

Modules, in data-flow order:

``design``     the notice, default seed, planted hotspots and take-up columns shared by the parts below
``agencies``   the case study's time window, volumes and agencies
``take_up``    families placed in the borough and their take-up records with each agency
``notes``      workshop and interview notes in speaker turns
``pilot``      a key-worker pilot and its comparison families, with a planted effect (the Change stage)
``synthetic``  the seeded generator: writes the take-up records, notes, pilot files and README
"""

from circles.demo.pilot import PILOT_START, PILOT_WARDS, PLANTED_EFFECT, pilot_tables
from circles.demo.synthetic import (
    DEFAULT_SEED,
    HOTSPOT_INTENSITY,
    PLANTED_CORES,
    PLANTED_HOTSPOTS,
    SYNTHETIC_NOTICE,
    TAKE_UP_COLUMNS,
    DemoData,
    SyntheticDataError,
    generate_demo_data,
)

__all__ = [
    "DEFAULT_SEED",
    "HOTSPOT_INTENSITY",
    "PLANTED_CORES",
    "PLANTED_HOTSPOTS",
    "PILOT_START",
    "PILOT_WARDS",
    "PLANTED_EFFECT",
    "SYNTHETIC_NOTICE",
    "TAKE_UP_COLUMNS",
    "DemoData",
    "SyntheticDataError",
    "generate_demo_data",
    "pilot_tables",
]
