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


class IsCustomer(_IsUserType):
    user_type = "customer"


class IsRestaurantUser(_IsUserType):
    user_type = "restaurant"


class IsCourier(_IsUserType):
    user_type = "courier"


class IsOperator(_IsUserType):
    """The co-op's dispatchers (ARCHITECTURE 4.6): never self-registered, always signed in with a code."""

    user_type = "operator"
    message = "This route is for operators only."


class IsService(_IsUserType):
    user_type = "service"
    message = "Internal routes accept service tokens only."


class IsAuthenticatedParty(BasePermission):
    """Any signed-in customer, restaurant user or courier; object checks happen in selectors."""

    message = _IsUserType.message

    def has_permission(self, request, view) -> bool:
        return _signed_in(request) and request.user.user_type in PARTY_TYPES
