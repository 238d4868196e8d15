"""Customers, orders, line items, shipments and shipment events."""

import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postpurchase.models import LOCALES
from postpurchase.tenancy import TenantModel, unindexed_merchant_key


def new_tracking_token() -> str:
    # 24 random bytes = 192 bits, URL-safe; never derived from the database id.
    return secrets.token_urlsafe(24)


class ShipmentStatus(models.TextChoices):
    """The normalized set every carrier status maps onto (shared/CONTRACT.md)."""

    LABEL_CREATED = "label_created", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Ready for pickup")
    ATTEMPT_FAILED = "attempt_failed", _("Delivery attempt failed")
    DELAYED = "delayed", _("Delayed")
    EXCEPTION = "exception", _("Problem with delivery")
    DELIVERED = "delivered", _("Delivered")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")


PROBLEM_STATUSES = frozenset(
    {
        ShipmentStatus.ATTEMPT_FAILED,
        ShipmentStatus.DELAYED,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.RETURNED_TO_SENDER,
    }
)


class Customer(TenantModel):
    """A buyer of one merchant. Found again by email (else phone) when they order again."""

    # Its queries go by the (merchant, ...) indexes below, which serve merchant_id alone
    # too: an index of its own only cost every insert (#16, third round).
    merchant = unindexed_merchant_key()

    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)  # E.164
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=5, choices=LOCALES, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_call = models.BooleanField(default=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["merchant", "email"]),
            models.Index(fields=["merchant", "phone"]),
        ]

    def __str__(self):
        return self.full_name or self.email or self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Order(TenantModel):
    # Its queries go by the (merchant, ...) indexes below, which serve merchant_id alone
    # too: an index of its own only cost every insert (#16, third round).
    merchant = unindexed_merchant_key()
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(max_length=100)
    number = models.CharField(max_length=50)
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    locale = models.CharField(max_length=5, choices=LOCALES)
    shipping_line1 = models.CharField(max_length=200, blank=True)
    shipping_line2 = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_region = models.CharField(max_length=100, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token)
    referred_by = models.CharField(max_length=254, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "external_id"], name="uniq_order_external_id_per_merchant"
            )
        ]
        indexes = [
            models.Index(fields=["merchant", "-placed_at"]),
            models.Index(fields=["merchant", "number"]),
        ]
        ordering = ["-placed_at", "-id"]

    def __str__(self):
        return self.number

    @property
    def tracking_url(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/t/{self.tracking_token}/"


class LineItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    image_url = models.URLField(max_length=1000, blank=True)
    product_url = models.URLField(max_length=1000, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.quantity} × {self.name}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class Shipment(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=50)
    tracking_number = models.CharField(max_length=100)
    estimated_delivery = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=30, choices=ShipmentStatus.choices, default=ShipmentStatus.LABEL_CREATED
    )
    status_at = models.DateTimeField(null=True, blank=True)  # occurred_at of the latest event
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["merchant", "carrier", "tracking_number"]),
            # "Orders at risk": the few shipments in trouble, not all of them.
            models.Index(
                fields=["merchant", "order"],
                name="shipment_problem_idx",
                condition=models.Q(status__in=sorted(s.value for s in PROBLEM_STATUSES)),
            ),
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"

    @property
    def has_problem(self) -> bool:
        return self.status in PROBLEM_STATUSES


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.quantity} of line {self.line_item_id}"


class ShipmentEvent(TenantModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=30, choices=ShipmentStatus.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=500, blank=True)
    raw_status = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # The same scan delivered twice is one event.
            models.UniqueConstraint(
                fields=["shipment", "status", "occurred_at"], name="uniq_shipment_event"
            )
        ]

    def __str__(self):
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Product(TenantModel):
    """An item of the merchant's catalogue: what cross-sell slots and content refer to."""

    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    category = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # `name` is the merchant's default language; {locale: name} where a buyer's differs.
    names = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # {currency: "amount"}: what the product costs in the shop's other currencies.
    prices = models.JSONField(default=dict, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    is_active = models.BooleanField(default=True)
    # Lower is better; null means "not a best seller". Fallback cross-sell order.
    best_seller_rank = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "sku"], name="uniq_product_sku_per_merchant"
            )
        ]
        indexes = [models.Index(fields=["merchant", "category"])]

    def __str__(self):
        return self.name

    def name_for(self, locale: str) -> str:
        """The buyer's language, else `name` (the default language's)."""
        return str((self.names or {}).get(locale) or "").strip() or self.name

    def price_in(self, currency: str) -> Decimal | None:
        """The price a buyer paying in `currency` sees; None when the merchant gave none
        in it (a price in another currency would read as this one)."""
        if self.price is not None and self.currency and self.currency == currency:
            return self.price
        amount = (self.prices or {}).get(currency)
        try:
            return Decimal(str(amount)) if amount not in (None, "") else None
        except InvalidOperation:
            return None


class Benefit(TenantModel):
    """A reason the purchase was a good choice, for a product (sku) or a category.

    Both blank means it applies to every order: the fallback.
    """

    sku = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=5, choices=LOCALES)
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantModel.Meta):
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class Testimonial(TenantModel):
    """Social proof from a similar customer, entered by the merchant."""

    author_name = models.CharField(max_length=100)
    author_detail = models.CharField(max_length=100, blank=True)  # "Aarhus", "Studio K"
    quote = models.CharField(max_length=600)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1..5
    sku = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=5, choices=LOCALES)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.author_name}: {self.quote[:40]}"


class OrderNote(TenantModel):
    """A note staff leave on an order ("called, sofa arrives Friday"); part of its timeline."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        # The dashboard app kept it until #15; the table keeps its name (no data moved).
        db_table = "dashboard_ordernote"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"note on order {self.order_id} by {self.author_id}"
