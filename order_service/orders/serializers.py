"""Input and output shapes of the order routes."""

from rest_framework import serializers

from common.serializers import HistoryEntryOutput, OutputSerializer
from orders import estimates, lifecycle


class OrderLineInput(serializers.Serializer):
    menu_item_id = serializers.RegexField(r"^[0-9a-f]{24}$", error_messages={"invalid": "Not a menu item id."})
    quantity = serializers.IntegerField(min_value=1, max_value=50)


class DeliveryAddressSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=50, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=20)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)


class PlaceOrderInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    restaurant_id = serializers.CharField(max_length=64)
    items = OrderLineInput(many=True, min_length=1, max_length=50)
    delivery_address = DeliveryAddressSerializer()
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_null=True)

    def validate_items(self, items: list[dict]) -> list[dict]:
        ids = [i["menu_item_id"] for i in items]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("List each menu item once, with its quantity.")
        return items


class CustomerPlaceOrderInput(serializers.Serializer):
    """An order as the customer asks for it: one of their addresses by id (ARCHITECTURE 5)."""

    restaurant_id = serializers.CharField(max_length=64)
    items = OrderLineInput(many=True, min_length=1, max_length=50)
    address_id = serializers.CharField(max_length=64)

    validate_items = PlaceOrderInput.validate_items


class TransitionInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=lifecycle.STATES)
    actor_type = serializers.ChoiceField(choices=[lifecycle.RESTAURANT, lifecycle.CUSTOMER, lifecycle.COURIER])
    actor_id = serializers.CharField(max_length=64)
    restaurant_id = serializers.CharField(max_length=64, required=False)
    ready_in_min = serializers.IntegerField(min_value=1, max_value=180, required=False, allow_null=True)


class QuoteInput(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    restaurant_id = serializers.CharField(max_length=64)
    items = OrderLineInput(many=True, min_length=1, max_length=50)
    delivery_address = DeliveryAddressSerializer()

    validate_items = PlaceOrderInput.validate_items


class DelayInput(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=120)
    owner_id = serializers.CharField(max_length=64)
    restaurant_id = serializers.CharField(max_length=64)


class CourierEtaInput(serializers.Serializer):
    order_id = serializers.CharField(max_length=64)
    courier_id = serializers.CharField(max_length=64)
    # `route`: when the courier's planned route (ARCHITECTURE 4.7) reaches this order's door,
    # counting the stops before it.
    leg = serializers.ChoiceField(choices=("pickup", "dropoff", "route"))
    at = serializers.DateTimeField()
    speed_kmh = serializers.FloatField(min_value=0.5, max_value=200)


class CourierEtasInput(serializers.Serializer):
    etas = CourierEtaInput(many=True, max_length=1000)


class AssignCourierInput(serializers.Serializer):
    courier_id = serializers.CharField(max_length=64)
    delivery_id = serializers.CharField(max_length=64)
    courier_speed_kmh = serializers.FloatField(min_value=0.5, max_value=200, required=False, allow_null=True)
    courier_eta_at = serializers.DateTimeField(required=False, allow_null=True)
    # An operator's assign (the delivery service's action record): its audit entry is settled too.
    action_id = serializers.RegexField(r"^[0-9a-f]{24}$", required=False, allow_null=True, default=None)


class UnprojectCourierInput(serializers.Serializer):
    delivery_id = serializers.CharField(max_length=64)


class OrdersWithCourierFilter(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=200)
    after = serializers.RegexField(r"^[0-9a-f]{24}$", required=False)


class OrdersLookupInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.CharField(max_length=64), max_length=500)


class OrderLineOutput(serializers.Serializer):
    menu_item_id = serializers.CharField()
    name = serializers.CharField()
    unit_price_cents = serializers.IntegerField()
    quantity = serializers.IntegerField()


class OrderOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    customer_id = serializers.CharField()
    restaurant_id = serializers.CharField()
    restaurant_name = serializers.CharField(default="")
    items = OrderLineOutput(many=True)
    subtotal_cents = serializers.SerializerMethodField()
    delivery_fee_cents = serializers.IntegerField(default=0)
    total_cents = serializers.IntegerField(help_text="subtotal_cents + delivery_fee_cents")
    estimated_ready_at = serializers.SerializerMethodField(help_text="an estimate; see the README")
    estimated_delivery_at = serializers.SerializerMethodField(
        help_text="an estimate; never in the past until delivered"
    )
    delivered_at = serializers.DateTimeField(allow_null=True, default=None)
    delivery_address = DeliveryAddressSerializer()
    pickup_address = serializers.DictField(allow_null=True, default=None)
    status = serializers.CharField()
    courier_id = serializers.CharField(allow_null=True)
    delivery_id = serializers.CharField(allow_null=True)
    history = HistoryEntryOutput(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(default=0, help_text="grows with every change of the order")
    track_url = serializers.SerializerMethodField(help_text="the order's live tracking page, for a browser")
    next_actions = serializers.SerializerMethodField(
        help_text="per party (customer, restaurant, courier): the statuses it may move the order to now, "
        "and `delay` for the kitchen (orders/lifecycle.py)"
    )

    def get_next_actions(self, order: dict) -> dict[str, list[str]]:
        return lifecycle.next_actions(current=order["status"])

    def get_track_url(self, order: dict) -> str:
        path = f"/orders/{order['_id']}/track"
        request = self.context.get("request")
        # Through the gateway the public host (X-Forwarded-Host); from another service, the path.
        return (
            request.build_absolute_uri(path)
            if request is not None and "HTTP_X_FORWARDED_HOST" in request.META
            else path
        )

    def get_subtotal_cents(self, order: dict) -> int:
        return order.get("subtotal_cents", order["total_cents"])  # orders from before fees: no fee

    def get_estimated_ready_at(self, order: dict) -> str | None:
        return _iso(estimates.shown(order)["estimated_ready_at"])

    def get_estimated_delivery_at(self, order: dict) -> str | None:
        return _iso(estimates.shown(order)["estimated_delivery_at"])


# One field for every estimate: a field made per call was a tenth of an order's rendering.
_DATETIME = serializers.DateTimeField()


def _iso(at) -> str | None:
    return _DATETIME.to_representation(at) if at else None


class QuoteOutput(OutputSerializer):
    restaurant_id = serializers.CharField()
    items = OrderLineOutput(many=True)
    subtotal_cents = serializers.IntegerField()
    delivery_fee_cents = serializers.IntegerField()
    total_cents = serializers.IntegerField()
    distance_km = serializers.FloatField(allow_null=True, help_text="restaurant to address, straight line")
    estimated_ready_at = serializers.DateTimeField()
    estimated_delivery_at = serializers.DateTimeField(help_text="an estimate")


class CourierLocationOutput(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    at = serializers.DateTimeField()


class OrderDetailOutput(OrderOutput):
    """One order as its parties see it: while a courier is assigned, where they are and when they
    should arrive (at the restaurant before pickup, at the door after; an estimate)."""

    courier_location = CourierLocationOutput(allow_null=True)
    eta_s = serializers.IntegerField(allow_null=True, help_text="seconds, estimated")


class CancelInput(serializers.Serializer):
    """Cancelling takes no fields; declared so the browsable API shows the order its Cancel button."""


class OrdersFilter(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64, required=False)
    restaurant_id = serializers.CharField(max_length=64, required=False)
    owner_id = serializers.CharField(max_length=64, required=False)
    status = serializers.ChoiceField(choices=lifecycle.STATES, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("customer_id") and not (attrs.get("restaurant_id") and attrs.get("owner_id")):
            raise serializers.ValidationError("Give customer_id, or restaurant_id with owner_id.")
        return attrs


# --- operators (ARCHITECTURE 4.6) -------------------------------------------------------------------------

OBJECT_ID = r"^[0-9a-f]{24}$"


class ReasonInput(serializers.Serializer):
    """Every operator action says why: 1 to 500 characters, kept in the audit log."""

    reason = serializers.CharField(min_length=1, max_length=500)


class OperatorOrdersFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=lifecycle.STATES, required=False, allow_blank=True)
    attention = serializers.BooleanField(required=False, default=False, help_text="only orders needing attention")


class OperatorOrderOutput(OrderOutput):
    """An order as operators follow it: why it needs attention (codes of orders/attention.py, in
    their listed order; empty when it goes well) and where its courier was last seen."""

    attention = serializers.ListField(child=serializers.CharField())
    courier_location = CourierLocationOutput(allow_null=True)


class ConsoleOrderOutput(OrderOutput):
    """An order on the operators' console stream: as operators list it, without the courier's
    position (the stream's `courier` events carry it, at most once a second)."""

    attention = serializers.ListField(child=serializers.CharField())


class AuditFilter(serializers.Serializer):
    order_id = serializers.RegexField(OBJECT_ID, required=False, error_messages={"invalid": "Not an order id."})
    operator_id = serializers.RegexField(OBJECT_ID, required=False, error_messages={"invalid": "Not an operator id."})


class AuditEntryOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    at = serializers.DateTimeField()
    operator_id = serializers.CharField()
    action = serializers.CharField(help_text="assign, unassign or cancel")
    order_id = serializers.CharField()
    courier_id = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    outcome = serializers.CharField(help_text="applied or refused; pending while the action is under way")
    error_code = serializers.SerializerMethodField(help_text="why it was refused")
    error_message = serializers.SerializerMethodField()

    def get_error_code(self, entry: dict) -> str | None:
        return (entry.get("error") or {}).get("code")

    def get_error_message(self, entry: dict) -> str | None:
        return (entry.get("error") or {}).get("message")


class ActionRecordInput(serializers.Serializer):
    """The delivery service's entry for an assign or unassign it is about to apply (or refused)."""

    at = serializers.DateTimeField()
    operator_id = serializers.CharField(max_length=64)
    action = serializers.ChoiceField(choices=("assign", "unassign", "cancel"))
    order_id = serializers.CharField(max_length=64)
    courier_id = serializers.CharField(max_length=64, allow_null=True, required=False, default=None)
    reason = serializers.CharField(max_length=500)
    outcome = serializers.ChoiceField(choices=("pending", "refused"))
    error_code = serializers.CharField(max_length=100, required=False, allow_null=True, default=None)
    error_message = serializers.CharField(max_length=500, required=False, allow_null=True, default=None)


class ActionSettleInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=("applied", "refused"))
    error_code = serializers.CharField(max_length=100, required=False, allow_null=True, default=None)
    error_message = serializers.CharField(max_length=500, required=False, allow_null=True, default=None)
