"""Validation with fields made once per serializer class (common.serializers.validated_data): the
same validated data and the same errors as DRF's own `is_valid`, the serializer's methods run with
its context, and a field replaced makes new fields."""

import pytest
from rest_framework import serializers

from common.serializers import validated_data


class Line(serializers.Serializer):
    item = serializers.RegexField(r"^[a-f]{3}$")
    quantity = serializers.IntegerField(min_value=1, max_value=5)


class Order(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    lines = Line(many=True, min_length=1)
    note = serializers.CharField(required=False)

    def validate_name(self, value):
        if value == "nobody":
            raise serializers.ValidationError("Not a name.")
        return value

    def validate(self, data):
        data["by"] = self.context["user"]
        return data


class Stamped(serializers.Serializer):
    user = serializers.HiddenField(default=serializers.CurrentUserDefault())


GOOD = {"name": " tea ", "lines": [{"item": "abc", "quantity": "2"}]}
CASES = [
    GOOD,
    {"name": "nobody", "lines": [{"item": "abc", "quantity": 2}]},
    {"name": "tea", "lines": []},
    {"name": "tea"},
    {"name": "tea", "lines": [{"item": "abz", "quantity": 9}]},
    {"name": {"$ne": ""}, "lines": "x"},
    [],
]


def _drf(data, partial=False):
    serializer = Order(data=data, context={"user": "u1"}, partial=partial)
    return serializer.validated_data if serializer.is_valid() else serializer.errors


def _once(data, partial=False):
    try:
        return validated_data(Order(data=data, context={"user": "u1"}, partial=partial))
    except serializers.ValidationError as exc:
        return exc.detail


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("partial", [False, True])
def test_it_validates_as_drf_does(data, partial):
    assert _once(data, partial) == _drf(data, partial)
    assert _once(data, partial) == _drf(data, partial)  # and again, with the fields it made


def test_the_serializer_s_own_methods_see_its_context():
    assert validated_data(Order(data=GOOD, context={"user": "u7"}))["by"] == "u7"


def test_a_field_replaced_is_followed(monkeypatch):
    assert _once(GOOD)["lines"][0]["quantity"] == 2

    monkeypatch.setitem(Line._declared_fields, "quantity", serializers.IntegerField(min_value=1, max_value=1))

    assert "less than or equal to 1" in str(_once(GOOD))
    assert _once(GOOD) == _drf(GOOD)


def test_a_field_that_reads_the_context_validates_as_drf_does():
    class User:
        pk = "u1"

    class Context:
        user = User()

    assert validated_data(Stamped(data={}, context={"request": Context()}))["user"] is Context.user
