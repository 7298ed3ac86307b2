"""``circles planner``: init, users, serve's host check, the directory, export, backup, restore and the audit log.

Driven with typer's CliRunner through the top-level ``circles`` app; every error path exits 2 with a message and
no traceback.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from circles.cli import app
from circles.planner.crypto import KEY_ENV, create_key_file, load_key_file
from circles.planner.db import DB_ENV, connect
from circles.resources import packaged

runner = CliRunner()
PASSWORD = "correct horse battery staple"
DEMO_SERVICES = packaged("pipelines") / "demo_services.yaml"


@pytest.fixture(autouse=True)
def _no_planner_env(monkeypatch, tmp_path) -> None:
    """No database or key file from the environment, and no key file in the real home folder."""
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def planner(tmp_path) -> list[str]:
    """``--db`` and ``--key-file`` of a planner made with ``circles planner init``."""
    options = ["--db", f"sqlite:///{tmp_path / 'planner.db'}", "--key-file", str(tmp_path / "planner.key")]
    result = runner.invoke(app, ["planner", "init", *options])
    assert result.exit_code == 0, result.output
    return options


def invoke(*args: str, input: str | None = None, code: int = 0):
    result = runner.invoke(app, ["planner", *args], input=input)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_init_makes_the_key_and_migrates_and_can_be_repeated(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "planner.key"
    options = ["--db", f"sqlite:///{tmp_path / 'p.db'}", "--key-file", str(key)]
    first = invoke("init", *options)
    assert f"made a new key file: {key}" in first.output
    assert "apart from the database" in first.output
    assert "at migration 0001" in first.output
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    secret = key.read_bytes()
    second = invoke("init", *options)
    assert "(kept)" in second.output and "at migration 0001" in second.output
    assert key.read_bytes() == secret  # never replaced


def test_init_uses_the_default_key_path(tmp_path: Path) -> None:
    result = invoke("init", "--db", f"sqlite:///{tmp_path / 'p.db'}")
    assert (tmp_path / "config" / "circles" / "planner.key").is_file()
    assert "made a new key file" in result.output


def test_environment_gives_the_database_and_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(DB_ENV, f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "env.key"))
    invoke("init")
    assert (tmp_path / "env.key").is_file()
    assert "0 users" in invoke("user", "list").output


def test_user_add_list_and_unlock(planner: list[str]) -> None:
    added = invoke("user", "add", "ann", "--role", "advisor", "--team", "north", "--password-stdin", *planner,
                   input=PASSWORD + "\n")  # fmt: skip
    assert "added ann (advisor, team north)" in added.output
    invoke("user", "add", "root", "--role", "admin", "--password-stdin", *planner, input=PASSWORD + "\n")
    listed = invoke("user", "list", *planner).output
    assert "ann\tadvisor\tnorth\tactive" in listed and "root\tadmin\t-\tactive" in listed and "2 users" in listed

    from datetime import timedelta

    from sqlalchemy import select

    from circles.planner.auth import sign_in
    from circles.planner.models import User, utcnow

    db = connect(planner[1], load_key_file(planner[3]))
    with db.session() as session:
        session.scalar(select(User).where(User.username == "ann")).locked_until = utcnow() + timedelta(minutes=10)
    assert "locked until" in invoke("user", "list", *planner).output
    assert "unlocked ann" in invoke("user", "unlock", "ann", *planner).output
    with db.session() as session:
        assert sign_in(session, "ann", PASSWORD).user.username == "ann"
    db.dispose()
    assert "No user 'nobody'" in invoke("user", "unlock", "nobody", *planner, code=2).output


def test_user_add_refusals(planner: list[str]) -> None:
    short = invoke("user", "add", "ann", "--role", "advisor", "--password-stdin", *planner, input="short\n", code=2)
    assert "at least 12 characters" in short.output
    role = invoke("user", "add", "ann", "--role", "boss", "--password-stdin", *planner, input=PASSWORD + "\n", code=2)
    assert "Unknown role 'boss'" in role.output
    invoke("user", "add", "ann", "--role", "advisor", "--password-stdin", *planner, input=PASSWORD + "\n")
    again = invoke(
        "user", "add", "ann", "--role", "advisor", "--password-stdin", *planner, input=PASSWORD + "\n", code=2
    )
    assert "already a user 'ann'" in again.output


def test_no_database_given(tmp_path: Path) -> None:
    result = invoke("user", "list", "--key-file", str(tmp_path / "k"), code=2)
    assert "error: No planner database given" in result.output and DB_ENV in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "is not a database URL"), ("mysql://u@h/db", "runs on SQLite or PostgreSQL")],
)
def test_bad_url(tmp_path: Path, url: str, message: str) -> None:
    assert message in invoke("init", "--db", url, "--key-file", str(tmp_path / "k"), code=2).output


def test_sqlite_folder_missing(tmp_path: Path) -> None:
    result = invoke("init", "--db", f"sqlite:///{tmp_path / 'no' / 'p.db'}", "--key-file", str(tmp_path / "k"), code=2)
    assert "folder for the planner database does not exist" in result.output


def test_missing_key_file(planner: list[str], tmp_path: Path) -> None:
    result = invoke("user", "list", "--db", planner[1], "--key-file", str(tmp_path / "nowhere.key"), code=2)
    assert "No planner key file" in result.output and "circles planner init" in result.output


def test_key_file_others_can_read(planner: list[str]) -> None:
    os.chmod(planner[3], 0o644)
    assert "chmod 600" in invoke("user", "list", *planner, code=2).output


def test_wrong_key(planner: list[str], tmp_path: Path) -> None:
    from circles.planner import records
    from circles.planner.auth import add_user

    db = connect(planner[1], load_key_file(planner[3]))
    with db.session() as session:
        ann = add_user(session, "ann", "advisor", PASSWORD)
        records.create_family(session, ann, "The Smiths", postcode="BB2 3HH")
    db.dispose()
    other = create_key_file(tmp_path / "other.key")
    result = invoke("user", "list", "--db", planner[1], "--key-file", str(other), code=2)
    assert "cannot be opened with this key" in result.output and "--key-file" in result.output


def test_unmigrated_database(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "k")
    result = invoke("user", "list", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--key-file", str(key), code=2)
    assert "has no planner tables" in result.output and "circles planner init" in result.output


def test_unreachable_postgresql(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "k")
    url = "postgresql://nobody@127.0.0.1:1/none"
    result = invoke("user", "list", "--db", url, "--key-file", str(key), code=2)
    assert "error:" in result.output and "planner database" in result.output


def test_import_directory(planner: list[str]) -> None:
    first = invoke("import-directory", str(DEMO_SERVICES), *planner).output
    assert "services: 15 added, 0 updated, 0 kept" in first
    second = invoke("import-directory", str(DEMO_SERVICES), *planner).output
    assert "0 added, 15 updated" in second


def test_import_directory_missing_file(planner: list[str], tmp_path: Path) -> None:
    result = invoke("import-directory", str(tmp_path / "nothing.yaml"), *planner, code=2)
    assert "error:" in result.output


def test_audit_export(planner: list[str], tmp_path: Path) -> None:
    invoke("user", "add", "root", "--role", "admin", "--password-stdin", *planner, input=PASSWORD + "\n")
    out = tmp_path / "audit.csv"
    assert "audit entries" in invoke("audit", "export", "--to", str(out), *planner).output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["action"] for r in rows] == ["user.add", "audit.export"]
    assert rows[0]["object_type"] == "user" and rows[0]["detail"] == "role admin"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "planner.example.org"])
def test_serve_refuses_a_remote_host(planner: list[str], host: str) -> None:
    result = invoke("serve", "--host", host, *planner, code=2)
    assert "Refusing to listen" in result.output and "reverse proxy" in result.output and "TLS" in result.output


def test_serve_refuses_insecure_cookies_beyond_this_machine(planner: list[str]) -> None:
    result = invoke("serve", "--host", "0.0.0.0", "--allow-remote", "--insecure-cookies", *planner, code=2)
    assert "--insecure-cookies" in result.output


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    key = create_key_file(tmp_path / "k")
    result = invoke("serve", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--key-file", str(key), code=2)
    assert "has no planner tables" in result.output


def test_serve_starts_uvicorn_with_the_app(planner: list[str], monkeypatch) -> None:
    pytest.importorskip("circles.planner.web.pages")  # the web pages are built alongside (issue 19)
    import uvicorn

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    result = invoke("serve", "--port", "8123", *planner)
    assert "http://127.0.0.1:8123/" in result.output
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    assert started["app"].state.secure_cookies is True


def test_export_backup_and_restore(planner: list[str], tmp_path: Path) -> None:
    invoke("user", "add", "root", "--role", "admin", "--password-stdin", *planner, input=PASSWORD + "\n")
    invoke("import-directory", str(DEMO_SERVICES), *planner)
    exported = invoke("export", "--to", str(tmp_path / "export"), *planner).output
    assert "wrote 0 take-up rows" in exported and "circles run" in exported
    assert (tmp_path / "export" / "planner.yaml").is_file()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("not the planner's")
    assert (
        "not a folder the planner export wrote"
        in invoke("export", "--to", str(tmp_path / "busy"), *planner, code=2).output
    )

    made = invoke("backup", "--to", str(tmp_path / "planner.backup.gz"), *planner).output
    assert "backed up" in made and "key file is NOT in the backup" in made
    # restore into the same (non-empty) database: refused
    assert "not empty" in invoke("restore", str(tmp_path / "planner.backup.gz"), *planner, code=2).output
    fresh = ["--db", f"sqlite:///{tmp_path / 'fresh.db'}", "--key-file", planner[3]]
    invoke("init", *fresh)
    restored = invoke("restore", str(tmp_path / "planner.backup.gz"), *fresh).output
    assert "restored" in restored
    assert "root\tadmin" in invoke("user", "list", *fresh).output
    (tmp_path / "junk.gz").write_bytes(b"not gzip")
    assert "not a circles planner backup" in invoke("restore", str(tmp_path / "junk.gz"), *fresh, code=2).output


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["planner", "--help"])
    assert result.exit_code == 0
    for command in ("init", "user", "serve", "import-directory", "export", "backup", "restore", "audit"):
        assert command in result.output
