"""Structured logging: one JSON object per line, with service name and request id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Imported here, not in format(): a line logged while the interpreter shuts down (an unclosed
# client's __del__) cannot import any more, and the log would show the import's traceback instead.
from django.conf import settings

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Never written to a log line, whatever a caller passes in `extra`.
_REDACTED_KEYS = {"password", "token", "access", "refresh", "authorization", "secret", "code"}


class ConsoleHandler(logging.StreamHandler):
    """Writes each line to the process's stderr as it is when the line is written. A handler that
    kept the stream it was configured with would write into a closed file once a test runner has
    swapped stderr back, from a thread that outlived its test ("I/O operation on closed file")."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass  # StreamHandler's constructor sets it; the property always answers sys.stderr


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": getattr(settings, "SERVICE_NAME", "unknown"),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            entry[key] = "[redacted]" if key.lower() in _REDACTED_KEYS else value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
