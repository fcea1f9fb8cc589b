"""AES-GCM sealing of secrets and the server key file, with the real `cryptography` backend."""

from __future__ import annotations

import base64
import os
import stat
import threading
from pathlib import Path

import pytest

from iamd.crypto import AesGcmSealer, SealingError, key_from_text, load_or_create_key

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SECRET = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CONTEXT = b"AKIAIOSFODNN7EXAMPLE"


def test_a_sealed_secret_opens_with_the_same_key_and_context():
    sealer = AesGcmSealer(KEY)

    sealed = sealer.seal(SECRET, context=CONTEXT)

    assert SECRET not in sealed
    assert sealed[0] == 1
    assert len(sealed) == 1 + 12 + len(SECRET) + 16
    assert AesGcmSealer(KEY).unseal(sealed, context=CONTEXT) == SECRET


def test_an_empty_secret_round_trips():
    sealer = AesGcmSealer(KEY)

    assert sealer.unseal(sealer.seal(b"", context=b""), context=b"") == b""


def test_every_seal_uses_a_fresh_nonce():
    sealer = AesGcmSealer(KEY)

    sealed = [sealer.seal(SECRET, context=CONTEXT) for _ in range(50)]

    assert len({value[1:13] for value in sealed}) == 50
    assert len(set(sealed)) == 50


def test_a_value_moved_to_another_context_does_not_open():
    sealer = AesGcmSealer(KEY)
    sealed = sealer.seal(SECRET, context=CONTEXT)

    with pytest.raises(SealingError, match="wrong context"):
        sealer.unseal(sealed, context=b"AKIAI44QH8DHBEXAMPLE")


def test_a_value_does_not_open_under_another_key():
    sealed = AesGcmSealer(KEY).seal(SECRET, context=CONTEXT)

    with pytest.raises(SealingError, match="wrong server key"):
        AesGcmSealer(OTHER_KEY).unseal(sealed, context=CONTEXT)


@pytest.mark.parametrize("position", [1, 12, 13, -1])
def test_any_altered_byte_is_detected(position):
    sealer = AesGcmSealer(KEY)
    sealed = bytearray(sealer.seal(SECRET, context=CONTEXT))
    sealed[position] ^= 0x80

    with pytest.raises(SealingError):
        sealer.unseal(bytes(sealed), context=CONTEXT)


@pytest.mark.parametrize(
    "sealed", [b"", b"\x01", b"\x01" + bytes(27), b"\x02" + bytes(40)], ids=repr
)
def test_truncated_or_unknown_versions_are_refused(sealed):
    with pytest.raises(SealingError, match="not a sealed value"):
        AesGcmSealer(KEY).unseal(sealed, context=CONTEXT)


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)], ids=len)
def test_a_key_must_be_32_bytes(key):
    with pytest.raises(SealingError, match="32 bytes"):
        AesGcmSealer(key)


def test_the_sealer_never_shows_its_key():
    assert repr(AesGcmSealer(KEY)) == "AesGcmSealer(key=***)"


# -- the key file ----------------------------------------------------------------------------
def test_the_key_file_is_created_private_with_32_random_bytes(tmp_path: Path):
    key = load_or_create_key(tmp_path)

    path = tmp_path / "server.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == base64.b64encode(key) + b"\n"
    assert len(key) == 32
    assert key != bytes(32)
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]


def test_the_key_file_is_private_even_under_a_permissive_umask(tmp_path: Path):
    previous = os.umask(0)
    try:
        load_or_create_key(tmp_path)
    finally:
        os.umask(previous)

    assert stat.S_IMODE((tmp_path / "server.key").stat().st_mode) == 0o600


def test_a_missing_data_dir_is_created_private(tmp_path: Path):
    data_dir = tmp_path / "data" / "iamd"

    load_or_create_key(data_dir)

    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_two_loads_give_the_same_key(tmp_path: Path):
    assert load_or_create_key(tmp_path) == load_or_create_key(tmp_path)


def test_two_data_dirs_get_different_keys(tmp_path: Path):
    assert load_or_create_key(tmp_path / "a") != load_or_create_key(tmp_path / "b")


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path):
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_key(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]


def test_an_existing_key_file_is_read_not_replaced(tmp_path: Path):
    path = tmp_path / "server.key"
    path.write_bytes(base64.b64encode(KEY) + b"\n")
    path.chmod(0o600)

    assert load_or_create_key(tmp_path) == KEY


def test_a_read_only_key_file_is_accepted(tmp_path: Path):
    path = tmp_path / "server.key"
    path.write_bytes(base64.b64encode(KEY))
    path.chmod(0o400)

    assert load_or_create_key(tmp_path) == KEY


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602], ids=oct)
def test_a_key_file_others_can_access_is_refused(tmp_path: Path, mode: int):
    path = tmp_path / "server.key"
    path.write_bytes(base64.b64encode(KEY) + b"\n")
    path.chmod(mode)

    with pytest.raises(SealingError, match=f"mode {mode:04o}.*chmod 600"):
        load_or_create_key(tmp_path)


@pytest.mark.parametrize(
    "content",
    [b"", b"not base64!\n", base64.b64encode(bytes(16)) + b"\n", b"\xff\xfe", b"QUJD" * 300],
    ids=["empty", "not base64", "16 bytes", "binary", "too long"],
)
def test_a_malformed_key_file_is_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "server.key"
    path.write_bytes(content)
    path.chmod(0o600)

    with pytest.raises(SealingError, match="is not a server key"):
        load_or_create_key(tmp_path)


# -- the environment form --------------------------------------------------------------------
def test_the_environment_form_is_base64_of_32_bytes():
    assert key_from_text(base64.b64encode(KEY).decode()) == KEY
    assert key_from_text(f"  {base64.b64encode(KEY).decode()}\n") == KEY


@pytest.mark.parametrize(
    "text",
    [
        "",
        "short",
        base64.b64encode(bytes(31)).decode(),
        base64.b64encode(bytes(33)).decode(),
        "é" * 44,
    ],
    ids=["empty", "not base64", "31 bytes", "33 bytes", "non-ascii"],
)
def test_a_bad_environment_key_is_refused_without_echoing_it(text: str):
    with pytest.raises(
        SealingError, match="IAMD_SEAL_KEY must be the base64 encoding of 32"
    ) as caught:
        key_from_text(text)

    if text:
        assert text not in str(caught.value)


def test_a_key_from_the_environment_seals_like_one_from_the_file(tmp_path: Path):
    file_key = load_or_create_key(tmp_path)
    env_key = key_from_text((tmp_path / "server.key").read_text())
    sealed = AesGcmSealer(file_key).seal(SECRET, context=CONTEXT)

    assert AesGcmSealer(env_key).unseal(sealed, context=CONTEXT) == SECRET
