"""Domain errors of the restaurant service."""

from common.errors import Forbidden, NotFound


class RestaurantNotFound(NotFound, code="restaurant_not_found", message="Restaurant not found."): ...


class MenuItemNotFound(NotFound, code="menu_item_not_found", message="Menu item not found."): ...


class NotTheOwner(Forbidden, code="not_owner", message="Only the restaurant's owner may change it."): ...
