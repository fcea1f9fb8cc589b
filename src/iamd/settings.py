"""Frozen, typed Settings: flags > IAMD_* environment > defaults (with the server)."""
