"""Adapters: policies (being written)."""
