"""Adapters: providers (being written)."""
