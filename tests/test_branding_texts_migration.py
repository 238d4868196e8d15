"""The migration to per-language banner and link texts keeps what merchants wrote (#17.3):
the single text becomes the text of the merchant's default language."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("postpurchase", "0001_initial")]


def _migrate(targets=None):
    """Migrate to `targets`, or back to the latest of every app; the models as of then."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_single_banner_and_link_labels_become_the_default_languages():
    old = _migrate(BEFORE)
    try:
        merchant = old.get_model("postpurchase", "Merchant").objects.create(
            name="Bergmann Möbel", slug="bergmann-m", default_locale="de"
        )
        old.get_model("postpurchase", "Branding").objects.create(
            merchant=merchant,
            banner_message="Kostenloser Versand",
            shop_links=[{"label": "Sofas", "url": "https://bergmann.example/sofas"}],
        )
    finally:
        new = _migrate()
    branding = new.get_model("postpurchase", "Branding").objects.get(merchant_id=merchant.pk)
    assert branding.banner_messages == {"de": "Kostenloser Versand"}
    assert branding.shop_links == [
        {"label": "Sofas", "labels": {"de": "Sofas"}, "url": "https://bergmann.example/sofas"}
    ]
