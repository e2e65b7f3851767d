"""The menu and the popular list answered before Django's handler (FAST_ROUTES, common/fast_paths/):
whatever a client asks, the views' own answers (their cached JSON, their browsable page, their
`Vary` and `Allow`, their errors) without a Django request, the cache cold, warm or away. Against
the real store and Redis."""

from __future__ import annotations

import contextlib

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from common.asgi import PooledThreadsASGIHandler
from common.fast_paths import FastRoutes
from common.settings_base import redis_caches
from common.testing.fast_paths import Call, answer_now, calls, header
from restaurants.tests.helpers import add_item, create_restaurant


def _fast():
    return FastRoutes(PooledThreadsASGIHandler())


def _django():
    return PooledThreadsASGIHandler()


@pytest.fixture
def restaurant(api_client, owner):
    restaurant = create_restaurant(api_client, owner[1])
    add_item(api_client, owner[1], restaurant["id"])
    return restaurant


def test_a_cached_menu_is_read_by_the_view_without_a_django_request(restaurant, django_requests):
    menu = Call("GET", f"/restaurants/{restaurant['id']}/menu")
    answer_now(_fast(), menu)  # read through into the cache

    answer = answer_now(_fast(), menu)

    assert answer.status == 200
    assert answer.json()["items"][0]["name"] == "Pho bo"
    assert django_requests == []
    assert header(answer, b"content-type") == b"application/json"
    assert (header(answer, b"vary"), header(answer, b"allow")) == (b"Accept", b"GET, HEAD, OPTIONS")


@pytest.mark.parametrize("asked", [(b"accept", b"text/html"), (b"accept", b"text/*")])
def test_a_browser_gets_the_browsable_page_of_the_cached_menu(restaurant, asked):
    menu = Call("GET", f"/restaurants/{restaurant['id']}/menu")
    answer_now(_fast(), menu)

    answer = answer_now(_fast(), menu.with_headers(asked))

    assert answer.status == 200
    assert header(answer, b"content-type") == b"text/html; charset=utf-8"
    assert b"Pho bo" in answer.body


def test_the_page_format_gets_the_browsable_page_too(restaurant):
    answer = answer_now(_fast(), Call("GET", f"/restaurants/{restaurant['id']}/menu", query=b"format=api"))

    assert header(answer, b"content-type") == b"text/html; charset=utf-8"


def _redis_away():
    """Redis down for a while (a closed port), as the `redis_down` fixture has it for a whole test."""
    url = "redis://127.0.0.1:9/0"
    return override_settings(REDIS_URL=url, REDIS_TIMEOUT_S=0.2, CACHES=redis_caches(url, 0.2))


READS = st.sampled_from(["menu", "menu", "popular", "unknown", "not an id"])


@hypothesis_settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_whatever_is_asked_both_paths_answer_alike(data, restaurant, issue_token):
    path = {
        "menu": f"/restaurants/{restaurant['id']}/menu",
        "popular": "/restaurants/popular",
        "unknown": f"/restaurants/{'f' * 24}/menu",
        "not an id": "/restaurants/caf%C3%A9/menu",
    }[data.draw(READS, "read")]
    tokens = [f"Bearer {issue_token('customer')}".encode(), b"Bearer forged.token.here", b"Basic abc"]
    call = data.draw(calls(data.draw(st.sampled_from(["GET", "HEAD"])), path, token=None, other_tokens=tokens))
    cache = data.draw(st.sampled_from(["warm", "cold", "away"]), "cache")
    if cache == "warm":
        answer_now(_django(), Call("GET", path))

    with _redis_away() if cache == "away" else contextlib.nullcontext():
        fast, django = answer_now(_fast(), call), answer_now(_django(), call)

    event(f"answered {fast.status}")
    assert fast == django
