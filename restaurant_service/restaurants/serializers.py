"""Input and output shapes of the restaurant routes."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from common.serializers import OutputSerializer
from restaurants import hours, nearby, pause


class AddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=20)
    # Optional (ARCHITECTURE 5): a restaurant without coordinates has no distance rules.
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lat": ["Give both lat and lng, or neither."]})
        attrs.setdefault("lat", None)
        attrs.setdefault("lng", None)
        return attrs


class OpeningHoursSerializer(serializers.Serializer):
    day = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday")
    open = serializers.CharField(max_length=5, help_text="HH:MM on a quarter hour, platform time zone")
    close = serializers.CharField(max_length=5, help_text="HH:MM; at or before `open` runs past midnight")

    def validate_open(self, value: str) -> str:
        if not hours.valid_time(value) or value == "24:00":
            raise serializers.ValidationError("Use HH:MM on a quarter hour (00, 15, 30 or 45).")
        return value

    def validate_close(self, value: str) -> str:
        if not hours.valid_time(value):
            raise serializers.ValidationError("Use HH:MM on a quarter hour (00, 15, 30 or 45), or 24:00.")
        return value


class RestaurantInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    cuisine = serializers.CharField(max_length=50)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    address = AddressSerializer()
    opening_hours = OpeningHoursSerializer(many=True, required=False, max_length=28)
    # Checked at first in the browsable API's form: an unticked box is `false`, and new
    # restaurants and items otherwise start open and available.
    accepting_orders = serializers.BooleanField(required=False, initial=True)
    delivery_radius_km = serializers.FloatField(
        min_value=0.1, max_value=200, required=False, allow_null=True, help_text="default DELIVERY_RADIUS_KM (8)"
    )
    prep_time_min = serializers.IntegerField(
        min_value=1, max_value=180, required=False, help_text="minutes an order usually takes; default 15"
    )
    delivery_fee_cents = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, help_text="added to every order's total; default 0"
    )

    # A PATCH replaces the address or the hours as a whole, so they must be whole even then (DRF
    # passes `partial` down to nested serializers).
    def validate_address(self, address: dict) -> dict:
        _require(address, AddressSerializer)
        return address

    def validate_opening_hours(self, entries: list[dict]) -> list[dict]:
        for entry in entries:
            _require(entry, OpeningHoursSerializer)
        return entries


def _require(value: dict, serializer_class) -> None:
    missing = [name for name, field in serializer_class().fields.items() if field.required and name not in value]
    if missing:
        raise serializers.ValidationError({name: ["This field is required."] for name in missing})


_DATETIME = serializers.DateTimeField()


def datetime_text(value) -> str | None:
    """A time as every answer of the service writes it (DRF's ISO 8601), or None."""
    return _DATETIME.to_representation(value) if value else None


class RestaurantOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    owner_id = serializers.CharField()
    name = serializers.CharField()
    cuisine = serializers.CharField()
    description = serializers.CharField()
    address = AddressSerializer()
    opening_hours = OpeningHoursSerializer(many=True)
    accepting_orders = serializers.SerializerMethodField(
        help_text="takes new orders now: the owner's switch is on and orders are not paused"
    )
    paused_until = serializers.SerializerMethodField(help_text="while new orders are paused: when they resume")
    delivery_radius_km = serializers.SerializerMethodField()
    prep_time_min = serializers.IntegerField(default=15)
    delivery_fee_cents = serializers.IntegerField(default=0)
    is_open_now = serializers.SerializerMethodField()
    order_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_accepting_orders(self, restaurant: dict) -> bool:
        return pause.accepting(restaurant, at=pause.now())

    def get_paused_until(self, restaurant: dict) -> str | None:
        return datetime_text(pause.paused_until(restaurant, at=pause.now()))

    def get_is_open_now(self, restaurant: dict) -> bool:
        return hours.is_open(restaurant.get("opening_hours") or [], tz=settings.PLATFORM_TIMEZONE)

    def get_delivery_radius_km(self, restaurant: dict) -> float:
        return nearby.radius_km(restaurant)


class NearbyRestaurantOutput(RestaurantOutput):
    """A restaurant; browsing by location (`near`, `address_id`) adds how far it is and how long an
    order takes."""

    distance_km = serializers.FloatField(
        required=False, help_text="when browsing by location: straight line from the restaurant to the point"
    )
    estimated_delivery_min = serializers.IntegerField(
        required=False,
        help_text="when browsing by location: preparation plus the ride at the default vehicle speed; an estimate",
    )


class MenuItemInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    price_cents = serializers.IntegerField(min_value=1, max_value=1_000_000)
    available = serializers.BooleanField(required=False, initial=True)
    category = serializers.CharField(max_length=50, required=False, allow_blank=True)
    dietary_tags = serializers.ListField(child=serializers.CharField(max_length=30), max_length=10, required=False)


class MenuItemOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    restaurant_id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    price_cents = serializers.IntegerField()
    available = serializers.BooleanField()
    category = serializers.CharField()
    dietary_tags = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MenuOutput(serializers.Serializer):
    restaurant_id = serializers.CharField()
    accepting_orders = serializers.BooleanField()
    paused_until = serializers.DateTimeField(allow_null=True)
    items = MenuItemOutput(many=True)


class PauseInput(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=pause.MIN_MINUTES, max_value=pause.MAX_MINUTES, help_text="how long to take no new orders"
    )


class OrderQuoteInput(serializers.Serializer):
    menu_item_ids = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=100)


ORDER_STATES = ("placed", "accepted", "preparing", "ready", "picked_up", "delivered", "rejected", "cancelled")


class OrderStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=("accepted", "rejected", "preparing", "ready"))
    ready_in_min = serializers.IntegerField(
        min_value=1,
        max_value=180,
        required=False,
        allow_null=True,
        help_text="with accepted: minutes until the food is ready (default: the restaurant's prep_time_min)",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("ready_in_min") is not None and attrs["status"] != "accepted":
            raise serializers.ValidationError({"ready_in_min": ["Only with status accepted."]})
        return attrs


class OrderDelayInput(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=120, help_text="how much later the food will be ready")


class OrdersPlacedInput(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=100_000, default=1)


class RestaurantFilter(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, help_text="part of the name, any case")
    cuisine = serializers.CharField(
        required=False, allow_blank=True, help_text="one cuisine, or several separated by commas"
    )
    open_now = serializers.BooleanField(required=False, default=False)
    near = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="lat,lng: only restaurants delivering there, nearest first",
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text="only your own restaurants (restaurant users)"
    )
    address_id = serializers.RegexField(
        r"^[0-9a-f]{24}$",
        required=False,
        allow_blank=True,
        help_text="one of your addresses (customers): only restaurants delivering there, nearest first",
        error_messages={"invalid": "Not an address id."},
    )

    def validate_near(self, value: str) -> tuple[float, float] | None:
        if not value.strip():
            return None
        parts = value.split(",")
        try:
            lat, lng = (float(part) for part in parts)
        except ValueError:
            raise serializers.ValidationError("Give latitude and longitude as two numbers: near=52.37,4.89.") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # also NaN, which compares false
            raise serializers.ValidationError("Latitude must be within -90..90 and longitude within -180..180.")
        return lat, lng

    def validate(self, attrs: dict) -> dict:
        if attrs.get("near") and attrs.get("address_id"):
            raise serializers.ValidationError({"near": ["Give near or address_id, not both."]})
        return attrs


class OrderFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=ORDER_STATES, required=False, allow_blank=True)
