"""Adapters: roles (being written)."""
