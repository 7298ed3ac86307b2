"""Alembic's environment for the planner: the engine comes from circles.planner.db (never from an alembic.ini)."""

from alembic import context

from circles.planner.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    context.run_migrations()
