"""Domain errors of the order service, each with a stable code."""

from common.errors import Conflict, InvalidInput, NotFound


class OrderNotFound(NotFound, code="order_not_found", message="Order not found."): ...


class IllegalTransition(Conflict, code="illegal_transition"): ...


class UnknownRestaurant(InvalidInput, code="unknown_restaurant", message="No such restaurant."): ...


class UnknownAddress(InvalidInput, code="unknown_address", message="No such address in your profile."): ...


class UnknownItems(InvalidInput, code="unknown_items", message="Some items are not on this restaurant's menu."): ...


class ItemsUnavailable(Conflict, code="items_unavailable", message="Some items are not available right now."): ...


class RestaurantNotAccepting(
    Conflict, code="restaurant_not_accepting", message="The restaurant is not taking orders right now."
): ...


class IdempotencyKeyReused(
    Conflict, code="idempotency_key_reused", message="This Idempotency-Key was already used for a different order."
): ...


class CourierAlreadyAssigned(Conflict, code="courier_already_assigned", message="The order already has a courier."): ...


class OutsideDeliveryArea(
    Conflict, code="outside_delivery_area", message="The delivery address is outside the restaurant's delivery area."
): ...


class DeliveryRevoked(
    Conflict, code="delivery_revoked", message="An operator took this order from that courier; it is not given back."
): ...
