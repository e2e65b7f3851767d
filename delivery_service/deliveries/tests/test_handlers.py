"""The lean ASGI handler (common/asgi.py, the one module that reaches into Django's private names)
answers every route of this service as Django's own ASGIHandler does: a sample of each read with
and without tokens, for JSON and for the page, and each write refused before any work."""

from common.testing.handlers import assert_answered_alike, sample


def test_the_lean_handler_answers_every_route_as_django_s_own(issue_token):
    tokens = [None, f"Bearer {issue_token('courier')}".encode(), f"Bearer {issue_token('service')}".encode()]

    assert_answered_alike(sample(tokens))
