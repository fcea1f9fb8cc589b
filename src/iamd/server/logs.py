"""Structured logs: one JSON object per line, with the request id; never a secret.

Log calls pass their data as ``extra={"fields": {...}}``; only those fields, the level, the
logger and the message are written.

The API's request lines go through `RequestLines`: kept a moment and written together, so that
writing them is not on any request's path (see its docstring).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        created = getattr(record, "at", record.created)  # see RequestLines
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
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


# How long a request's log line may wait to be written (see RequestLines).
REQUEST_LINE_DELAY_SECONDS = 0.2


class RequestLines:
    """The request log of the API path: a line per request, written in batches.

    Writing a line costs the event loop tens of microseconds (record, JSON, a write to the
    stream), and with keep-alive clients the loop answers the next request only after it.
    `add` keeps the line's fields and time; ``delay`` seconds later the waiting lines are
    written, ``per_turn`` at a time between requests, and all at shutdown (`flush`).
    Each line keeps the time of its request. What a crash (SIGKILL) can lose: the last
    ``delay`` seconds of request lines; errors are logged at once, as before.
    """

    def __init__(self, logger: logging.Logger, *, delay: float = REQUEST_LINE_DELAY_SECONDS,
                 per_turn: int = 16) -> None:
        self._log = logger
        self._delay = delay
        self._per_turn = per_turn
        self._waiting: list[tuple[float, Mapping[str, object]]] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, fields: Mapping[str, object]) -> None:
        """Keep one request's line; called on the event loop."""
        if not self._log.isEnabledFor(logging.INFO):
            return
        self._waiting.append((time.time(), fields))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay, self._write_some)

    def flush(self) -> None:
        """Write every waiting line (at shutdown)."""
        self._cancel_timer()
        waiting, self._waiting = self._waiting, []
        self._write(waiting)

    def _write_some(self) -> None:
        """Write a few waiting lines, and leave the rest for the loop's next turn: a request
        that comes meanwhile waits for a few lines, not for hundreds."""
        self._timer = None
        some, self._waiting = self._waiting[:self._per_turn], self._waiting[self._per_turn:]
        self._write(some)
        if self._waiting and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(0, self._write_some)

    def _write(self, lines: list[tuple[float, Mapping[str, object]]]) -> None:
        for at, fields in lines:
            self._log.info("request", extra={"fields": fields, "at": at})

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
