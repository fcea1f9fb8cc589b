"""Adapters: account (being written)."""
