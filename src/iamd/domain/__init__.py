"""Entities and value types, identifiers and the error catalogue. May import: policy, stdlib."""
