"""iamd: a self-hosted, AWS-compatible Identity and Access Management service.

The layers and what each may import are described in ARCHITECTURE.md; import-linter
contracts in pyproject.toml enforce them.
"""

__version__ = "0.1.0"
