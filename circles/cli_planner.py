"""``circles planner``: set up, run, export and back up the family service planner.

Every command takes ``--db URL`` (or ``CIRCLES_PLANNER_DB``) and ``--key-file PATH`` (or
``CIRCLES_PLANNER_KEY_FILE``; default ``~/.config/circles/planner.key``). ``circles planner init`` makes the key
file and migrates the database; the others refuse a database that is not migrated, a missing key file or one that
cannot open the database's sealed fields. Errors are printed, never a traceback, with exit status 2.

The planner's modules are imported when a command runs, so ``circles --help`` stays quick.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from circles.errors import CirclesError

if TYPE_CHECKING:
    from circles.planner.db import Database

__all__ = ["planner_app"]

planner_app = typer.Typer(
    help="The family service planner: database, users, web app, export to a circles source, backup and restore.",
    no_args_is_help=True,
)
user_app = typer.Typer(help="Planner users: add, list, unlock.", no_args_is_help=True)
audit_app = typer.Typer(help="The planner's audit log.", no_args_is_help=True)
planner_app.add_typer(user_app, name="user")
planner_app.add_typer(audit_app, name="audit")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL: sqlite:///planner.db or postgresql://USER@HOST/NAME (or CIRCLES_PLANNER_DB)"
    ),
]
KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file", help="The planner key file (or CIRCLES_PLANNER_KEY_FILE; default ~/.config/circles/planner.key)"
    ),
]

_KEY_APART = "The key file is NOT in the backup: keep it (and a copy of it) apart from the database and its backups."


def _fail(message: object) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the planner's errors, and the database's, into a message and exit status 2."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except CirclesError as error:
        _fail(error)
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        _fail(f"the planner database failed: {detail}")
    except OSError as error:
        _fail(error)


def _key_path(key_file: Path | None) -> Path:
    from circles.planner.crypto import default_key_path

    return key_file.expanduser() if key_file else default_key_path()


def _check_key(db: Database) -> None:
    """Open one sealed value of each sealed column: a key file that is not the database's fails here, not later."""
    from sqlalchemy import LargeBinary, select, type_coerce

    from circles.planner.models import Base, Sealed

    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, Sealed):
                    continue
                raw = type_coerce(column, LargeBinary)
                value = connection.execute(select(raw).where(column.is_not(None)).limit(1)).scalar()
                if value is not None:
                    db.cipher.open(bytes(value), column.type.column)  # PlannerError names the key file to check
                    return


def _open(db_url: str | None, key_file: Path | None, *, check_key: bool = True) -> Database:
    """The database with its key, migrated to the newest revision (else a clear error)."""
    from circles.planner.crypto import load_key_file
    from circles.planner.db import connect, require_current, resolve_url

    url = resolve_url(db_url)
    cipher = load_key_file(_key_path(key_file))
    db = connect(url, cipher)
    try:
        require_current(db)
        if check_key:
            _check_key(db)
    except BaseException:
        db.dispose()
        raise
    return db


@contextmanager
def _database(db_url: str | None, key_file: Path | None) -> Iterator[Database]:
    """The open database for one command (see :func:`_open`), closed afterwards; errors printed, exit 2."""
    with _errors():
        db = _open(db_url, key_file)
        try:
            yield db
        finally:
            db.dispose()


@planner_app.command("init")
def init(db_url: DbOpt = None, key_file: KeyOpt = None) -> None:
    """Make the key file if there is none, and migrate the database to the newest revision (safe to repeat)."""
    from circles.planner.crypto import create_key_file, load_key_file
    from circles.planner.db import connect, current_revision, resolve_url, upgrade

    with _errors():
        url = resolve_url(db_url)
        path = _key_path(key_file)
        if path.exists():
            typer.echo(f"key file: {path} (kept)")
        else:
            create_key_file(path)
            typer.echo(f"made a new key file: {path}")
            typer.secho(
                "Back the key file up now, and keep it apart from the database and its backups: without it nothing "
                "sealed in the planner (names, addresses, dates of birth, notes) can be read.",
                fg=typer.colors.YELLOW,
            )
        db = connect(url, load_key_file(path))
        try:
            upgrade(db)
            _check_key(db)
            typer.echo(
                f"database {db.engine.url.render_as_string(hide_password=True)} at migration {current_revision(db)}"
            )
        finally:
            db.dispose()


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user name they sign in with")],
    role: Annotated[str, typer.Option("--role", help="advisor, manager, analyst or admin")],
    team: Annotated[str | None, typer.Option("--team", help="The team (made when new)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input")
    ] = False,
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
) -> None:
    """Add a user; the password (12 characters or more) comes from standard input, never the command line."""
    from circles.planner.auth import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database(db_url, key_file) as db:
        with db.session() as session:
            user = add_user(session, name, role, password, team=team)
            typer.echo(f"added {user.username} ({user.role}{', team ' + team if team else ''})")


@user_app.command("list")
def user_list(db_url: DbOpt = None, key_file: KeyOpt = None) -> None:
    """List the users: name, role, team, and whether active or locked."""
    from sqlalchemy import select

    from circles.planner.models import User, utcnow

    with _database(db_url, key_file) as db:
        with db.session() as session:
            users = session.scalars(select(User).order_by(User.username)).all()
            now = utcnow()
            for user in users:
                state = "active" if user.active else "inactive"
                if user.locked_until is not None and user.locked_until > now:
                    state += f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
                team = user.team.name if user.team else "-"
                typer.echo(f"{user.username}\t{user.role}\t{team}\t{state}")
            typer.echo(f"{len(users)} user{'s' * (len(users) != 1)}")


@user_app.command("unlock")
def user_unlock(
    name: Annotated[str, typer.Argument(help="The user to unlock")], db_url: DbOpt = None, key_file: KeyOpt = None
) -> None:
    """Lift a lock after failed sign-ins (and reset the count)."""
    from sqlalchemy import select

    from circles.errors import PlannerError
    from circles.planner.audit import record
    from circles.planner.models import User

    with _database(db_url, key_file) as db:
        with db.session() as session:
            user = session.scalar(select(User).where(User.username == name.strip()))
            if user is None:
                raise PlannerError(f"No user {name!r}: `circles planner user list` lists them.")
            user.locked_until, user.failed_logins = None, 0
            record(session, None, "user.unlock", "user", user.id, "unlocked from the command line")
        typer.echo(f"unlocked {user.username}")


@planner_app.command("serve")
def serve(
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (default this machine only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
    insecure_cookies: Annotated[
        bool, typer.Option("--insecure-cookies", help="Session cookie without Secure (plain http to this machine)")
    ] = False,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Listen beyond this machine: only behind a reverse proxy with TLS"),
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Server processes (one per core suits PostgreSQL)")
    ] = 1,
) -> None:
    """Run the planner's web app (uvicorn). Other machines reach it only through a reverse proxy with TLS."""
    from circles.planner.serve import check_host
    from circles.planner.serve import serve as run

    with _errors():
        check_host(host, allow_remote=allow_remote, secure_cookies=not insecure_cookies)
    with _database(db_url, key_file) as db:
        run(
            db,
            host=host,
            port=port,
            allow_remote=allow_remote,
            secure_cookies=not insecure_cookies,
            workers=workers,
            key_file=str(_key_path(key_file)),
            log=typer.echo,
        )


@planner_app.command("import-directory")
def import_directory(
    path: Annotated[Path, typer.Argument(help="An HSDS / Open Referral UK folder or JSON, or a YAML directory")],
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
) -> None:
    """Add or update the planner's services from a service directory (services not in it are kept)."""
    from circles.planner.directory import import_directory as load

    with _database(db_url, key_file) as db:
        with db.session() as session:
            done = load(session, None, path)
    typer.echo(f"services: {done.added} added, {done.updated} updated, {done.kept} kept (not in {path.name})")
    if done.without_site:
        typer.echo(f"{done.without_site} service{'s' * (done.without_site != 1)} with no site (no distance search)")


@planner_app.command("export")
def export(
    to: Annotated[Path, typer.Option("--to", help="The folder to write the circles source into")],
    pseudonymisation_key_file: Annotated[
        Path | None,
        typer.Option(
            "--pseudonymisation-key-file",
            help="The pipeline's key file (`circles key new PATH`), named in planner.yaml (default: the "
            "CIRCLES_PSEUDONYM_KEY environment variable)",
        ),
    ] = None,
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
) -> None:
    """Write take-up and issues as a circles source (pseudonyms, area codes, no personal data) with a spec."""
    from circles.planner.audit import record
    from circles.planner.export import export_source

    with _database(db_url, key_file) as db:
        summary = export_source(db, to, pseudonymisation_key_file=pseudonymisation_key_file)
        with db.session() as session:
            record(session, None, "planner.export", "export", "", f"{summary.take_up_rows} take-up rows")
    typer.echo(
        f"wrote {summary.take_up_rows} take-up rows and {summary.issue_rows} issues ({summary.families} families) "
        f"to {summary.folder}"
    )
    typer.echo(f"run it with: circles run {summary.spec}")


@planner_app.command("backup")
def backup(
    to: Annotated[Path, typer.Option("--to", help="The backup file to write (gzip JSON Lines)")],
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
) -> None:
    """Back the whole database up to one file (sealed fields stay sealed)."""
    from circles.planner.backup import backup as make

    with _database(db_url, key_file) as db:
        summary = make(db, to)
    typer.echo(f"backed up {summary.rows} rows of {len(summary.tables)} tables (migration {summary.revision}) to {to}")
    typer.secho(_KEY_APART, fg=typer.colors.YELLOW)


@planner_app.command("restore")
def restore(
    path: Annotated[Path, typer.Argument(help="A backup file made by `circles planner backup`")],
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
) -> None:
    """Restore a backup into an empty database made with `circles planner init` (a non-empty one is refused)."""
    from circles.planner.backup import restore as load

    with _database(db_url, key_file) as db:
        summary = load(db, path)
    typer.echo(f"restored {summary.rows} rows of {len(summary.tables)} tables (migration {summary.revision})")


@audit_app.command("export")
def audit_export(
    to: Annotated[Path, typer.Option("--to", help="The CSV file to write")],
    db_url: DbOpt = None,
    key_file: KeyOpt = None,
) -> None:
    """Write the whole audit log as CSV, oldest first."""
    from circles.planner.audit import export_audit, record

    with _database(db_url, key_file) as db:
        with db.session() as session:
            record(session, None, "audit.export", "audit_log", "", f"to {to.name}")
        with db.session() as session:
            count = export_audit(session, to)
    typer.echo(f"wrote {count} audit entries to {to}")
