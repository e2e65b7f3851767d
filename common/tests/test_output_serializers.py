"""`OutputSerializer` renders exactly what DRF's own `Serializer` renders for the same declaration,
field kind by field kind, without deep-copying its fields for every instance."""

import copy
from datetime import UTC, datetime
from unittest import mock

import pytest
from rest_framework import serializers

from common.serializers import OutputSerializer


class Line(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    price = serializers.FloatField()


class Address(serializers.Serializer):
    label = serializers.CharField(required=False)
    city = serializers.CharField()


def _declare(base):
    class Rendered(base):
        id = serializers.CharField(source="_id")
        name = serializers.CharField(default="")
        open = serializers.BooleanField(default=True)
        lines = Line(many=True)
        address = Address()
        extra = serializers.DictField(allow_null=True, default=None)
        courier_id = serializers.CharField(allow_null=True)
        at = serializers.DateTimeField()
        done_at = serializers.DateTimeField(allow_null=True, default=None)
        secret = serializers.CharField(write_only=True, required=False)
        link = serializers.SerializerMethodField()
        doubled = serializers.SerializerMethodField(method_name="twice")

        def get_link(self, thing):
            host = self.context.get("host")
            return f"https://{host}/t/{thing['_id']}" if host else f"/t/{thing['_id']}"

        def twice(self, thing):
            return 2 * len(thing["lines"])

    return Rendered


Drf = _declare(serializers.Serializer)
Fast = _declare(OutputSerializer)

FULL = {
    "_id": "65f0c0ffee00000000000001",
    "name": "Pho",
    "open": False,
    "lines": [{"sku": "a", "quantity": 2, "price": 1}, {"sku": 7, "quantity": "3", "price": 2.5}],
    "address": {"label": "Home", "city": "Amsterdam"},
    "extra": {"lat": 1.5, 2: "two"},
    "courier_id": "c1",
    "at": datetime(2026, 12, 1, 12, 30, 5, 120000, tzinfo=UTC),
    "done_at": datetime(2026, 12, 1, 13, 0, tzinfo=UTC),
    "secret": "never shown",
}
SPARSE = {  # missing keys: defaults, null for allow_null, left out for not required
    "_id": "65f0c0ffee00000000000002",
    "lines": [],
    "address": {"city": "Utrecht"},
    "at": datetime(2026, 12, 1, 12, 30),
}
NULLS = {**FULL, "courier_id": None, "extra": None, "done_at": None, "address": None}


@pytest.mark.parametrize("thing", [FULL, SPARSE, NULLS], ids=["full", "sparse", "nulls"])
@pytest.mark.parametrize("context", [{}, {"host": "food.example"}], ids=["no-context", "context"])
def test_it_renders_what_drf_renders(thing, context):
    assert Fast(thing, context=context).data == Drf(thing, context=context).data


def test_a_list_renders_what_drf_renders_with_the_context():
    things = [FULL, SPARSE, NULLS]

    fast = Fast(things, many=True, context={"host": "h"}).data

    assert fast == Drf(things, many=True, context={"host": "h"}).data
    assert fast[0]["link"] == "https://h/t/65f0c0ffee00000000000001"


def test_a_missing_required_value_is_an_error_as_with_drf():
    with pytest.raises(KeyError):
        Drf({"_id": "x"}).data  # noqa: B018
    with pytest.raises(KeyError):
        Fast({"_id": "x"}).data  # noqa: B018


def test_fields_are_not_copied_per_instance():
    Fast(FULL).data  # noqa: B018  the class's fields are made once, before counting

    with mock.patch("copy.deepcopy", wraps=copy.deepcopy) as deepcopy:
        for _ in range(5):
            Fast(FULL).data  # noqa: B018

    assert deepcopy.call_count == 0


def test_its_fields_still_serve_forms_and_schemas():
    assert set(Fast().fields) == set(Drf().fields)
