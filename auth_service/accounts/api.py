"""Auth routes: each view validates input with its declared serializer (which also gives the
browsable API its form), calls one service function and renders the result."""

from __future__ import annotations

from django.http import JsonResponse
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts import services
from common.jwt import jwks_document
from common.net import client_ip
from common.permissions import IsRestaurantUser, IsService


class _PublicView(GenericAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    user_type = ""  # set per route in urls.py


class RegisterView(_PublicView):
    serializer_class = s.RegisterInput

    @extend_schema(request=s.RegisterInput, responses={201: s.AccountOutput})
    def post(self, request):
        data = _valid(self)
        account = services.account_register(user_type=self.user_type, **data)
        return Response(s.AccountOutput({**account, "_id": str(account["_id"])}).data, status=status.HTTP_201_CREATED)


class LoginView(_PublicView):
    serializer_class = s.LoginInput

    @extend_schema(
        request=s.LoginInput,
        responses={200: PolymorphicProxySerializer("LoginResult", [s.TokenPairOutput, s.MfaChallengeOutput], None)},
    )
    def post(self, request):
        data = _valid(self)
        return Response(services.account_login(user_type=self.user_type, client_ip=client_ip(request), **data))


class RefreshView(_PublicView):
    serializer_class = s.RefreshInput

    @extend_schema(request=s.RefreshInput, responses={200: s.TokenPairOutput})
    def post(self, request):
        data = _valid(self)
        return Response(services.session_refresh(user_type=self.user_type, refresh_token=data["refresh"]))


class LogoutView(_PublicView):
    serializer_class = s.RefreshInput

    @extend_schema(request=s.RefreshInput, responses={204: None})
    def post(self, request):
        data = _valid(self)
        services.session_logout(user_type=self.user_type, refresh_token=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MfaSetupView(GenericAPIView):
    permission_classes = [IsRestaurantUser]
    serializer_class = s.MfaSetupInput  # no fields: the browsable API shows a button

    @extend_schema(request=None, responses={200: s.MfaSetupOutput})
    def post(self, request):
        return Response(services.mfa_setup(account_id=request.user.id))


class MfaConfirmView(GenericAPIView):
    serializer_class = s.MfaConfirmInput
    permission_classes = [IsRestaurantUser]

    @extend_schema(request=s.MfaConfirmInput, responses={200: s.MfaConfirmOutput})
    def post(self, request):
        data = _valid(self)
        return Response(services.mfa_confirm(account_id=request.user.id, code=data["code"]))


class MfaLoginView(_PublicView):
    serializer_class = s.MfaLoginInput

    @extend_schema(request=s.MfaLoginInput, responses={200: s.TokenPairOutput})
    def post(self, request):
        data = _valid(self)
        return Response(services.mfa_login(user_type=self.user_type, **data))


class ServiceTokenView(_PublicView):
    serializer_class = s.ServiceTokenInput

    @extend_schema(request=s.ServiceTokenInput, responses={200: s.ServiceTokenOutput}, exclude=True)
    def post(self, request):
        data = _valid(self)
        return Response(services.service_token_issue(**data))


@extend_schema(exclude=True)
def jwks(request):
    response = JsonResponse(jwks_document())
    response["Cache-Control"] = "public, max-age=300"
    return response


def _valid(view: GenericAPIView) -> dict:
    serializer = view.get_serializer(data=view.request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AccountForServiceView(APIView):
    """Internal: another service reads an account's public fields (name, email)."""

    permission_classes = [IsService]

    @extend_schema(responses={200: s.AccountOutput}, exclude=True)
    def get(self, request, user_type: str, account_id: str):
        account = services.account_public(user_type=user_type, account_id=account_id)
        return Response(s.AccountOutput({**account, "_id": str(account["_id"])}).data)
