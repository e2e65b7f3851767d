"""The base of every service's viewsets: DRF's GenericViewSet with a serializer per action.

Views stay thin: they validate with the action's serializer and call a plain function in the app's
`services`/`selectors`. Declaring the serializer (rather than building one inside the handler) is
what gives DRF's browsable API its HTML form for each unsafe method, and drf-spectacular its schema.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from rest_framework import viewsets
from rest_framework.renderers import HTMLFormRenderer

from common.serializers import validated_data


class FilterForm:
    """Shows the list's filter serializer as the browsable API's "Filters" form: a GET form with
    the query parameters the list takes, filled with the current ones. Filters nothing itself: the
    handler reads the query string through the same serializer (`ViewSet.filters`)."""

    def filter_queryset(self, request, queryset, view):
        return queryset

    def get_schema_operation_parameters(self, view) -> list:
        return []  # each list declares its filter serializer in its own schema (`extend_schema`)

    def to_html(self, request, queryset, view) -> str:
        serializer_class = getattr(view, "filter_serializer_class", None)
        if serializer_class is None or getattr(view, "action", None) != "list":
            return ""
        serializer = serializer_class(data=request.query_params)
        serializer.is_valid()
        fields = HTMLFormRenderer().render(
            serializer.data, renderer_context={"style": {"template_pack": "rest_framework/vertical"}}
        )
        return format_html(
            '<form method="get" action="{}">{}<button class="btn btn-primary" type="submit">Apply</button></form>',
            request.path,
            mark_safe(fields),  # noqa: S308 - DRF's own template output, values escaped there
        )


class ViewSet(viewsets.GenericViewSet):
    # The action's name (`create`, `partial_update`, an @action's name) -> its serializer class.
    serializer_classes: dict[str, type] = {}
    # What the browsable API calls the resource itself (its extra actions keep their own names).
    title: str | None = None
    # The list's query parameters as a serializer: validated by `filters()`, shown as a form.
    filter_serializer_class: type | None = None
    # Documents live in MongoDB behind each app's repository module: there is no queryset to filter.
    filter_backends = [FilterForm]

    def get_queryset(self):
        return None

    def get_object(self):
        # Handlers load documents through their app's services; DRF calls this only to describe a
        # PUT in an OPTIONS answer, which needs no document.
        return None

    def get_serializer_class(self):
        return self.serializer_classes.get(self.action) or super().get_serializer_class()

    def get_view_name(self):
        if self.title and not self.name:
            return self.title
        return super().get_view_name()

    def validated(self, *, partial: bool = False) -> dict:
        return validated_data(self.get_serializer(data=self.request.data, partial=partial))

    def filters(self) -> dict:
        """The query string read through the filter serializer: a bad value is a 400 naming it."""
        serializer = self.filter_serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
