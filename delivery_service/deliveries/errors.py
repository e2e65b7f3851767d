"""Domain errors of the delivery service."""

from common.errors import Conflict, NotFound


class DeliveryNotFound(NotFound, code="delivery_not_found", message="Delivery not found."): ...


class IllegalDeliveryTransition(Conflict, code="illegal_transition"): ...


class OrderNotFound(NotFound, code="order_not_found", message="Order not found."): ...


class CourierNotFound(NotFound, code="courier_not_found", message="No such courier."): ...


class CourierUnavailable(
    Conflict,
    code="courier_unavailable",
    message="The courier cannot take this order: off duty, or carrying as many orders as they can.",
): ...


class ActionUnderWay(
    Conflict,
    code="operator_action_under_way",
    message="Another operator action on this order is under way; try again in a moment.",
): ...
