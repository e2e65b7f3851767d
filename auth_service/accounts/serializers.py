"""Input and output shapes of the auth routes."""

from rest_framework import serializers


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    name = serializers.CharField(max_length=100)


class AccountOutput(serializers.Serializer):
    id = serializers.CharField(source="_id")
    email = serializers.EmailField()
    name = serializers.CharField()
    user_type = serializers.CharField()


class LoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class MfaChallengeOutput(serializers.Serializer):
    mfa_required = serializers.BooleanField()
    mfa_token = serializers.CharField()


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class MfaSetupInput(serializers.Serializer):
    """Starting the set-up takes no fields."""


class MfaSetupOutput(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_uri = serializers.CharField()
    qr_svg = serializers.CharField()


class MfaConfirmInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class MfaConfirmOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class MfaLoginInput(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=4096)
    code = serializers.CharField(max_length=32)


class ServiceTokenInput(serializers.Serializer):
    client_id = serializers.CharField(max_length=100)
    client_secret = serializers.CharField(max_length=500, trim_whitespace=False)


class ServiceTokenOutput(serializers.Serializer):
    access = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
