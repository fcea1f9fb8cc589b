"""Hashing, sealing, TOTP and token signing behind service ports. May import: service.ports.

Sealing (`sealing`): AES-256-GCM for secrets at rest (secret access keys, MFA seeds), bound to
a context such as the access key id, under a server key kept outside the database.

Keys (`keys`): X.509 certificates, PEM private keys and SSH/PEM public keys parsed and
re-encoded for the services (the KeyMaterial port).
"""

from iamd.crypto.keys import CryptographyKeyMaterial
from iamd.crypto.sealing import AesGcmSealer, SealingError, key_from_text, load_or_create_key

__all__ = [
    "AesGcmSealer",
    "CryptographyKeyMaterial",
    "SealingError",
    "key_from_text",
    "load_or_create_key",
]
