from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from circles.errors import PseudonymKeyError
from circles.ingest.pseudonyms import (
    DEMO_KEY,
    PseudonymKey,
    load_key,
    protect_identifiers,
    pseudonymise,
    write_key_file,
)
from circles.pipeline.spec import ColumnSpec, PseudonymisationSpec
from tests.helpers import ROOT

KEY = PseudonymKey(bytes(range(32)), "test")


def test_pseudonym_is_hmac_sha256_of_scope_field_and_value():
    expected = hmac.new(bytes(range(32)), b"proj\x1fclient_id\x1fC001", hashlib.sha256).hexdigest()
    assert pseudonymise(pd.Series(["c001 "]), KEY, scope="proj", field="client_id").iloc[0] == expected


def test_same_key_and_scope_link_across_files_other_scope_or_key_does_not():
    a = pseudonymise(pd.Series(["C1"]), KEY, scope="p1", field="client_id").iloc[0]
    b = pseudonymise(pd.Series(["C1"]), KEY, scope="p1", field="client_id").iloc[0]
    other_scope = pseudonymise(pd.Series(["C1"]), KEY, scope="p2", field="client_id").iloc[0]
    other_key = pseudonymise(pd.Series(["C1"]), PseudonymKey(bytes(32), "x"), scope="p1", field="client_id").iloc[0]
    assert a == b and len({a, other_scope, other_key}) == 3


def test_blanks_are_never_hashed():
    out = pseudonymise(pd.Series(["", "  ", None, pd.NA]), KEY, scope="p", field="nhs_number")
    assert out.isna().all()


def test_protect_identifiers_drops_and_derives_age():
    records = pd.DataFrame(
        {
            "source_row": ["a:2", "a:3"],
            "client_id": ["C1", "C2"],
            "name": ["Jane Doe", "John Roe"],
            "date_of_birth": pd.to_datetime(["1980-04-02", "1980-03-31"]),
            "referral_date": pd.to_datetime(["2010-04-01", "2010-04-01"]),
        }
    )
    columns = {
        "client_id": ColumnSpec(column="id", privacy="pseudonymise"),
        "name": ColumnSpec(column="n", privacy="drop"),
        "date_of_birth": ColumnSpec(column="d", type="date", privacy="drop"),
    }
    out, actions = protect_identifiers(records, columns, KEY, scope="p")
    assert "name" not in out and "date_of_birth" not in out
    assert out["age_at_referral"].tolist() == [29, 30]
    assert out["client_id"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert actions["name"] == "dropped"


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv("CIRCLES_TEST_KEY", "ab" * 32)
    key = load_key(PseudonymisationSpec(key="env", key_env="CIRCLES_TEST_KEY", scope="s"))
    assert key.secret == bytes.fromhex("ab" * 32)
    assert len(key.fingerprint) == 16 and "ab" * 8 not in key.fingerprint
    assert "abab" not in repr(key)


def test_missing_short_or_bad_keys_refused(monkeypatch):
    monkeypatch.delenv("CIRCLES_TEST_KEY", raising=False)
    spec = PseudonymisationSpec(key="env", key_env="CIRCLES_TEST_KEY", scope="s")
    with pytest.raises(PseudonymKeyError, match="circles key new"):
        load_key(spec)
    monkeypatch.setenv("CIRCLES_TEST_KEY", "abcd")
    with pytest.raises(PseudonymKeyError, match="at least 32"):
        load_key(spec)
    monkeypatch.setenv("CIRCLES_TEST_KEY", "not hex at all")
    with pytest.raises(PseudonymKeyError, match="not hexadecimal"):
        load_key(spec)


def test_key_file_outside_the_repo(tmp_path):
    key = write_key_file(tmp_path / "keys" / "circles.key")
    path = tmp_path / "keys" / "circles.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = load_key(PseudonymisationSpec(key="file", key_file=path, scope="s"))
    assert loaded.fingerprint == key.fingerprint
    with pytest.raises(PseudonymKeyError, match="exists"):
        write_key_file(path)


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_key_file_inside_a_checkout_refused():

    inside = Path(__file__).resolve().parent / "never-written.key"
    with pytest.raises(PseudonymKeyError, match="inside the git checkout"):
        write_key_file(inside)
    assert not inside.exists()


def test_demo_key_is_marked():
    assert load_key(PseudonymisationSpec(key="demo", scope="s")).is_demo
    assert not PseudonymKey(bytes(32), "x").is_demo
    assert DEMO_KEY != bytes(32)


def test_distinct_values_are_cleaned_then_hashed_once_as_hmac_sha256():
    import hmac

    values = pd.Series([" c7", "C7", "c8 ", "", None, "C7"], dtype="string")
    got = pseudonymise(values, KEY, scope="p", field="client_id")
    expected = {v: hmac.digest(KEY.secret, b"p\x1fclient_id\x1f" + v.encode(), "sha256").hex() for v in ("C7", "C8")}
    assert got[:4].tolist()[:3] == [expected["C7"], expected["C7"], expected["C8"]]
    assert got[3:5].isna().all() and got[5] == expected["C7"]
    assert list(got.cat.categories) == [expected["C7"], expected["C8"]]
