"""Input and output shapes of the delivery routes."""

from rest_framework import serializers
from rest_framework.utils import html

from common.serializers import HistoryEntryOutput, OutputSerializer
from deliveries import lifecycle

VEHICLES = ("bicycle", "scooter", "motorbike", "car", "on_foot")
DELIVERY_STATES = ("assigned", "picked_up", "delivered", "cancelled")


class CourierUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    vehicle = serializers.CharField(max_length=50, required=False, help_text=f"e.g. {', '.join(VEHICLES)}")
    available = serializers.BooleanField(required=False)


class LocationInput(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)

    def to_internal_value(self, data):
        # JSON true/false and numeric strings are not coordinates; DRF's FloatField would take them.
        # A form (the browsable API's) has only strings: there FloatField's parsing is the check.
        if isinstance(data, dict) and not html.is_html_input(data):
            wrong = {
                name: ["A number is required."]
                for name in ("lat", "lng")
                if name in data and (isinstance(data[name], bool) or not isinstance(data[name], int | float))
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class LocationOutput(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    at = serializers.DateTimeField()


class StopOutput(serializers.Serializer):
    order_id = serializers.CharField()
    delivery_id = serializers.CharField()
    stop = serializers.CharField(help_text="pickup or dropoff")
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    address = serializers.CharField()
    eta = serializers.DateTimeField(allow_null=True)
    depart_at = serializers.DateTimeField(
        allow_null=True,
        help_text="the first stop only: when to set off for it so as to be at the counter as the food is "
        "ready, every drop-off's time kept (ARCHITECTURE 4.7); null: go now",
    )


class CourierOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    name = serializers.CharField()
    vehicle = serializers.CharField()
    available = serializers.BooleanField()
    available_since = serializers.DateTimeField(allow_null=True)
    active_order_id = serializers.CharField(allow_null=True)
    location = LocationOutput(allow_null=True, help_text="the last position reported, null if none")
    route = StopOutput(many=True, help_text="the stops still to make, in order, each with its time (ARCHITECTURE 4.7)")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DeliveryStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=("picked_up", "delivered"))


class DeliveryOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    order_id = serializers.CharField()
    courier_id = serializers.CharField()
    status = serializers.CharField()
    pickup = serializers.DictField(allow_null=True)
    dropoff = serializers.DictField(allow_null=True)
    history = HistoryEntryOutput(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    next_actions = serializers.SerializerMethodField(
        help_text="the statuses the courier may move it to now (both the delivery's and the order's tables)"
    )

    def get_next_actions(self, delivery: dict) -> list[str]:
        return lifecycle.next_actions(delivery)


class ReleaseInput(serializers.Serializer):
    order_id = serializers.CharField(max_length=64)


class OrderMovedInput(serializers.Serializer):
    """The order service's word that an order with a courier moved (its status is the order's own)."""

    id = serializers.CharField(max_length=64)
    delivery_id = serializers.CharField(max_length=64)
    status = serializers.CharField(max_length=20)
    version = serializers.IntegerField(min_value=0)
    courier_actions = serializers.ListField(
        child=serializers.CharField(max_length=20), max_length=10, required=False, help_text="the order's table's word"
    )


class OrdersMovedInput(serializers.Serializer):
    orders = OrderMovedInput(many=True, max_length=500)


class DeliveryFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=DELIVERY_STATES, required=False, allow_blank=True)


# --- operators (ARCHITECTURE 4.6) ------------------------------------------------------------------------


class ReasonInput(serializers.Serializer):
    """Every operator action says why: 1 to 500 characters, kept in the audit log."""

    reason = serializers.CharField(min_length=1, max_length=500)


class AssignInput(ReasonInput):
    courier_id = serializers.RegexField(r"^[0-9a-f]{24}$", error_messages={"invalid": "Not a courier id."})


class OperatorCouriersFilter(serializers.Serializer):
    available = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="on duty or not")


class OperatorCourierOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    name = serializers.CharField()
    vehicle = serializers.CharField()
    available = serializers.BooleanField()
    location = LocationOutput(allow_null=True, help_text="the last position reported, null if none")
    deliveries = serializers.ListField(child=serializers.CharField(), help_text="ids of the active deliveries")
    route = StopOutput(many=True, help_text="the stops still to make, in order")
