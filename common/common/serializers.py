"""Output serializers that render without copying their fields for every instance.

DRF's `Serializer` deep-copies its declared fields for each instance it makes (`get_fields`), so
that a view may change one instance's fields without touching the others. An output serializer
never does that, and the copy is most of what rendering costs: in the order service under
placement it was a fifth of the process's CPU (py-spy, bench/RESULTS.md), twice per order (the
answer and the kitchen board's entry). `OutputSerializer` makes its fields once per class, on a
prototype instance that is never used for anything else, and renders with them exactly as DRF's
`Serializer.to_representation` does; `SerializerMethodField`s are called on the rendering instance
itself, so they see its `context`. Nested serializers are the prototype's, made once too; their
own method fields see no context (none here needs one). `fields` is left as DRF has it, for forms,
validation and the OpenAPI schema.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.fields import SkipField


class OutputSerializer(serializers.Serializer):
    @classmethod
    def _rendering_fields(cls) -> list:
        fields = cls.__dict__.get("_rendering")  # a subclass has its own, never its parent's
        if fields is None:
            fields = [field for field in cls().fields.values() if not field.write_only]
            cls._rendering = fields  # two threads may both make it: either list will do
        return fields

    def to_representation(self, instance) -> dict:
        rendered = {}
        for field in self._rendering_fields():
            if isinstance(field, serializers.SerializerMethodField):
                rendered[field.field_name] = getattr(self, field.method_name)(instance)
                continue
            try:
                value = field.get_attribute(instance)
            except SkipField:
                continue
            rendered[field.field_name] = None if value is None else field.to_representation(value)
        return rendered
