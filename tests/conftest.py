"""Shared test configuration.

Hypothesis explores new examples on every local run; under CI (``CI`` set) it is
derandomized, so that a red build always means the same failing example.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
