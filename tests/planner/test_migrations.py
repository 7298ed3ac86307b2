"""Migrations up and down on SQLite and PostgreSQL, and the append-only audit log enforced by the database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from circles.errors import PlannerError
from circles.planner.audit import record
from circles.planner.db import current_revision, downgrade, require_current, upgrade
from circles.planner.models import Base

TABLES = set(Base.metadata.tables)


def test_upgrade_makes_every_table_and_downgrade_removes_them(planner_db):
    assert current_revision(planner_db) == "0001"
    assert TABLES <= set(inspect(planner_db.engine).get_table_names())
    downgrade(planner_db)
    assert current_revision(planner_db) is None
    assert set(inspect(planner_db.engine).get_table_names()) & TABLES == set()
    with pytest.raises(PlannerError, match="has no planner tables: run `circles planner init"):
        require_current(planner_db)
    upgrade(planner_db)  # and up again: the downgrade left nothing behind that gets in the way
    assert current_revision(planner_db) == "0001"
    require_current(planner_db)


def test_the_models_match_the_migration(planner_db):
    """Autogenerate finds nothing to do: the tables the migration makes are the tables the code uses."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with planner_db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET detail = 'changed'", "DELETE FROM audit_log"])
def test_the_audit_log_refuses_updates_and_deletes(planner_db, statement):
    with planner_db.session() as session:
        record(session, None, "test.entry", "family", "x1", "kept")
    with pytest.raises(DBAPIError, match="append-only"), planner_db.engine.begin() as connection:
        connection.execute(text(statement))
    with planner_db.engine.connect() as connection:
        assert connection.execute(text("SELECT detail FROM audit_log")).scalars().all() == ["kept"]
