"""Content negotiation kept per kind of request (common/negotiation.py): DRF's own answer for every
Accept and `?format=`, each worked out once; its refusals are never kept."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request

from common.negotiation import CachedContentNegotiation, _selected

RENDERERS = (JSONRenderer, BrowsableAPIRenderer)


def _request(accept: str | None, query: str = "") -> Request:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(RequestFactory().get("/things" + query, **headers))


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json; indent=4", ""),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", ""),
        ("application/json, text/plain, */*", ""),
        ("*/*", "?format=api"),
        ("*/*;q=0.8", ""),
    ],
)
def test_it_answers_as_drf_answers(accept, query):
    renderers = [renderer() for renderer in RENDERERS]

    cached = CachedContentNegotiation().select_renderer(_request(accept, query), renderers)
    drf = DefaultContentNegotiation().select_renderer(_request(accept, query), renderers)

    assert (type(cached[0]), cached[1]) == (type(drf[0]), drf[1])
    assert cached[0] in renderers  # the view's own renderer, not the table's


@pytest.mark.parametrize(
    ("accept", "query", "refusal"), [("application/xml", "", NotAcceptable), ("*/*", "?format=xml", Http404)]
)
def test_a_refusal_is_drf_s_each_time_and_never_kept(accept, query, refusal):
    _selected.cache_clear()

    for _ in range(2):
        with pytest.raises(refusal):
            CachedContentNegotiation().select_renderer(_request(accept, query), [r() for r in RENDERERS])

    assert _selected.cache_info().currsize == 0


def test_one_kind_of_request_is_negotiated_once():
    _selected.cache_clear()

    for _ in range(3):
        CachedContentNegotiation().select_renderer(_request("application/json"), [r() for r in RENDERERS])

    assert (_selected.cache_info().misses, _selected.cache_info().hits) == (1, 2)
