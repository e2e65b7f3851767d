"""Permission classes that read as predicates on the caller's kind (ARCHITECTURE 4.1)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

# The people an order is about; operators (the co-op's dispatchers) and services are not among them.
PARTY_TYPES = frozenset({"customer", "restaurant", "courier"})


def _signed_in(request) -> bool:
    user = request.user
    return bool(user is not None and getattr(user, "is_authenticated", False))


class _IsUserType(BasePermission):
    user_type = ""
    message = "This route is not for your kind of account."

    def has_permission(self, request, view) -> bool:
        return _signed_in(request) and request.user.user_type == self.user_type


def _only(user_type: str, name: str, message: str = _IsUserType.message) -> type[BasePermission]:
    """The permission of a route for one kind of account."""
    return type(name, (_IsUserType,), {"user_type": user_type, "message": message})


IsCustomer = _only("customer", "IsCustomer")
IsRestaurantUser = _only("restaurant", "IsRestaurantUser")
IsCourier = _only("courier", "IsCourier")
# The co-op's dispatchers (ARCHITECTURE 4.6): never self-registered, always signed in with a code.
IsOperator = _only("operator", "IsOperator", "This route is for operators only.")
IsService = _only("service", "IsService", "Internal routes accept service tokens only.")


class IsAuthenticatedParty(BasePermission):
    """Any signed-in customer, restaurant user or courier; object checks happen in selectors."""

    message = _IsUserType.message

    def has_permission(self, request, view) -> bool:
        return _signed_in(request) and request.user.user_type in PARTY_TYPES
