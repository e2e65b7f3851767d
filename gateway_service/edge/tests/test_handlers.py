"""The lean ASGI handler (common/asgi.py, the one module that reaches into Django's private names)
answers every route of the gateway as Django's own ASGIHandler does: its own pages and probes, and
every route of the table relayed to the echo upstream (a sample of each read with and without a
token, for JSON and for the page, and each write refused or relayed)."""

import re

from common.asgi import LeanASGIHandler
from common.testing.handlers import ID, assert_answered_alike, route_paths, sample
from edge import routes


def test_the_lean_handler_answers_every_route_as_django_s_own(echo, settings, issue_token):
    settings.RATE_LIMITS_ENABLED = False  # the remaining count would differ between the two
    relayed = [re.sub(r"\{[^}]+\}", ID, route.pattern).lstrip("/") for route in routes.ROUTES if not route.stream]
    paths = route_paths() + sorted(set(relayed) - {"static/{path}"})

    calls = sample([None, f"Bearer {issue_token('customer')}".encode()], paths=paths)
    # The gateway's request id reaches the upstream, and the echo's account of the call with it.
    same_id = [call.with_headers((b"x-request-id", b"handlers-1")) for call in calls]

    assert_answered_alike(same_id, LeanASGIHandler)
