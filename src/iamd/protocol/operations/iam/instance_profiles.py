"""Adapters: instance_profiles (being written)."""
