"""A branding save and a live preview lock the merchant before its branding (no deadlock)."""

import threading

import pytest
from django.db import connection, transaction

from dashboard.services import branding_update
from postpurchase.models import Branding, Merchant

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_branding_save_waits_for_the_merchant_before_locking_its_branding(merchant_a):
    Branding.objects.get_or_create(merchant=merchant_a)
    saved = threading.Event()

    def save():
        try:
            branding_update(merchant=merchant_a, actor=None, values={"primary_color": "#0b6e4f"})
            saved.set()
        finally:
            connection.close()

    with transaction.atomic():
        # What the preview's sample order does first: the merchant, locked.
        Merchant.objects.select_for_update().get(pk=merchant_a.pk)
        saver = threading.Thread(target=save)
        saver.start()
        saver.join(timeout=1.0)
        assert not saved.is_set()  # the save waits on the merchant's lock...
        # ...without holding the branding, which the preview writes next. Had the save
        # locked the branding first, this would fail at once (and then deadlock).
        Branding.objects.select_for_update(nowait=True).get(merchant=merchant_a)
    saver.join(timeout=30)
    assert saved.is_set()
    assert Branding.objects.get(merchant=merchant_a).primary_color == "#0b6e4f"
