"""Adapters: certificates (being written)."""
