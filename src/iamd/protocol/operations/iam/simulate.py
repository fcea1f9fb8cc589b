"""Adapters: simulate (being written)."""
