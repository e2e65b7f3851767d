from django.urls import path

from accounts import api

# The three kinds of account people make themselves share the same four routes under their own prefix.
KINDS = {"customers": "customer", "restaurants": "restaurant", "couriers": "courier"}

urlpatterns = [
    path("restaurants/mfa/setup", api.MfaSetupView.as_view(), name="mfa-setup"),
    path("restaurants/mfa/confirm", api.MfaConfirmView.as_view(), name="mfa-confirm"),
    path("restaurants/login/mfa", api.MfaLoginView.as_view(user_type="restaurant"), name="mfa-login"),
    # Operators are never self-registered (manage.py create_operator) and always sign in with a code.
    path("operators/login", api.LoginView.as_view(user_type="operator"), name="operator-login"),
    path("operators/login/mfa", api.MfaLoginView.as_view(user_type="operator"), name="operator-mfa-login"),
    path("operators/refresh-token", api.RefreshView.as_view(user_type="operator"), name="operator-refresh"),
    path("operators/logout", api.LogoutView.as_view(user_type="operator"), name="operator-logout"),
    path("internal/service-token", api.ServiceTokenView.as_view(), name="service-token"),
    path(
        "internal/accounts/<str:user_type>/<str:account_id>",
        api.AccountForServiceView.as_view(),
        name="account-for-service",
    ),
    path(".well-known/jwks.json", api.jwks, name="jwks"),
]
for prefix, user_type in KINDS.items():
    urlpatterns += [
        path(f"{prefix}/register", api.RegisterView.as_view(user_type=user_type), name=f"{user_type}-register"),
        path(f"{prefix}/login", api.LoginView.as_view(user_type=user_type), name=f"{user_type}-login"),
        path(f"{prefix}/refresh-token", api.RefreshView.as_view(user_type=user_type), name=f"{user_type}-refresh"),
        path(f"{prefix}/logout", api.LogoutView.as_view(user_type=user_type), name=f"{user_type}-logout"),
    ]
