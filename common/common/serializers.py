"""Serializers that render, and validate, without copying their fields for every instance.

DRF's `Serializer` deep-copies its declared fields for each instance it makes (`get_fields`), so
that a view may change one instance's fields without touching the others. An output serializer
never does that, and the copy is most of what rendering costs, twice per order under placement
(the answer and the kitchen board's entry). `OutputSerializer` makes its fields once per class, on a
prototype instance that is never used for anything else, and renders with them exactly as DRF's
`Serializer.to_representation` does; `SerializerMethodField`s are called on the rendering instance
itself, so they see its `context`. Nested serializers are the prototype's, made once too; their
own method fields see no context (none here needs one). `fields` is left as DRF has it, for forms,
validation and the OpenAPI schema.

Validation copies the fields the same way, on every position report and every order.
`validated_data` validates with the fields of a prototype of the serializer's class, made once for
each version of its declared fields (a field replaced, here or in a nested serializer, makes another)
and for partial or whole data; the serializer's own `validate_<field>` and `validate` methods run on
the instance, with its context. A serializer with a field or validator that reads the context (a
`CurrentUserDefault`, a `UniqueValidator`) validates as DRF does.
"""

from __future__ import annotations

import functools

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


class HistoryEntryOutput(serializers.Serializer):
    """One step of an order's or a delivery's history: the status it moved to, when, and who moved it."""

    status = serializers.CharField()
    at = serializers.DateTimeField()
    actor_type = serializers.CharField()
    actor_id = serializers.CharField()


def validated_data(serializer: serializers.Serializer) -> dict:
    """`serializer.is_valid(raise_exception=True)`, then its `validated_data`; its fields made once
    (see the module's doc)."""
    fields = _prototype_fields(type(serializer), _declared(type(serializer)), bool(serializer.partial))
    if fields is not None:
        serializer.__dict__["fields"] = fields  # DRF's `fields` is a cached property of the instance
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def made(
    serializer_class: type[serializers.Serializer], *, data, context: dict, partial: bool
) -> serializers.Serializer:
    """`serializer_class(data=data, context=context, partial=partial)`: for a class with DRF's own
    constructor, the instance's attributes copied from one made once per class (DRF's `Field.__init__`
    merges every class's error messages and counts instances, the same for all); else its constructor."""
    if serializer_class.__init__ is not serializers.BaseSerializer.__init__:
        return serializer_class(data=data, context=context, partial=partial)
    serializer = object.__new__(serializer_class)
    serializer.__dict__.update(_blank(serializer_class, partial))
    serializer.initial_data, serializer._context = data, context
    return serializer


@functools.lru_cache(maxsize=256)
def _blank(serializer_class: type, partial: bool) -> dict:
    """The attributes of a new instance without data or context (read only: copied into each)."""
    state = dict(vars(serializer_class(partial=partial)))
    state.pop("_context", None)
    return state


def valid_body(serializer_class: type[serializers.Serializer], request, *, partial: bool = False) -> dict:
    """The request's body as `serializer_class` validates it; a 400 naming what is wrong otherwise."""
    return validated_data(serializer_class(data=request.data, partial=partial))


def valid_query(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request's query string as `serializer_class` validates it; a 400 naming what is wrong otherwise."""
    return validated_data(serializer_class(data=request.query_params))


def _declared(serializer_class: type) -> tuple:
    """The identity of a serializer's declared fields, nested serializers' included."""
    return tuple(
        (name, id(field), _declared(type(_nested(field))) if _nested(field) is not None else ())
        for name, field in serializer_class._declared_fields.items()
    )


def _nested(field):
    child = getattr(field, "child", field)
    return child if isinstance(child, serializers.BaseSerializer) else None


@functools.lru_cache(maxsize=256)
def _prototype_fields(serializer_class: type, _declared_fields: tuple, partial: bool):
    fields = serializer_class(partial=partial).fields
    return None if any(_reads_context(field) for field in fields.values()) else fields


def _reads_context(field) -> bool:
    if getattr(field.default, "requires_context", False):
        return True
    if any(getattr(validator, "requires_context", False) for validator in field.validators):
        return True
    nested = _nested(field)
    return nested is not None and any(_reads_context(child) for child in nested.fields.values())
