"""Hashing, sealing, TOTP and token signing behind service ports. May import: service.ports."""
