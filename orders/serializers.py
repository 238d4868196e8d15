"""Input and output shapes of the orders API. Every writable field is named."""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from orders.models import Order, Shipment, ShipmentEvent, ShipmentStatus
from orders.validators import normalize_phone
from postpurchase.models import LOCALES

MAX_ITEMS = 500
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


class ConsentInput(serializers.Serializer):
    email = serializers.BooleanField(default=False)
    sms = serializers.BooleanField(default=False)
    call = serializers.BooleanField(default=True)


class CustomerInput(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    first_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    external_id = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    consent = ConsentInput(required=False)

    def validate_phone(self, value):
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate_email(self, value):
        return value.strip().lower()

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("phone"):
            raise serializers.ValidationError({"email": ["Give the customer's email or phone."]})
        attrs.setdefault("consent", {"email": False, "sms": False, "call": True})
        return attrs


class AddressInput(serializers.Serializer):
    line1 = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    line2 = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    city = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    postal_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Use a two-letter ISO country code, e.g. DK."},
    )


class LineItemInput(serializers.Serializer):
    sku = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    name = serializers.CharField(max_length=300)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    unit_price = serializers.DecimalField(**MONEY)
    image_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=1000)
    product_url = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=1000
    )


class OrderInput(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    number = serializers.CharField(max_length=50)
    placed_at = serializers.DateTimeField()
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", error_messages={"invalid": "Use a three-letter ISO currency code, e.g. DKK."}
    )
    total = serializers.DecimalField(**MONEY)
    locale = serializers.ChoiceField(choices=[code for code, _ in LOCALES], required=False)
    customer = CustomerInput()
    shipping_address = AddressInput(required=False)
    items = LineItemInput(many=True, allow_empty=False, max_length=MAX_ITEMS)
    referred_by = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=254
    )


class BatchInput(serializers.Serializer):
    orders = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=1000
    )


class ShipmentItemInput(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, required=False)


class ShipmentInput(serializers.Serializer):
    """A parcel. With `context={"order": order}` its items are checked against the order."""

    # Optional where the tracking number tells the carrier (tracking/carriers/detection.py).
    carrier = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100)
    estimated_delivery = serializers.DateField(required=False, allow_null=True)
    items = ShipmentItemInput(many=True, required=False, max_length=MAX_ITEMS)

    def validate(self, attrs):
        if not attrs.get("carrier"):
            from tracking.carriers.detection import detect_carrier

            attrs["carrier"] = detect_carrier(attrs["tracking_number"])
            if not attrs["carrier"]:
                raise serializers.ValidationError(
                    {"carrier": [_("Say which carrier: this tracking number does not tell.")]}
                )
        return attrs

    def validate_items(self, items):
        order = self.context.get("order")
        if order is None:
            return items
        from orders.services import shipment_items_problems

        problems = shipment_items_problems(order=order, items=items)
        if problems:
            raise serializers.ValidationError(problems)
        return items


class ShipmentEventInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    occurred_at = serializers.DateTimeField()
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    raw_status = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class TouchpointOutput(serializers.Serializer):
    kind = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.CharField(source="public_status")
    due_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField()


class LineItemOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    image_url = serializers.CharField()
    product_url = serializers.CharField()


class ShipmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Shipment
        fields = ["id", "carrier", "tracking_number", "estimated_delivery", "status", "status_at"]


class ShipmentEventOutput(serializers.ModelSerializer):
    class Meta:
        model = ShipmentEvent
        fields = ["id", "status", "occurred_at", "location", "message"]


class OrderListOutput(serializers.ModelSerializer):
    tracking_url = serializers.CharField()

    class Meta:
        model = Order
        fields = [
            "id",
            "external_id",
            "number",
            "placed_at",
            "currency",
            "total",
            "locale",
            "tracking_url",
        ]


class OrderOutput(OrderListOutput):
    customer = serializers.SerializerMethodField()
    items = LineItemOutput(many=True)
    shipments = ShipmentOutput(many=True)
    touchpoints = TouchpointOutput(many=True)

    class Meta(OrderListOutput.Meta):
        fields = [
            *OrderListOutput.Meta.fields,
            "customer",
            "items",
            "shipments",
            "touchpoints",
            "cancelled_at",
        ]

    def get_customer(self, order) -> dict:
        c = order.customer
        return {
            "email": c.email,
            "phone": c.phone,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "consent": {"email": c.consent_email, "sms": c.consent_sms, "call": c.consent_call},
        }
