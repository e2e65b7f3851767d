"""Orders as stored render as DRF itself would render them (OrderOutput is an OutputSerializer:
its fields made once, not copied per order), at every stage of an order's life."""

from bson import ObjectId
from rest_framework import serializers

from orders.serializers import OrderOutput
from orders.tests.helpers import placed, transition


def _both(order: dict, context: dict) -> tuple[dict, dict]:
    drf = serializers.Serializer.to_representation(OrderOutput(order, context=context), order)
    return dict(OrderOutput(order, context=context).data), drf


def test_orders_at_every_stage_render_as_drf_renders_them(api_client, service_headers, menu, mongo_db, rf):
    first = placed(api_client, service_headers, menu, key="r-1")
    second = placed(api_client, service_headers, menu, key="r-2")
    owner = menu["owner_id"]
    assert transition(api_client, service_headers, second["id"], "accepted", "restaurant", owner).status_code == 200
    assert transition(api_client, service_headers, second["id"], "rejected", "restaurant", owner).status_code == 409
    legacy = mongo_db["orders"].find_one({"_id": ObjectId(first["id"])})
    for key in ("subtotal_cents", "delivery_fee_cents", "estimated_ready_at", "restaurant_name", "version"):
        legacy.pop(key, None)  # an order stored before these fields existed
    stored = [*mongo_db["orders"].find({}), legacy]
    through_gateway = {"request": rf.get("/", HTTP_X_FORWARDED_HOST="food.example")}

    for order in stored:
        for context in ({}, through_gateway):
            fast, drf = _both(order, context)
            assert fast == drf
    assert _both(stored[0], through_gateway)[0]["track_url"].startswith("http://food.example/orders/")
