"""Service directories for the Challenge stage: which services meet the needs found in the workshops, and when.

This module gathers the public names of the service directory modules, so ``from circles.challenge import
services`` then ``services.read_services_yaml(...)`` (or ``from circles.challenge.services import ...``) reaches
all of them:

=======================  =============================================================================================
module                   names
=======================  =============================================================================================
``directory``            :class:`ServiceDirectory` (the tidy tables), :class:`DirectoryError`, :data:`TABLES`,
                         :data:`WEEKDAYS`, :func:`validate_directory`
``directory_yaml``       :func:`read_services_yaml`: a hand-written directory (see ``pipelines/demo_services.yaml``)
``open_referral``        :func:`import_open_referral`: Open Referral UK v1 CSV tables
``hsds``                 :func:`import_hsds`, :func:`export_hsds`: HSDS 3.0 / Open Referral UK 3.0 CSV packages
                         (with a Frictionless ``datapackage.json``)
``coverage``             :func:`hours_table`, :func:`needs_met`, :func:`need_coverage` (pure functions)
(this module)            :func:`read_any_directory`: any of the formats above, told apart by the path
=======================  =============================================================================================

In both Open Referral standards a service meets a code when it is tagged with a taxonomy term whose vocabulary is
``circles`` (any case); see :mod:`circles.challenge.open_referral`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from circles.challenge.coverage import hours_table, need_coverage, needs_met
from circles.challenge.directory import TABLES, WEEKDAYS, DirectoryError, ServiceDirectory, validate_directory
from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.hsds import export_hsds, import_hsds
from circles.challenge.hsds_json import import_hsds_json
from circles.challenge.open_referral import ImportReport, import_directory_report, import_open_referral
from circles.qualitative.codebook import Codebook

__all__ = [
    "DirectoryError",
    "ServiceDirectory",
    "TABLES",
    "WEEKDAYS",
    "read_services_yaml",
    "import_open_referral",
    "import_hsds",
    "export_hsds",
    "validate_directory",
    "hours_table",
    "needs_met",
    "need_coverage",
    "read_any_directory",
]

#: Table names found only in an Open Referral UK v1 folder (HSDS 3.0 spells them otherwise).
_ORUK_V1 = {"regular_schedules", "service_taxonomys", "service_taxonomies", "physical_addresses", "eligibilitys"}


def read_any_directory(
    path: str | Path, *, codebook: Codebook | str | Path | None = None
) -> tuple[ServiceDirectory, ImportReport | None]:
    """Read a directory in any format circles knows, told apart by the path.

    ``.yaml``/``.yml``: a hand-written directory; ``.json``: HSDS 3.0 service objects; a folder of CSV tables:
    Open Referral UK v1 when it has one of v1's table names, else HSDS 3.0 / Open Referral UK 3.0. The report of
    what was left out is given for folders (``None`` otherwise).

    Examples
    --------
    >>> from circles.resources import packaged
    >>> directory, report = read_any_directory(packaged("pipelines") / "demo_services.yaml")
    >>> len(directory.services), report is None
    (15, True)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_file() and suffix in (".yaml", ".yml"):
        return read_services_yaml(path, codebook=codebook), None
    if path.is_file() and suffix == ".json":
        return import_hsds_json(path, codebook=codebook), None
    stems = {p.stem.lower() for p in path.glob("*.csv")} if path.is_dir() else set()
    standard: Literal["hsds", "open_referral"] = "open_referral" if stems & _ORUK_V1 else "hsds"
    return import_directory_report(path, standard=standard, codebook=codebook)
