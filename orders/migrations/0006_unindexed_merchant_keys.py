import django.db.models.deletion
from django.db import migrations, models

from postpurchase.schema import drop_index_concurrently


def merchant_key():
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="postpurchase.merchant",
    )


class Migration(migrations.Migration):
    """Indexes every new order and customer maintained that no query needs (#16, third
    round): merchant_id alone (the (merchant, ...) indexes serve it) and the order's
    tracking token for LIKE (Django adds it to unique text columns; the token is only
    ever looked up whole, by its unique index). Dropped concurrently: the tables are the
    biggest there are."""

    atomic = False

    dependencies = [
        ("orders", "0005_ordernote"),
        ("postpurchase", "0002_branding_texts_per_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="customer", name="merchant", field=merchant_key()),
                migrations.AlterField(model_name="order", name="merchant", field=merchant_key()),
            ],
            database_operations=[
                drop_index_concurrently(
                    "orders_customer", "orders_customer_merchant_id_9083ca5b", "merchant_id"
                ),
                drop_index_concurrently(
                    "orders_order", "orders_order_merchant_id_ab634f2d", "merchant_id"
                ),
            ],
        ),
        drop_index_concurrently(
            "orders_order",
            "orders_order_tracking_token_c0dd4d3d_like",
            "tracking_token varchar_pattern_ops",
        ),
    ]
