"""Identifiers in AWS's forms, made from a random source passed in (domain does no I/O)."""

from __future__ import annotations

import base64
import binascii
from typing import Protocol

# AWS unique ids: a four-letter prefix, then upper-case letters and digits 2-7 (base32).
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class RandomSource(Protocol):
    """Uniform random text; the service layer passes `secrets`-backed randomness."""

    def text(self, alphabet: str, length: int) -> str: ...


class IdPrefix:
    USER = "AIDA"
    GROUP = "AGPA"
    ROLE = "AROA"
    INSTANCE_PROFILE = "AIPA"
    POLICY = "ANPA"
    ACCESS_KEY = "AKIA"
    TEMPORARY_KEY = "ASIA"
    SERVER_CERTIFICATE = "ASCA"
    SSH_KEY = "APKA"


def unique_id(prefix: str, random: RandomSource) -> str:
    """A 21-character unique id such as ``AIDAJQABLZS4A3QDU576Q``."""
    return prefix + random.text(ID_ALPHABET, 17)


def access_key_id(random: RandomSource, *, temporary: bool = False) -> str:
    """A 20-character key id: ``AKIA...`` (long-term) or ``ASIA...`` (temporary)."""
    prefix = IdPrefix.TEMPORARY_KEY if temporary else IdPrefix.ACCESS_KEY
    return prefix + random.text(ID_ALPHABET, 16)


def temporary_key_id(random: RandomSource, account: str) -> str:
    """An ``ASIA...`` key id that carries its account, as AWS's do (GetAccessKeyInfo reads it
    back with `account_of_key_id`): the account number in bits 7-46 of the decoded id."""
    noise = base64.b32decode(random.text(ID_ALPHABET, 16))  # 10 random bytes
    head = (int(account) << 7) | (noise[0] & 0x7F)
    raw = head.to_bytes(6, "big") + noise[6:]
    return IdPrefix.TEMPORARY_KEY + base64.b32encode(raw).decode()


def account_of_key_id(key_id: str) -> str | None:
    """The account an access key id names (AWS's encoding), or None if it names none."""
    if len(key_id) != 20:
        return None
    try:
        raw = base64.b32decode(key_id[4:])
    except (binascii.Error, ValueError):
        return None
    number = (int.from_bytes(raw[:6], "big") & 0x7FFFFFFFFF80) >> 7
    return f"{number:012d}"


def secret_access_key(random: RandomSource) -> str:
    """A 40-character secret access key."""
    return random.text(SECRET_ALPHABET, 40)


def account_id(random: RandomSource) -> str:
    """A 12-digit account id that does not start with 0."""
    return random.text("123456789", 1) + random.text("0123456789", 11)
