"""Helpers for the call-queue tests: buyers placing orders, account managers joining."""

import datetime as dt

from django.utils import timezone

from followups.models import FollowUpCall
from orders.models import Order
from orders.serializers import OrderInput
from orders.services import order_upsert
from postpurchase.models import Membership, User
from tests.conftest import make_payload


def place_order(
    merchant,
    external_id: str,
    *,
    first_name: str = "Anna",
    last_name: str = "Holm",
    email: str | None = None,
    phone: str = "+4520123456",
    total: str = "1299.00",
    placed_at: dt.datetime | None = None,
    referred_by: str = "",
    consent_email: bool = True,
    external_customer_id: str = "",
) -> Order:
    """An order through the real ingestion service, as the API would create it."""
    payload = make_payload(external_id)
    payload["customer"].update(
        first_name=first_name,
        last_name=last_name,
        email=email if email is not None else f"{first_name.lower()}.{external_id}@example.com",
        phone=phone,
        external_id=external_customer_id,
        consent={"email": consent_email, "sms": False, "call": True},
    )
    payload["total"] = total
    payload["items"][0]["unit_price"] = total
    payload["placed_at"] = (placed_at or timezone.now()).isoformat()
    payload["referred_by"] = referred_by
    data = OrderInput(data=payload)
    data.is_valid(raise_exception=True)
    return order_upsert(merchant=merchant, data=data.validated_data).order


def call_of(order: Order) -> FollowUpCall:
    return FollowUpCall.objects.for_merchant(order.merchant).get(order=order)


def account_manager(merchant, email: str, name: str) -> User:
    user = User.objects.create_user(email, "manager-password-1", full_name=name)
    Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.ACCOUNT_MANAGER)
    return user


def make_due_now(call: FollowUpCall) -> FollowUpCall:
    """Pretend the next business day has come: the call is due an hour ago."""
    call.due_at = timezone.now() - dt.timedelta(hours=1)
    call.save(update_fields=["due_at"])
    return call
