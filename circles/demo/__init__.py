"""The embedded demo: synthetic records and notes for Blackburn with Darwen (not real people).

Modules, in data-flow order:

``synthetic``  the seeded generator of take-up records and workshop notes
"""

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
    "SYNTHETIC_NOTICE",
    "TAKE_UP_COLUMNS",
    "DemoData",
    "SyntheticDataError",
    "generate_demo_data",
]
