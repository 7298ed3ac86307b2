"""Pseudonymisation: identifiers never leave ingest in clear.

A pseudonym is ``HMAC-SHA256(key, scope ␟ field ␟ value)`` in hex (RFC 2104; NHS Digital's guidance on
pseudonymisation recommends a keyed hash so that pseudonyms cannot be recomputed by anyone without the key).
The same key and scope give one person the same pseudonym in every agency's file, which is what links them;
a different scope (another project) gives unlinkable pseudonyms. Blanks are never hashed.

The key is 32 random bytes, read from an environment variable or from a key file outside the repository
(``circles key new PATH`` makes one). Its fingerprint — a hash of the key, not the key — goes in the run
manifest, so a changed key shows up as a changed fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from circles.errors import PseudonymKeyError

if TYPE_CHECKING:  # the spec's models; the pipeline imports ingest, not the other way round
    from circles.pipeline.spec import ColumnSpec, PseudonymisationSpec

__all__ = [
    "DEMO_KEY",
    "PseudonymKey",
    "PseudonymKeyError",
    "new_key",
    "write_key_file",
    "load_key",
    "pseudonymise",
    "protect_identifiers",
]

#: The demo key. Published in this source file, so it protects nothing: synthetic data only.
DEMO_KEY = hashlib.sha256(b"circles demo key - NOT FOR REAL DATA").digest()

_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in the scope, field name or a cleaned value


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key with where it came from (never printed)."""

    secret: bytes
    source: str

    @property
    def fingerprint(self) -> str:
        """First 16 hex digits of SHA-256 over a label and the key: identifies the key without revealing it."""
        return hashlib.sha256(b"circles key fingerprint\x1f" + self.secret).hexdigest()[:16]

    @property
    def is_demo(self) -> bool:
        return hmac.compare_digest(self.secret, DEMO_KEY)

    def __repr__(self) -> str:
        return f"PseudonymKey(source={self.source!r}, fingerprint={self.fingerprint!r})"


def new_key() -> str:
    """A new random key: 32 bytes from the operating system's CSPRNG, as 64 hex digits."""
    return secrets.token_hex(32)


def _inside_git_checkout(path: Path) -> Path | None:
    try:
        top = subprocess.run(
            ["git", "-C", str(path.parent if path.parent.exists() else Path.cwd()), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if top.returncode != 0:
        return None
    root = Path(top.stdout.strip()).resolve()
    return root if root in path.resolve().parents else None


def write_key_file(path: str | Path, *, overwrite: bool = False) -> PseudonymKey:
    """Write a new key to ``path`` (mode 0600), refusing a path inside a git checkout or an existing file."""
    path = Path(path).expanduser()
    repo = _inside_git_checkout(path)
    if repo is not None:
        raise PseudonymKeyError(
            f"{path} is inside the git checkout {repo}; keep the key outside any repository, "
            "e.g. ~/.config/circles/key."
        )
    if path.exists() and not overwrite:
        raise PseudonymKeyError(f"{path} exists; a new key would change every pseudonym. Choose another path.")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return PseudonymKey(bytes.fromhex(key), f"file {path}")


def _parse_key(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise PseudonymKeyError(
            f"The key in {where} is not hexadecimal. Make one with `circles key new PATH`."
        ) from None
    if len(secret) < 32:
        raise PseudonymKeyError(
            f"The key in {where} has {len(secret)} bytes; at least 32 are needed. Make one with `circles key new PATH`."
        )
    return secret


def load_key(spec: PseudonymisationSpec, *, base_dir: Path | None = None) -> PseudonymKey:
    """Load the key the spec names: ``env`` (environment variable), ``file`` (outside the repo) or ``demo``."""
    how = "Make a key with `circles key new ~/.config/circles/key` and name it in the spec (key: file)"
    if spec.key == "demo":
        return PseudonymKey(DEMO_KEY, "demo key (synthetic data only)")
    if spec.key == "env":
        value = os.environ.get(spec.key_env)
        if not value:
            raise PseudonymKeyError(
                f"No pseudonymisation key: the environment variable {spec.key_env} is not set. {how}, "
                f"or set {spec.key_env} to its 64 hex digits."
            )
        return PseudonymKey(_parse_key(value, f"${spec.key_env}"), f"environment variable {spec.key_env}")
    assert spec.key_file is not None
    path = spec.key_file.expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = (base_dir / path).resolve()
    if not path.exists():
        raise PseudonymKeyError(f"No pseudonymisation key at {path}. {how}.")
    repo = _inside_git_checkout(path)
    if repo is not None:
        raise PseudonymKeyError(
            f"The key file {path} is inside the git checkout {repo}; move it outside any repository."
        )
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is a folder" if path.is_dir() else getattr(exc, "strerror", None) or str(exc)
        raise PseudonymKeyError(
            f"Cannot read the pseudonymisation key {path}: {reason}. Point key_file at the key file that "
            "`circles key new PATH` wrote."
        ) from None
    return PseudonymKey(_parse_key(text, str(path)), f"file {path}")


def pseudonymise(values: pd.Series, key: PseudonymKey, *, scope: str, field: str) -> pd.Series:
    """HMAC-SHA256 pseudonyms (64 hex digits) of cleaned values; blanks stay missing.

    Values are stripped and upper-cased before hashing, so ``" c0001"`` and ``"C0001"`` match. Each distinct
    value is hashed once.

    Examples
    --------
    >>> import pandas as pd
    >>> key = PseudonymKey(DEMO_KEY, "demo")
    >>> p = pseudonymise(pd.Series(["C1", " c1", "", None]), key, scope="demo", field="client_id")
    >>> bool(p[0] == p[1]), len(p[0]), p[2:].isna().tolist()
    (True, 64, [True, True])
    """
    codes, uniques = _distinct(values)
    (hashed,) = _hash_distinct(key.secret, [(_prefix(scope, field), uniques)])
    return _pseudonyms(values, codes, hashed)


def _prefix(scope: str, field: str) -> bytes:
    return f"{scope}{_SEPARATOR}{field}{_SEPARATOR}".encode()


def _distinct(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's code among the distinct cleaned values (stripped, upper case; -1 for a blank) and those values.

    The raw values are factorised first and only the distinct ones cleaned, then cleaned values that meet
    (``" c1"`` and ``"C1"``) are merged: the same codes, in the same order of first appearance, as cleaning
    every row and factorising the result.
    """
    raw_codes, raw = pd.factorize(values.astype("string"))
    text = pd.Series(raw, dtype="string").str.strip().str.upper()
    codes, uniques = pd.factorize(text.where(text.ne(""), pd.NA))
    lookup = np.append(codes, -1)  # a missing raw value (code -1) stays -1
    return lookup[raw_codes], uniques.tolist()


def _pseudonyms(values: pd.Series, codes: np.ndarray, hashed: list[str]) -> pd.Series:
    # categorical: each pseudonym stored once however often it recurs; code -1 (blank or missing) is never hashed
    return pd.Series(pd.Categorical.from_codes(codes, categories=hashed), index=values.index, name=values.name)


def _hex_digests(secret: bytes, prefix: bytes, values: list[str]) -> list[str]:
    """``HMAC-SHA256(secret, prefix + value)`` in hex for each value.

    The key and the prefix are absorbed once and the keyed state copied per value: the same digests as
    ``hmac.digest(secret, prefix + value, "sha256")`` for about a quarter less work.
    """
    copy = hmac.new(secret, prefix, "sha256").copy
    digests = []
    for value in values:
        mac = copy()
        mac.update(value.encode("utf-8"))
        digests.append(mac.hexdigest())
    return digests


def _hash_distinct(secret: bytes, jobs: list[tuple[bytes, list[str]]]) -> list[list[str]]:
    """The hex HMAC of every value of every ``(prefix, values)`` job, in order."""
    return [_hex_digests(secret, prefix, values) for prefix, values in jobs]


def protect_identifiers(
    records: pd.DataFrame, columns: Mapping[str, ColumnSpec], key: PseudonymKey, *, scope: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Pseudonymise and drop the fields the spec marks, deriving ``age_at_referral`` before a birth date goes.

    Returns the protected records and what was done to each field (for the manifest).
    """
    out = records.copy()
    actions = {}
    if "date_of_birth" in columns and columns["date_of_birth"].privacy == "drop" and "referral_date" in out:
        dob, ref = pd.to_datetime(out["date_of_birth"]), pd.to_datetime(out["referral_date"])
        years = ref.dt.year - dob.dt.year - ((ref.dt.month * 100 + ref.dt.day) < (dob.dt.month * 100 + dob.dt.day))
        out["age_at_referral"] = years.astype("Int64")
        actions["age_at_referral"] = "derived from date_of_birth and referral_date"
    hashed = [name for name, col in columns.items() if col.privacy == "pseudonymise"]
    distinct = {name: _distinct(out[name]) for name in hashed}
    digests = _hash_distinct(key.secret, [(_prefix(scope, name), distinct[name][1]) for name in hashed])
    pseudonyms = dict(zip(hashed, digests, strict=True))
    for name, col in columns.items():
        if col.privacy == "pseudonymise":
            out[name] = _pseudonyms(out[name], distinct[name][0], pseudonyms[name])
            actions[name] = "pseudonymised (HMAC-SHA256)"
        elif col.privacy == "drop":
            out = out.drop(columns=name)
            actions[name] = "dropped"
    return out, actions
