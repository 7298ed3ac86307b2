"""Backup and restore: every table's rows, sealed fields still sealed, across SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import os

import pytest
from sqlalchemy import select

from circles.errors import PlannerError
from circles.planner.backup import backup, read_header, restore
from circles.planner.crypto import FieldCipher
from circles.planner.db import connect, upgrade
from circles.planner.models import Base
from tests.planner.conftest import BACKENDS, _postgres_database
from tests.planner.test_export import populate


def snapshot(db) -> dict[str, list[dict]]:
    """Every mapped table's rows, sealed fields opened through the database's key, in primary-key order."""
    out = {}
    with db.session() as session:
        for mapper in Base.registry.mappers:
            cls, table = mapper.class_, mapper.local_table
            keys = [c for c in table.primary_key.columns]
            rows = session.scalars(select(cls).order_by(*keys)).all()
            out[table.name] = [{c.key: getattr(row, c.key) for c in mapper.column_attrs} for row in rows]
    return out


@pytest.fixture(params=BACKENDS)
def fresh_db(request, planner_db, tmp_path):
    """An empty, migrated database with the same key as ``planner_db``, on each backend."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'restored.db'}", None
    else:
        url, drop = _postgres_database()
    db = connect(url, planner_db.cipher)
    upgrade(db)
    yield db
    db.dispose()
    if drop is not None:
        drop()


def test_backup_then_restore_gives_identical_records(planner_db, users, fresh_db, tmp_path) -> None:
    populate(planner_db, users)
    path = tmp_path / "planner.backup.gz"
    made = backup(planner_db, path)
    before = snapshot(planner_db)
    assert made.tables["family"] == 3 and made.tables["audit_log"] == len(before["audit_log"])
    done = restore(fresh_db, path)
    assert done.tables == made.tables
    after = snapshot(fresh_db)
    restored_audit = after.pop("audit_log")
    assert after == {k: v for k, v in before.items() if k != "audit_log"}
    assert restored_audit[:-1] == before["audit_log"]  # the log as it was, then the restore itself
    assert restored_audit[-1]["action"] == "planner.restore"
    assert any(row["action"] == "planner.backup" for row in before["audit_log"])
    # the restored database goes on: new rows take new ids (PostgreSQL's sequences were reset)
    from circles.planner import records
    from circles.planner.auth import add_user

    with fresh_db.session() as session:
        eve = add_user(session, "eve", "advisor", "correct horse battery staple", team="north")
        family = records.create_family(session, eve, "New family", postcode="BB1 7DY")
        member = records.add_member(session, eve, family.id, "New member")
    assert eve.id > max(u["id"] for u in before["user_account"])
    assert member.id > max(m["id"] for m in before["member"])


def test_the_backup_holds_nothing_in_clear(planner_db, users, tmp_path) -> None:
    populate(planner_db, users)
    path = tmp_path / "b.gz"
    backup(planner_db, path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    for secret in ("Smith", "Jones", "Hospital Road", "1985-03-02", "lost job", "catalogue"):  # (BB2 3HH: a service's)
        assert secret not in text
    header = read_header(path)
    assert header["format"] == "circles-planner-backup" and header["revision"] == "0001"
    assert sum(header["tables"].values()) == len(text.splitlines()) - 1


def test_restore_refuses_a_database_with_rows(planner_db, users, tmp_path) -> None:
    backup(planner_db, tmp_path / "b.gz")
    with pytest.raises(PlannerError, match="not empty"):
        restore(planner_db, tmp_path / "b.gz")


def test_restore_refuses_an_altered_backup(planner_db, users, tmp_path) -> None:
    backup(planner_db, tmp_path / "b.gz")
    lines = gzip.decompress((tmp_path / "b.gz").read_bytes()).splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if b'"username":"ann"' in line)
    lines[at] = lines[at].replace(b'"ann"', b'"eve"')
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"".join(lines)))
    empty = connect(f"sqlite:///{tmp_path / 'e.db'}", planner_db.cipher)
    upgrade(empty)
    with pytest.raises(PlannerError, match="SHA-256 does not match"):
        restore(empty, tmp_path / "bad.gz")
    header = json.loads(lines[0])
    header["revision"] = "0000"
    (tmp_path / "old.gz").write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + b"".join(lines[1:])))
    with pytest.raises(PlannerError, match="made at migration 0000"):
        restore(empty, tmp_path / "old.gz")
    (tmp_path / "junk.gz").write_bytes(b"junk")
    with pytest.raises(PlannerError, match="not a circles planner backup"):
        restore(empty, tmp_path / "junk.gz")
    assert snapshot(empty)["user_account"] == []
    empty.dispose()


def test_restore_refuses_another_key(planner_db, users, tmp_path) -> None:
    backup(planner_db, tmp_path / "b.gz")
    other = connect(f"sqlite:///{tmp_path / 'o.db'}", FieldCipher(os.urandom(32)))
    upgrade(other)
    with pytest.raises(PlannerError, match="another planner key file"):
        restore(other, tmp_path / "b.gz")
    other.dispose()


def test_restore_refuses_an_unmigrated_database(planner_db, users, tmp_path) -> None:
    backup(planner_db, tmp_path / "b.gz")
    bare = connect(f"sqlite:///{tmp_path / 'bare.db'}", planner_db.cipher)
    with pytest.raises(PlannerError, match="has no planner tables"):
        restore(bare, tmp_path / "b.gz")
    bare.dispose()
