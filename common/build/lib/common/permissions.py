"""Permission classes that read as predicates on the caller's kind (ARCHITECTURE 4.1)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class _IsUserType(BasePermission):
    user_type = ""
    message = "This route is not for your kind of account."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user is not None and getattr(user, "is_authenticated", False) and user.user_type == self.user_type)


class IsCustomer(_IsUserType):
    user_type = "customer"


class IsRestaurantUser(_IsUserType):
    user_type = "restaurant"


class IsCourier(_IsUserType):
    user_type = "courier"


class IsService(_IsUserType):
    user_type = "service"
    message = "Internal routes accept service tokens only."


class IsAuthenticatedParty(BasePermission):
    """Any signed-in customer, restaurant user or courier; object checks happen in selectors."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user is not None and getattr(user, "is_authenticated", False) and user.user_type != "service")
