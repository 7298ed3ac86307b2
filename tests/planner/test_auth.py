"""Passwords: Argon2id at RFC 9106's parameters, rehashed when they change; no user names leaked by messages."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, profiles
from sqlalchemy import select

from circles.errors import PlannerError
from circles.planner import auth
from circles.planner.models import User
from tests.planner.conftest import PASSWORD


def test_the_planner_hashes_with_rfc_9106_low_memory_argon2id():
    # conftest swaps in the cheapest parameters for speed; the planner itself hashes with these
    fresh = PasswordHasher.from_parameters(auth.PASSWORD_PARAMETERS)
    assert (fresh.type, fresh.time_cost, fresh.memory_cost, fresh.parallelism) == (Type.ID, 3, 65536, 4)
    assert fresh.hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in(planner_db, users, monkeypatch):
    with planner_db.session() as session:
        old = session.scalar(select(User.password_hash).where(User.username == "ann"))
    assert old.startswith("$argon2id$") and "m=8," in old  # the cheapest profile, from the fixture
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY))
    with planner_db.session() as session:
        auth.sign_in(session, "ann", PASSWORD)
    with planner_db.session() as session:
        new = session.scalar(select(User.password_hash).where(User.username == "ann"))
    assert new.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize("username", ["ann", "nobody"])
def test_a_wrong_password_and_an_unknown_name_get_the_same_message(planner_db, users, username):
    with planner_db.session() as session, pytest.raises(PlannerError) as error:
        auth.sign_in(session, username, "not the password at all")
    assert str(error.value) == "Wrong user name or password."


def test_short_passwords_are_refused(planner_db):
    with planner_db.session() as session, pytest.raises(PlannerError, match="at least 12 characters"):
        auth.add_user(session, "kim", "advisor", "short")
