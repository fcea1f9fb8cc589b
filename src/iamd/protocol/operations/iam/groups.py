"""Adapters: groups (being written)."""
