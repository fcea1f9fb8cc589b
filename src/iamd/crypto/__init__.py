"""Hashing, sealing, TOTP and token signing behind service ports. May import: service.ports.

Sealing (`sealing`): AES-256-GCM for secrets at rest (secret access keys, MFA seeds), bound to
a context such as the access key id, under a server key kept outside the database.
"""

from iamd.crypto.sealing import AesGcmSealer, SealingError, key_from_text, load_or_create_key

__all__ = ["AesGcmSealer", "SealingError", "key_from_text", "load_or_create_key"]
