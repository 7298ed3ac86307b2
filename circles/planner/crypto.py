"""Personal data encrypted at rest, with a key kept outside the database.

Names, dates of birth, addresses and free-text notes are sealed column by column with AES-256-GCM
(:mod:`cryptography`): each value gets a fresh 96-bit nonce, and the column's name is bound in as associated data,
so a value copied into another column (or another table) fails to open. A copied database file reveals no one
without the key file.

The key file holds 32 random bytes, base64-encoded, and is made by ``circles planner init`` (mode 0600) in the
user's configuration folder unless ``--key-file`` or ``CIRCLES_PLANNER_KEY_FILE`` says where. Losing it loses the
sealed fields: back it up apart from the database (``circles planner backup`` says so).

The export's pseudonyms use a second key derived from the same file with HKDF (RFC 5869), so the two uses never
share a key.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from circles.errors import PlannerError

__all__ = ["FieldCipher", "KEY_ENV", "create_key_file", "default_key_path", "load_key_file"]

#: Environment variable naming the key file.
KEY_ENV = "CIRCLES_PLANNER_KEY_FILE"

_VERSION = b"\x01"
_NONCE = 12


def default_key_path() -> Path:
    """Where the key file lives unless told: ``CIRCLES_PLANNER_KEY_FILE``, else ``~/.config/circles/planner.key``."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "circles" / "planner.key"


def create_key_file(path: str | Path) -> Path:
    """Write a new random key to ``path`` (mode 0600); refuse to replace an existing one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = create_key_file(pathlib.Path(folder) / "planner.key")
    ...     len(load_key_file(path).key), oct(path.stat().st_mode & 0o777)
    (32, '0o600')
    """
    path = Path(path).expanduser()
    if path.exists():
        raise PlannerError(f"Key file {path} exists already: circles never replaces a key (the data needs it).")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
    return path


def load_key_file(path: str | Path) -> FieldCipher:
    """Read a key file made by :func:`create_key_file`; the error says what to do when it cannot be used."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise PlannerError(
            f"No planner key file at {path}. Run `circles planner init` to make one, or give --key-file (or set "
            f"{KEY_ENV}) to where the key is kept."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlannerError(f"Cannot read the planner key file {path}: {exc}") from None
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PlannerError(f"Planner key file {path} can be read by others: run `chmod 600 {path}`.")
    try:
        key = base64.urlsafe_b64decode(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise PlannerError(f"Planner key file {path} does not hold a 32-byte key (base64): is it the right file?")
    return FieldCipher(key)


class FieldCipher:
    """Seal and open text with AES-256-GCM, each value bound to the column it belongs in.

    Examples
    --------
    >>> cipher = FieldCipher(bytes(32))
    >>> sealed = cipher.seal("Jo Bloggs", "member.name")
    >>> cipher.open(sealed, "member.name"), b"Bloggs" in sealed
    ('Jo Bloggs', False)
    >>> cipher.open(sealed, "family.address")
    Traceback (most recent call last):
    ...
    circles.errors.PlannerError: A sealed value in family.address cannot be opened with this key ...
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise PlannerError("The planner key must be 32 bytes.")
        self.key = key
        self._aead = AESGCM(key)

    def seal(self, text: str, column: str) -> bytes:
        """Encrypt ``text`` for ``column``: version byte, nonce, ciphertext and tag."""
        nonce = secrets.token_bytes(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, text.encode("utf-8"), column.encode("utf-8"))

    def open(self, sealed: bytes, column: str) -> str:
        """Decrypt a value sealed for ``column``."""
        if not sealed or sealed[:1] != _VERSION:
            raise PlannerError(f"A value in {column} is not sealed by circles: the database may have been altered.")
        nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, column.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise PlannerError(
                f"A sealed value in {column} cannot be opened with this key (another key file, or altered data): "
                "check --key-file / CIRCLES_PLANNER_KEY_FILE."
            ) from None

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for another purpose (HKDF-SHA256), e.g. the export's pseudonyms."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode("utf-8")).derive(self.key)
