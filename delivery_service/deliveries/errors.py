"""Domain errors of the delivery service."""

from common.errors import Conflict, NotFound


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message = "Delivery not found."


class IllegalDeliveryTransition(Conflict):
    code = "illegal_transition"
