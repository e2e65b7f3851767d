import json
import logging

from common.logging import JsonFormatter
from common.request_id import RequestIdLogFilter, current_request_id


def _format(message, **extra):
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": message, **extra})
    RequestIdLogFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_lines_are_json_with_service_and_request_id():
    token = current_request_id.set("rid-1")
    try:
        line = _format("hello", upstream="auth")
    finally:
        current_request_id.reset(token)

    assert line["msg"] == "hello"
    assert line["service"] == "common-tests"
    assert line["request_id"] == "rid-1"
    assert line["upstream"] == "auth"


def test_sensitive_extras_are_redacted():
    line = _format("login", password="hunter2", token="abc")

    assert line["password"] == "[redacted]"
    assert line["token"] == "[redacted]"


def test_a_line_goes_to_stderr_as_it_is_now_even_after_it_was_swapped(monkeypatch):
    """A thread that outlives its test logs into the real stderr, not into the test's closed capture."""
    import io

    from common.logging import ConsoleHandler

    handler = ConsoleHandler()
    captured = io.StringIO()
    monkeypatch.setattr("sys.stderr", captured)
    handler.emit(logging.makeLogRecord({"msg": "first"}))
    captured.close()  # the capture ends, as pytest's does
    later = io.StringIO()
    monkeypatch.setattr("sys.stderr", later)
    handler.emit(logging.makeLogRecord({"msg": "after the test"}))

    assert later.getvalue() == "after the test\n"
