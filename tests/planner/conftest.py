"""Planner fixtures: a migrated database (SQLite in a temporary folder) with its key, and users of each role.

``planner_db`` is parametrised over the databases the machine has: SQLite always, PostgreSQL when
``CIRCLES_TEST_POSTGRES`` holds a server URL (``.ci/run`` starts one); a test using it runs on both.
"""

from __future__ import annotations

import os
import uuid

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import create_engine, text

from circles.planner.auth import add_user
from circles.planner.crypto import FieldCipher
from circles.planner.db import Database, connect, upgrade

PASSWORD = "correct horse battery staple"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("CIRCLES_TEST_POSTGRES") else [])


def _postgres_database() -> tuple[str, callable]:
    """A new, empty database on the test server, and a function that drops it."""
    server = os.environ["CIRCLES_TEST_POSTGRES"]
    name = f"planner_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2id with its cheapest parameters (argon2-cffi's test profile): the same code, in milliseconds.

    ``tests/planner/test_auth.py`` checks the parameters the planner really uses.
    """
    monkeypatch.setattr("circles.planner.auth._HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture(params=BACKENDS)
def planner_db(request, tmp_path) -> Database:
    """A migrated, empty planner database with a random key; SQLite, and PostgreSQL when the machine has one."""
    cipher = FieldCipher(os.urandom(32))
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'planner.db'}", None
    else:
        url, drop = _postgres_database()
    db = connect(url, cipher)
    upgrade(db)
    yield db
    db.dispose()
    if drop is not None:
        drop()


@pytest.fixture
def users(planner_db):
    """Two advisors in one team, a manager of that team, an advisor in another team, an analyst and an admin."""
    with planner_db.session() as session:
        made = {
            "ann": add_user(session, "ann", "advisor", PASSWORD, team="north"),
            "bob": add_user(session, "bob", "advisor", PASSWORD, team="north"),
            "mia": add_user(session, "mia", "manager", PASSWORD, team="north"),
            "sam": add_user(session, "sam", "advisor", PASSWORD, team="south"),
            "ada": add_user(session, "ada", "analyst", PASSWORD),
            "root": add_user(session, "root", "admin", PASSWORD),
        }
    return made


@pytest.fixture
def app(planner_db, users):
    """The planner app over ``planner_db`` (with ``users``), cookies without Secure for the test client."""
    from circles.planner.web.app import create_app

    return create_app(planner_db, secure_cookies=False)


@pytest.fixture
def directory(planner_db):
    """The demo service directory imported into ``planner_db``."""
    from circles.planner.directory import import_directory
    from circles.resources import packaged

    with planner_db.session() as session:
        import_directory(session, None, packaged("pipelines") / "demo_services.yaml")


def signed_in(app, username: str):
    """A test client signed in through the API as ``username``, sending its CSRF token with every request."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client
