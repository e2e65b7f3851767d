"""Pages in DRF's shape `{count, next, previous, results}` over MongoDB cursors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework import pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from common.errors import NotFound


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


MAX_PAGE_NUMBER = 1_000_000


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def skip(self) -> int:
        return (self.number - 1) * self.size


def page_request(request, *, default_size: int = 20, max_size: int = 100) -> PageRequest:
    """Reads `page` and `page_size`; junk values fall back to defaults rather than erroring."""

    def _positive(name: str, default: int) -> int:
        try:
            value = int(request.query_params.get(name, default))
        except (TypeError, ValueError):
            return default
        return value if value > 0 else default

    # Clamped, so skip stays a small integer (MongoDB takes 64-bit ints); a page past the end is a 404.
    number = min(_positive("page", 1), MAX_PAGE_NUMBER)
    return PageRequest(number=number, size=min(_positive("page_size", default_size), max_size))


def paginated_response(
    request, page: PageRequest, *, count: int, results: list, render: Callable | None = None
) -> Response:
    if page.number > 1 and page.skip >= count:
        raise NotFound("Invalid page.", code="invalid_page")
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", page.number + 1) if page.skip + len(results) < count else None
    if page.number <= 1:
        previous_url = None
    elif page.number == 2:
        previous_url = remove_query_param(url, "page")
    else:
        previous_url = replace_query_param(url, "page", page.number - 1)
    items = [render(item) for item in results] if render else results
    return Response({"count": count, "next": next_url, "previous": previous_url, "results": items})


_PAGE_SERIALIZERS: dict[type, type] = {}


def page_of(item_serializer: type) -> type:
    """The OpenAPI shape of a page of `item_serializer` items: `{count, next, previous, results}`."""
    from drf_spectacular.utils import extend_schema_serializer
    from rest_framework import serializers

    if item_serializer not in _PAGE_SERIALIZERS:
        base = item_serializer.__name__.removesuffix("Output").removesuffix("Serializer")
        # Already the whole page: a viewset's `list` must not be wrapped in a list or a page again.
        _PAGE_SERIALIZERS[item_serializer] = extend_schema_serializer(many=False)(
            type(
                f"{base}Page",
                (serializers.Serializer,),
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": item_serializer(many=True),
                },
            )
        )
    return _PAGE_SERIALIZERS[item_serializer]
