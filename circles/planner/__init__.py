"""The family service planner: a web application for front-line staff building family plans (Change stage).

The case study's proposal, in its four processes: **service registration** (the directory, imported from HSDS /
Open Referral UK / YAML), **identifying potential services** (plain-language family issues matched to services by
the codebook needs and HSDS taxonomy terms they map to), **building a plan** (issues captured as they come to
light, services added against them and followed from suggested to ended, the family's own goals and wellbeing
scores), and **analysis** (issues by ward, unmet issues, demand against capacity, time to engagement), through
the pipeline's disclosure control. ``circles planner export`` writes what the planner learned as a source that
``circles run`` reads, closing the loop to the Understand stage.

Modules, in the order a request meets them:

``db``          the database (SQLite embedded, PostgreSQL by URL) and its Alembic migrations
``crypto``      personal fields sealed with AES-GCM, the key kept outside the database
``models``      the tables
``auth``        Argon2 passwords, server-side sessions, CSRF tokens, lockout
``audit``       the append-only audit log and its export
``issues``      the plain-language family issues, mapped to needs, taxonomy and Supporting Families outcomes
``places``      postcodes to grid references and areas (the pipeline's postcode directory and boundaries)
``directory``   the service directory: import and search
``records``     family records, with who may see what (every page and API call goes through it)
``web``         the FastAPI app: server-rendered pages and the JSON API under ``/api/v1``
"""

from __future__ import annotations

from circles.planner.auth import add_user, sign_in
from circles.planner.crypto import FieldCipher, create_key_file, load_key_file
from circles.planner.db import Database, connect, current_revision, downgrade, upgrade
from circles.planner.directory import import_directory, search_services
from circles.planner.issues import FamilyIssues, default_family_issues, read_family_issues
from circles.planner.places import Gazetteer, Place
from circles.planner.records import Forbidden, NotFound

__all__ = [
    "Database",
    "FamilyIssues",
    "FieldCipher",
    "Forbidden",
    "Gazetteer",
    "NotFound",
    "Place",
    "add_user",
    "connect",
    "create_key_file",
    "current_revision",
    "default_family_issues",
    "downgrade",
    "import_directory",
    "load_key_file",
    "read_family_issues",
    "search_services",
    "sign_in",
    "upgrade",
]
