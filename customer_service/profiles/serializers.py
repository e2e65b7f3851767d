"""Input and output shapes of the customer routes."""

from rest_framework import serializers

from common.serializers import OutputSerializer


class PreferencesSerializer(serializers.Serializer):
    cuisines = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20, required=False)
    dietary = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20, required=False)


class ProfileUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    phone = serializers.RegexField(r"^\+?[0-9 ()-]{5,20}$", required=False, allow_blank=True)
    preferences = PreferencesSerializer(required=False)


class AddressSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    label = serializers.CharField(max_length=50)
    line1 = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=20)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    is_default = serializers.BooleanField(required=False, default=False)


class ProfileOutput(OutputSerializer):
    id = serializers.CharField(source="_id")
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    preferences = PreferencesSerializer()
    addresses = AddressSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class OrderLineInput(serializers.Serializer):
    menu_item_id = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=50)


class PlaceOrderInput(serializers.Serializer):
    restaurant_id = serializers.CharField(max_length=64)
    items = OrderLineInput(many=True, min_length=1, max_length=50)
    address_id = serializers.CharField(max_length=64)

    def validate_items(self, items: list[dict]) -> list[dict]:
        ids = [i["menu_item_id"] for i in items]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("List each menu item once, with its quantity.")
        return items
