"""The device key: 256 random bits that a data directory's database is encrypted with.

The key lives outside the data directory - in `OHJAUS_KEY_DIR`, or `keys/` in the user's
configuration directory - so a copy of the data directory (a backup, a disk image, a folder
sent on) opens with nothing else. The data directory keeps only the key's id (`key-id`,
not a secret), which names the key file `KEYDIR/<id>.key`.

The key is random, so it is used as a raw key (`x'...'`): SQLCipher's passphrase KDF would add
nothing but its PBKDF2 rounds on every connection.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ohjaus_core.i18n import _
from ohjaus_core.settings import settings
from .errors import StoreError

KEY_DIR_ENV = "OHJAUS_KEY_DIR"
KEY_ID_NAME = "key-id"
_ID = re.compile(r"[0-9a-f]{32}")
_KEY = re.compile(r"[0-9a-f]{64}")


class KeyMissing(StoreError):
    """The database is encrypted and its key is not here (a copied directory, a lost key)."""


def key_dir() -> Path:
    configured = settings().key_dir_path  # KEY_DIR_ENV
    if configured:
        return configured
    from platformdirs import user_config_dir

    return Path(user_config_dir("ohjaus", appauthor=False)) / "keys"


def key_path(data_dir: Path) -> Path | None:
    """Where the directory's key file is, by its key id; None when the directory has no id."""
    try:
        key_id = (data_dir / KEY_ID_NAME).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(
            _("The key id file {path} cannot be read: {reason}").format(
                path=data_dir / KEY_ID_NAME, reason=getattr(error, "strerror", None) or error
            )
        ) from error
    # The id becomes a file name: a hand-edited one must not point anywhere else.
    if not _ID.fullmatch(key_id):
        raise StoreError(_("The key id file {path} is damaged.").format(path=data_dir / KEY_ID_NAME))
    return key_dir() / f"{key_id}.key"


def read_key(data_dir: Path) -> bytes | None:
    """The directory's key; None when it has no key id yet; KeyMissing when the id names a
    key that is not in the key directory."""
    path = key_path(data_dir)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyMissing(
            _("The data directory {path} is encrypted and its device key {key} is not on this "
              "machine; a copied data directory does not open without it. Nothing was changed.").format(
                path=data_dir, key=path
            )
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(
            _("The device key {key} cannot be read: {reason}").format(
                key=path, reason=getattr(error, "strerror", None) or error
            )
        ) from error
    if not _KEY.fullmatch(text):
        raise StoreError(_("The device key {key} is damaged. Nothing was changed.").format(key=path))
    return bytes.fromhex(text)


def make_key(data_dir: Path) -> bytes:
    """A new key for a directory without an encrypted database: the key file first (0600, in
    a 0700 directory), then the key id, each written whole or not at all. Two processes
    making one at once agree on the first id written."""
    import secrets  # only here: hashlib and hmac are not imported for the first screen (issue 18)

    key, key_id = secrets.token_bytes(32), secrets.token_hex(16)
    folder = key_dir()
    if folder.resolve().is_relative_to(data_dir.resolve()):
        # A copy of the directory would carry its key: the encryption would protect nothing.
        raise StoreError(
            _("The key directory {keys} is inside the data directory {path}; choose a data "
              "directory apart from it.").format(keys=folder, path=data_dir)
        )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_atomically(folder / f"{key_id}.key", (key.hex() + "\n").encode("ascii"), 0o600)
        stale = data_dir / KEY_ID_NAME
        if stale.exists():
            stale.unlink()  # it named a key that is gone, and nothing was encrypted with it
        temp = data_dir / f".{KEY_ID_NAME}.{os.getpid()}.tmp"
        _write_file(temp, (key_id + "\n").encode("ascii"), 0o644)
        try:
            os.link(temp, data_dir / KEY_ID_NAME)  # fails if another process was first
        except FileExistsError:
            (folder / f"{key_id}.key").unlink(missing_ok=True)
            found = read_key(data_dir)
            assert found is not None
            return found
        finally:
            temp.unlink(missing_ok=True)
        fsync_directory(data_dir)
    except OSError as error:
        raise StoreError(
            _("The device key could not be written to {path}: {reason}").format(
                path=folder, reason=error.strerror or error
            )
        ) from error
    return key


def key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_file(temp, data, mode)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fsync_directory(path.parent)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    path.unlink(missing_ok=True)  # a leftover would keep its own mode
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_directory(path: Path) -> None:
    """A rename is durable only once its directory is (POSIX; Windows has no such handle)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
