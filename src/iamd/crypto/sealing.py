"""Secrets at rest: AES-256-GCM sealing under a server key kept outside the database.

A sealed value is ``version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)``. The
caller's ``context`` (for instance the access key id) and the version byte are authenticated as
associated data, so a sealed value copied into another row, or relabelled, does not open.

The server key is 32 random bytes, either in ``<data dir>/server.key`` (base64 and a newline,
mode 0600, created on first use) or given as ``IAMD_SEAL_KEY`` (the same base64 text).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iamd.service.ports import Unsealable

KEY_BYTES = 32
KEY_FILE_NAME = "server.key"
_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class SealingError(Unsealable):
    """A value could not be sealed or opened, or the server key is unusable."""


class AesGcmSealer:
    """Seals and opens secrets with AES-256-GCM; a fresh random nonce for every seal."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SealingError(f"the sealing key must be {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "AesGcmSealer(key=***)"

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, _VERSION + context)

    def unseal(self, sealed: bytes, *, context: bytes) -> bytes:
        version, nonce = sealed[:1], sealed[1 : 1 + _NONCE_BYTES]
        ciphertext = sealed[1 + _NONCE_BYTES :]
        if version != _VERSION or len(ciphertext) < _TAG_BYTES:
            raise SealingError("not a sealed value (unknown version or truncated)")
        try:
            return self._aead.decrypt(nonce, ciphertext, version + context)
        except InvalidTag:
            raise SealingError(
                "sealed value does not open: wrong server key, wrong context or altered data"
            ) from None


def key_from_text(text: str) -> bytes:
    """Decode the ``IAMD_SEAL_KEY`` form of a key: base64 of 32 bytes."""
    key = _decode_key(text)
    if key is None:
        raise SealingError(
            f"IAMD_SEAL_KEY must be the base64 encoding of {KEY_BYTES} random bytes "
            "(for example the output of: head -c 32 /dev/urandom | base64)"
        )
    return key


def load_or_create_key(data_dir: Path) -> bytes:
    """Read ``data_dir/server.key``, creating it with a new random key if it does not exist.

    Creation is atomic: the key is written to a private temporary file and hard-linked into
    place, so concurrent starters agree on one key and never read a half-written file. An
    existing file is refused if group or others have any access to it, or if it is malformed.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


def _create_key_file(path: Path) -> None:
    text = base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n"
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read_key_file(path: Path) -> bytes:
    with path.open("rb") as handle:
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        if mode & 0o077:
            raise SealingError(
                f"{path} is accessible to group or others (mode {mode:04o}); "
                f"the server key must be private: chmod 600 {path}"
            )
        raw = handle.read(1024)
    key = _decode_key(raw.decode("ascii", "replace"))
    if key is None:
        raise SealingError(
            f"{path} is not a server key: expected the base64 encoding of {KEY_BYTES} bytes "
            "on one line"
        )
    return key


def _decode_key(text: str) -> bytes | None:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None
