"""Django's private API is used in one module, common/asgi.py, which wraps Django's handler (each
service's suite shows that its lean handler answers as Django's own: common.testing.handlers)."""

import ast
import re
from pathlib import Path

import django
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler

from common.testing.handlers import assert_answered_alike, route_paths, sample

REPOSITORY = Path(__file__).resolve().parents[2]
THE_ONE_MODULE = REPOSITORY / "common" / "common" / "asgi.py"
# Where Django handles a request: its handlers, its request and response, its log line.
_DJANGO_MODULES = ("core/handlers/base.py", "core/handlers/asgi.py", "core/handlers/exception.py")
_DJANGO_MODULES += ("http/request.py", "http/response.py", "utils/log.py")


def _private_names() -> set[str]:
    """The underscored names those modules use or define, and every method of Django's handlers
    (undocumented, `chunk_bytes` or `send_response` as much as `_middleware_chain`) but the two a
    middleware's own `get_response` shares."""
    root = Path(django.__file__).parent
    names = set()
    for module in _DJANGO_MODULES:
        text = (root / module).read_text()
        names |= set(re.findall(r"\.(_[a-z]\w*)\b", text)) | set(re.findall(r"def (_[a-z]\w*)\(", text))
    handlers = {name for cls in (ASGIHandler, BaseHandler) for name in vars(cls) if not name.startswith("__")}
    return names | handlers - {"get_response", "get_response_async"}


def _project_modules():
    """The project's Python modules that run (tests and the virtual environment left out)."""
    for path in sorted(REPOSITORY.rglob("*.py")):
        relative = path.relative_to(REPOSITORY).parts
        if relative[0].startswith(".") or "tests" in relative or path.name.startswith(("test_", "conftest")):
            continue
        yield path


def test_django_s_private_names_are_used_only_in_common_asgi():
    private = _private_names()
    assert {"_middleware_chain", "_resource_closers", "chunk_bytes", "_has_been_logged"} <= private

    uses = [
        f"{path.relative_to(REPOSITORY)}:{node.lineno} .{node.attr}"
        for path in _project_modules()
        if path != THE_ONE_MODULE
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.Attribute) and node.attr in private
    ]

    assert uses == []


def test_the_lean_handler_answers_the_shared_routes_as_django_s_own(issue_token):
    shared = [
        path for path in route_paths() if path in ("healthz", "readyz", "schema", "echo", "crash", "customer-only")
    ]

    assert_answered_alike(sample([None, f"Bearer {issue_token('customer')}".encode()], paths=shared))
