import django.db.models.deletion
from django.db import migrations, models

from postpurchase.schema import drop_index_concurrently


class Migration(migrations.Migration):
    """The call's merchant_id index, which every new order's call maintained and no query
    needs: the (merchant, due_at) and (merchant, assignee, status) indexes serve it (#16,
    third round). Dropped concurrently, not to stop the table's writes meanwhile."""

    atomic = False

    dependencies = [
        ("followups", "0003_followupcall_metrics_indexes"),
        ("postpurchase", "0002_branding_texts_per_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="followupcall",
                    name="merchant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="postpurchase.merchant",
                    ),
                ),
            ],
            database_operations=[
                drop_index_concurrently(
                    "followups_followupcall",
                    "followups_followupcall_merchant_id_c3a1ea73",
                    "merchant_id",
                ),
            ],
        ),
    ]
