"""Structured logs: one JSON object per line, with the request id; never a secret.

Log calls pass their data as ``extra={"fields": {...}}``; only those fields, the level, the
logger and the message are written.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry)


# What json.dumps(entry, default=str) builds for every call, built once.
_ENCODER = json.JSONEncoder(default=str)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("iamd")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
