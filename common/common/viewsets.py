"""The base of every service's viewsets: DRF's GenericViewSet with a serializer per action.

Views stay thin: they validate with the action's serializer and call a plain function in the app's
`services`/`selectors`. Declaring the serializer (rather than building one inside the handler) is
what gives DRF's browsable API its HTML form for each unsafe method, and drf-spectacular its schema.
"""

from __future__ import annotations

from rest_framework import viewsets


class ViewSet(viewsets.GenericViewSet):
    # The action's name (`create`, `partial_update`, an @action's name) -> its serializer class.
    serializer_classes: dict[str, type] = {}
    # What the browsable API calls the resource itself (its extra actions keep their own names).
    title: str | None = None
    # Documents live in MongoDB behind each app's repository module: there is no queryset to filter.
    filter_backends = []

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
        serializer = self.get_serializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def filters(self, serializer_class: type) -> dict:
        """The query string read through a filter serializer: a bad value is a 400 naming it."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
