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
=======================  =============================================================================================

In both Open Referral standards a service meets a code when it is tagged with a taxonomy term whose vocabulary is
``circles`` (any case); see :mod:`circles.challenge.open_referral`.
"""

from __future__ import annotations

from circles.challenge.coverage import hours_table, need_coverage, needs_met
from circles.challenge.directory import TABLES, WEEKDAYS, DirectoryError, ServiceDirectory, validate_directory
from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.hsds import export_hsds, import_hsds
from circles.challenge.open_referral import import_open_referral

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
]
