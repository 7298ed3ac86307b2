"""The planner's database: SQLite (embedded, WAL) by default, PostgreSQL by URL; migrations with Alembic.

Every planner command takes ``--db URL`` or reads ``CIRCLES_PLANNER_DB``: ``sqlite:///planner.db`` (a file beside
where the command runs) or ``postgresql://user@host/dbname`` (psycopg 3). :func:`connect` binds the key file's
cipher to the engine, so sealed columns are encrypted on the way in and opened on the way out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from circles.errors import PlannerError
from circles.planner.crypto import FieldCipher

__all__ = ["DB_ENV", "Database", "connect", "current_revision", "downgrade", "resolve_url", "upgrade"]

#: Environment variable holding the database URL.
DB_ENV = "CIRCLES_PLANNER_DB"

_MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(url: str | None) -> str:
    """The database URL: ``url``, else ``CIRCLES_PLANNER_DB``; ``postgresql://`` is read with psycopg 3.

    Examples
    --------
    >>> resolve_url("postgresql://planner@localhost/planner")
    'postgresql+psycopg://planner@localhost/planner'
    >>> resolve_url("sqlite:///planner.db")
    'sqlite:///planner.db'
    """
    url = url or os.environ.get(DB_ENV)
    if not url:
        raise PlannerError(f"No planner database given: pass --db URL (e.g. sqlite:///planner.db) or set {DB_ENV}.")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise PlannerError(
            f"{url!r} is not a database URL: use sqlite:///PATH or postgresql://USER@HOST/NAME."
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise PlannerError(f"The planner runs on SQLite or PostgreSQL, not {parsed.get_backend_name()!r}.")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")  # a writer waits up to 10 s for another, rather than failing
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode across application crashes
    cursor.close()


class Database:
    """An engine with its cipher and a session factory.

    Use :meth:`session` as a context manager: it commits when the block ends and rolls back on an error.
    """

    def __init__(self, engine: Engine, cipher: FieldCipher | None) -> None:
        self.engine = engine
        self.cipher = cipher
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str | None, cipher: FieldCipher | None = None, *, pool_size: int = 10) -> Database:
    """Open the planner database at ``url`` (see :func:`resolve_url`) with ``cipher`` for the sealed columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from circles.planner.crypto import FieldCipher
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     db = connect(f"sqlite:///{folder}/p.db", FieldCipher(bytes(32)))
    ...     upgrade(db)
    ...     revision = current_revision(db)
    ...     db.dispose()
    >>> revision is not None
    True
    """
    url = resolve_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise PlannerError(f"The folder for the planner database does not exist: {folder}")
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # (no pre-ping: a SELECT 1 before every request; connections are recycled after 30 minutes instead)
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    engine.dialect.circles_cipher = cipher
    return Database(engine, cipher)


def _alembic_config(db: Database):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config


def _where(db: Database) -> str:
    """The database URL for a message (any password hidden)."""
    return db.engine.url.render_as_string(hide_password=True)


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default the newest)."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(db), revision)
    except OperationalError as exc:
        raise PlannerError(f"Cannot migrate the planner database {_where(db)}: {exc.orig}") from None


def downgrade(db: Database, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (``"base"``: no planner tables at all)."""
    from alembic import command

    command.downgrade(_alembic_config(db), revision)


def current_revision(db: Database) -> str | None:
    """The migration the database is at, or None when it has none."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(db: Database) -> None:
    """Stop with a clear message when the database is not migrated to the newest revision."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(db)).get_current_head()
    try:
        have = current_revision(db)
    except OperationalError as exc:
        raise PlannerError(f"Cannot open the planner database {_where(db)}: {exc.orig}") from None
    if have != head:
        what = "has no planner tables" if have is None else f"is at migration {have}, not {head}"
        raise PlannerError(f"The planner database {_where(db)} {what}: run `circles planner init --db URL`.")
