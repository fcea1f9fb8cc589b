"""Entities and value types, identifiers, quotas and the error catalogue.

May import: policy, stdlib. No I/O: time and randomness are passed in.
"""
