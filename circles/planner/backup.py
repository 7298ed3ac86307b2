"""Back the planner's database up to one file, and restore it into an empty database (SQLite or PostgreSQL).

The file is gzip-compressed JSON Lines. Its first line is a header::

    {"format": "circles-planner-backup", "version": 1, "revision": "0001", "created_at": "...",
     "tables": {"team": 2, ...}, "key_check": "...", "body_sha256": "..."}

and every other line one row, ``{"table": NAME, "row": {...}}``, tables in foreign-key order. Sealed columns are
copied as the bytes the database holds (base64), never opened: the backup holds no personal data in clear, and
is useless without the key file, which is **not** in it (keep the key file apart from the backups, and back it up
too: without it nothing sealed can be read). ``key_check`` (an HMAC under a key derived from the key file) tells
:func:`restore` when it is given another key file than the backup was made with.

:func:`restore` checks the header, the body's SHA-256 and the migration the backup was made at, refuses a database
that holds any rows, loads the tables in foreign-key order in one transaction, resets PostgreSQL's sequences, and
adds an audit entry. The audit log's rows are restored as they were (its triggers refuse UPDATE and DELETE, not
INSERT).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, Table, func, insert, select, text

from circles.errors import PlannerError
from circles.planner.audit import record
from circles.planner.db import Database, current_revision, require_current
from circles.planner.models import Base, Sealed, utcnow

__all__ = ["FORMAT", "VERSION", "BackupSummary", "backup", "read_header", "restore"]

FORMAT = "circles-planner-backup"
VERSION = 1
_KEY_CHECK = b"circles planner backup key check"


@dataclass(frozen=True)
class BackupSummary:
    """A backup made or restored: its file, the migration it is at and the rows per table."""

    path: Path
    revision: str
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _raw_tables() -> list[Table]:
    """The planner's tables in foreign-key order, sealed columns typed as plain bytes (read and written as is)."""
    raw = MetaData()
    tables = []
    for table in Base.metadata.sorted_tables:
        columns = [
            Column(c.name, LargeBinary() if isinstance(c.type, Sealed) else c.type, primary_key=c.primary_key)
            for c in table.columns
        ]
        tables.append(Table(table.name, raw, *columns))
    return tables


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text_value),) = value.items()
        if tag == "$b":
            return base64.b64decode(text_value)
        if tag == "$dt":
            return datetime.fromisoformat(text_value)
        if tag == "$d":
            return date.fromisoformat(text_value)
    return value


def _key_check(db: Database) -> str | None:
    if db.cipher is None:
        return None
    return hmac.new(db.cipher.derive("circles-planner-backup"), _KEY_CHECK, hashlib.sha256).hexdigest()[:32]


def backup(db: Database, path: str | Path) -> BackupSummary:
    """Write every table's rows (sealed columns still sealed) to ``path``, atomically; see the module notes."""
    from circles.io.writers import atomic_path

    require_current(db)
    path = Path(path).expanduser()
    if path.is_dir():
        raise PlannerError(f"{path} is a folder: give the backup's file name, e.g. {path / 'planner.backup.gz'}.")
    if not path.parent.is_dir():
        raise PlannerError(f"The folder for the backup does not exist: {path.parent}")
    revision = current_revision(db) or ""
    with db.session() as session:  # the backup is on record, and in the backup itself
        record(session, None, "planner.backup", "database", "", f"to {path.name}")
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as body:
        with db.engine.connect() as connection:
            for table in _raw_tables():
                counts[table.name] = 0
                order = [c for c in table.columns if c.primary_key]
                for row in connection.execute(select(table).order_by(*order)).mappings():
                    line = (
                        json.dumps(
                            {"table": table.name, "row": {k: _encode(v) for k, v in row.items()}},
                            ensure_ascii=False,
                            separators=(",", ":"),
                        ).encode("utf-8")
                        + b"\n"
                    )
                    digest.update(line)
                    body.write(line)
                    counts[table.name] += 1
        header = {
            "format": FORMAT,
            "version": VERSION,
            "revision": revision,
            "backend": db.backend,
            "created_at": utcnow().isoformat(),
            "tables": counts,
            "key_check": _key_check(db),
            "body_sha256": digest.hexdigest(),
        }
        body.seek(0)
        with atomic_path(path) as tmp:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="") as out:
                out.write(json.dumps(header).encode("utf-8") + b"\n")
                while chunk := body.read(1 << 20):
                    out.write(chunk)
    return BackupSummary(path, revision, counts)


def read_header(path: str | Path) -> dict[str, Any]:
    """The backup's header (first line), checked to be a circles planner backup this version can read."""
    path = Path(path).expanduser()
    try:
        with gzip.open(path, "rb") as source:
            line = source.readline(1 << 20)
        header = json.loads(line)
    except FileNotFoundError:
        raise PlannerError(f"No backup file at {path}.") from None
    except (OSError, EOFError, ValueError) as exc:
        raise PlannerError(f"{path} is not a circles planner backup (cannot read its header: {exc}).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PlannerError(f"{path} is not a circles planner backup.")
    if header.get("version") != VERSION:
        raise PlannerError(
            f"{path} is a backup of format version {header.get('version')}; this circles reads {VERSION}."
        )
    return header


def _is_empty(db: Database) -> list[str]:
    """The tables of ``db`` that hold rows."""
    with db.engine.connect() as connection:
        return [
            table.name
            for table in _raw_tables()
            if connection.execute(select(func.count()).select_from(table)).scalar_one()
        ]


def restore(db: Database, path: str | Path) -> BackupSummary:
    """Load a backup into ``db``: migrated to the backup's revision, and empty; see the module notes."""
    path = Path(path).expanduser()
    header = read_header(path)
    require_current(db)
    have = current_revision(db)
    if header.get("revision") != have:
        raise PlannerError(
            f"The backup was made at migration {header.get('revision')}, the database is at {have}: restore it with "
            "the circles version that made it, then upgrade."
        )
    mine = _key_check(db)
    if header.get("key_check") and mine and not hmac.compare_digest(str(header["key_check"]), mine):
        raise PlannerError(
            "The backup was made with another planner key file: give the key file it was made with (--key-file), "
            "or the restored sealed fields could not be read."
        )
    busy = _is_empty(db)
    if busy:
        raise PlannerError(
            f"The database is not empty ({', '.join(busy[:4])}{'...' if len(busy) > 4 else ''} hold rows): restore "
            "into a new database made with `circles planner init`."
        )
    tables = {table.name: table for table in _raw_tables()}
    expected = header.get("tables") or {}
    unknown = sorted(set(expected) - set(tables))
    if unknown:
        raise PlannerError(f"The backup has tables this database does not: {', '.join(unknown)}.")
    digest = hashlib.sha256()
    counts = dict.fromkeys(tables, 0)
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    try:
        with gzip.open(path, "rb") as source:
            source.readline(1 << 20)
            for line in source:
                digest.update(line)
                entry = json.loads(line)
                name = entry["table"]
                pending[name].append({k: _decode(v) for k, v in entry["row"].items()})
                counts[name] += 1
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise PlannerError(f"The backup {path} is damaged: {exc}") from None
    if not hmac.compare_digest(digest.hexdigest(), str(header.get("body_sha256"))):
        raise PlannerError(f"The backup {path} is damaged or altered: its SHA-256 does not match its header.")
    if {n: c for n, c in counts.items() if c or n in expected} != {n: int(c) for n, c in expected.items()}:
        raise PlannerError(f"The backup {path} does not hold the rows its header counts.")
    with db.engine.begin() as connection:
        for name, table in tables.items():  # foreign-key order
            rows = pending[name]
            for start in range(0, len(rows), 1000):
                connection.execute(insert(table), rows[start : start + 1000])
        if db.backend == "postgresql":
            for table in tables.values():
                if "id" in table.c and table.c.id.primary_key and table.c.id.type.python_type is int:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table.name}"'
                        )
                    )
    with db.session() as session:
        record(session, None, "planner.restore", "database", "", f"from {path.name}: {sum(counts.values())} rows")
    return BackupSummary(path, have or "", {n: counts[n] for n in tables})
