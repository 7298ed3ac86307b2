"""Synthetic demo inputs: agency take-up extracts, workshop notes, a pilot evaluation and a README, seeded.

The founding Circles of Need case study worked with parents in Blackburn with Darwen (E06000008) who drink at
harmful levels, and their children. Its records are special-category personal data, so the demo runs on
synthetic ones made here. Every file says it is synthetic; the geography is real open data (the embedded
postcode directory and LSOA 2011 boundaries), the people are not.

What is generated
-----------------
``take_up/<agency>.csv``
    One extract per agency or service group, all with the columns of :data:`TAKE_UP_COLUMNS`. About 628
    adults a year in specialist alcohol treatment over two financial years (2009/10 and 2010/11) and about 103
    children a year engaged by children's and young people's services, as in the case study, plus their
    families' contacts with the Family Intervention Programme, the Community Safety Team, the police, A&E,
    GPs, housing, the Health Outreach Team and the Drug and Alcohol Team. One synthetic person keeps one
    ``client_id`` in every file, and ``family_id`` links parents and children.
``notes/*.md``
    Workshop and interview notes in ``Name: text`` speaker turns, voicing the case study's findings.
``pilot/cohort.csv``, ``pilot/outcomes.csv``, ``pilot/family_needs.csv``
    The Change stage's evaluation data (:mod:`circles.demo.pilot`): 30 pilot families in three pilot wards
    (Bastwell, Shadsworth with Whitebirk and Audley) and 240 comparison families elsewhere in the borough, their
    monthly A&E attendances and police incidents from 12 months before to 17 months after the pilot started
    (2011-04-01), the pilot families' wellbeing scores and plan engagement, and their Supporting Families
    headline needs. The pilot families are chosen for their high crisis rates, and the pilot has a planted
    effect of -0.25 crisis contacts a family-month (:data:`circles.demo.pilot.PLANTED_EFFECT`).
``README.txt``
    The notice, the seed, what each file is, the planted hotspots and the planted effect.

Spatial model
-------------
Each family's home LSOA is drawn from the 91 LSOAs of the borough with weight ``baseline x jitter``, where the
jitter is a seeded factor in [0.7, 1.3], and the fifteen :data:`PLANTED_HOTSPOTS` (two neighbourhoods: a core
LSOA in each of two pilot wards and the LSOAs around it) have their weight multiplied by
:data:`HOTSPOT_INTENSITY`. Counting distinct clients per LSOA, the planted LSOAs come out as the fifteen highest.
The family's postcode is a real directory postcode whose grid reference falls in that LSOA (placed with
:func:`circles.geo.areas.assign_areas`, as the pipeline does).

The same seed gives byte-identical files; the generator reads nothing outside the repository's embedded
geography.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from circles.demo.agencies import _AGENCIES
from circles.demo.design import (
    _HOTSPOT_WARDS,
    DEFAULT_SEED,
    HOTSPOT_INTENSITY,
    PLANTED_CORES,
    PLANTED_HOTSPOTS,
    SYNTHETIC_NOTICE,
    TAKE_UP_COLUMNS,
    SyntheticDataError,
)
from circles.demo.notes import _notes
from circles.demo.pilot import PILOT_START, PILOT_WARDS, PLANTED_EFFECT, write_pilot
from circles.demo.take_up import _take_up_tables
from circles.geo.layers import ATTRIBUTION
from circles.io.writers import atomic_path

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


@dataclass(frozen=True)
class DemoData:
    """What :func:`generate_demo_data` wrote.

    Attributes
    ----------
    folder : pathlib.Path
        The output folder.
    take_up_files : tuple of pathlib.Path
        One CSV per agency, under ``folder/take_up``.
    notes_files : tuple of pathlib.Path
        Markdown workshop and interview notes, under ``folder/notes``.
    n_records : int
        Rows in all take-up files together.
    seed : int
        The seed used.
    pilot_files : tuple of pathlib.Path
        The pilot evaluation's cohort, outcomes and family needs, under ``folder/pilot`` (empty by default).
    """

    folder: Path
    take_up_files: tuple[Path, ...]
    notes_files: tuple[Path, ...]
    n_records: int
    seed: int
    pilot_files: tuple[Path, ...] = ()


# ----------------------------------------------------------------------------------------------------------
# Public entry point


def generate_demo_data(folder: str | Path, seed: int = DEFAULT_SEED) -> DemoData:
    """Write the synthetic demo inputs (take-up extracts, notes, pilot evaluation, README) into a folder.

    Parameters
    ----------
    folder : path-like
        Output folder; created if needed. ``take_up/``, ``notes/`` and ``pilot/`` are written inside it, and files
        of the same names are replaced (each atomically). Other files are left alone.
    seed : int
        Non-negative integer seed for :func:`numpy.random.default_rng`. The same seed gives byte-identical
        files.

    Returns
    -------
    DemoData
        The paths written and the number of take-up rows.

    Raises
    ------
    SyntheticDataError
        If the seed is not a non-negative integer or the folder cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     demo = generate_demo_data(folder, seed=1)
    >>> len(demo.take_up_files), 3000 <= demo.n_records <= 5000, [path.name for path in demo.pilot_files]
    (10, True, ['cohort.csv', 'outcomes.csv', 'family_needs.csv'])
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SyntheticDataError(f"The seed must be a non-negative whole number, not {seed!r}.")
    seed = int(seed)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SyntheticDataError(f"Cannot write the demo data into {folder}: it is a file, not a folder.")

    # a third child for the pilot: spawning three leaves the first two as they were with two
    take_up_rng, notes_rng, pilot_rng = np.random.default_rng(seed).spawn(3)
    tables = _take_up_tables(take_up_rng)
    notes = _notes(notes_rng)

    take_up_dir, notes_dir = folder / "take_up", folder / "notes"
    take_up_files: list[Path] = []
    notes_files: list[Path] = []
    try:
        take_up_dir.mkdir(parents=True, exist_ok=True)
        notes_dir.mkdir(parents=True, exist_ok=True)
        for key, table in tables.items():
            path = take_up_dir / f"{key}.csv"
            _write_atomic(path, table.to_csv(index=False, lineterminator="\n"))
            take_up_files.append(path)
        for name, text in notes.items():
            path = notes_dir / name
            _write_atomic(path, text)
            notes_files.append(path)
        pilot_files = write_pilot(folder, pilot_rng)
        _write_atomic(folder / "README.txt", _readme(seed, tables, notes, pilot_files))
    except OSError as exc:
        raise SyntheticDataError(
            f"Cannot write the demo data into {folder}: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    return DemoData(
        folder=folder,
        take_up_files=tuple(take_up_files),
        notes_files=tuple(notes_files),
        n_records=sum(len(table) for table in tables.values()),
        seed=seed,
        pilot_files=pilot_files,
    )


def _write_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text (LF line ends) through :func:`circles.io.writers.atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))


# ----------------------------------------------------------------------------------------------------------
# README


def _readme(seed: int, tables: dict[str, pd.DataFrame], notes: dict[str, str], pilot_files: tuple[Path, ...]) -> str:
    lines = [
        SYNTHETIC_NOTICE,
        "",
        "Circles of Need demo inputs: Blackburn with Darwen (E06000008), parents who drink at harmful",
        "levels and their children. Made by circles.demo.synthetic.generate_demo_data; the same seed gives",
        "identical files.",
        "",
        f"Seed: {seed}",
        "Period: financial years 2009/10 and 2010/11 (2009-04-01 to 2011-03-31)",
        "",
        "take_up/ - one CSV per agency, all with the columns:",
        "  " + ", ".join(TAKE_UP_COLUMNS),
        "  client_id is stable per synthetic person across files; family_id links parents and children.",
        "  Postcodes are real borough postcodes (ONS Postcode Directory); about one row in ten is written as",
        "  typed (lower case, no space or a double space). end_date is blank for episodes still open.",
    ]
    for agency in _AGENCIES:
        lines.append(f"  {agency.key}.csv ({len(tables[agency.key])} rows): {agency.title}")
    lines += [
        "",
        "notes/ - workshop and interview notes, 'Name: text' speaker turns (fictional speakers):",
        *[f"  {name}" for name in notes],
        "",
        "Planted hotspots: family homes are drawn across the 91 LSOAs (2011) with a baseline weight times a",
        f"seeded jitter in [0.7, 1.3], and these LSOAs at {HOTSPOT_INTENSITY:g} times the weight:",
        *[f"  {code}  {_HOTSPOT_WARDS[code]}" for code in PLANTED_HOTSPOTS],
        "",
        "pilot/ - the Change stage's evaluation of a key-worker pilot (circles.demo.pilot), every row marked",
        "  synthetic in its synthetic column:",
        *[f"  {path.name}" for path in pilot_files],
        f"  30 pilot families in the pilot wards {', '.join(PILOT_WARDS)} (Bastwell, Shadsworth with Whitebirk,",
        f"  Audley) starting in the quarter from {PILOT_START}, and 240 comparison families elsewhere in the",
        "  borough. outcomes.csv has ae_attendances and police_incidents for months -12..+17 of every family (0 rows",
        "  written), wellbeing and plan_items_engaged for pilot families while open (to 2012-09).",
        "  Pilot families are chosen for high crisis rates, so a naive comparison of the groups is biased.",
        "  Planted effect, added to a pilot family's monthly rate from its start: "
        + ", ".join(f"{measure} {value:+.2f}" for measure, value in PLANTED_EFFECT.items()),
        f"  (together {sum(PLANTED_EFFECT.values()):+.2f} crisis contacts a family-month).",
        "",
        "Geography: " + ATTRIBUTION,
        "",
    ]
    return "\n".join(lines)
