"""Fewer indexes written per send (#16, third round).

A send updates its touchpoint three times (claim, attempt start, outcome), and a non-HOT
update writes an entry in every index whose predicate the new row meets. This drops
the indexes no query needs (merchant_id and order_id alone, led by
touchpoint_kind_due_idx and uniq_touchpoint_per_cause; the varchar_pattern_ops twins of
callback_code and provider_message_id, which only a LIKE 'prefix%' would use), keeps
unsent rows out of the metrics' sent_at index, and keys the stuck-claim index on columns
a start does not change, so a start can be a HOT update; fillfactor 85 leaves the room
on each page that a HOT update needs (new pages only).

Non-atomic, CONCURRENTLY on PostgreSQL: a big table keeps taking writes meanwhile.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex, RemoveIndex
import django.db.models.deletion

TABLE = "notifications_touchpoint"
# Made by Django from the fields' db_index / unique (0001); (name, column, opclass).
DROPPED = [
    ("notifications_touchpoint_merchant_id_174ee5e6", "merchant_id", ""),
    ("notifications_touchpoint_order_id_865e1ccb", "order_id", ""),
    (
        "notifications_touchpoint_callback_code_960dfa6c_like",
        "callback_code",
        "varchar_pattern_ops",
    ),
    (
        "notifications_touchpoint_provider_message_id_53824498_like",
        "provider_message_id",
        "varchar_pattern_ops",
    ),
]


class AddIndexSafely(AddIndexConcurrently):
    """CONCURRENTLY on PostgreSQL, a plain CREATE INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexSafely(RemoveIndexConcurrently):
    """CONCURRENTLY on PostgreSQL, a plain DROP INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def drop_field_indexes(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, _column, _opclass in DROPPED:
        schema_editor.execute(
            f"DROP INDEX {'CONCURRENTLY ' if postgres else ''}IF EXISTS {name}"  # noqa: S608
        )
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 85)")


def restore_field_indexes(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, column, opclass in DROPPED:
        if opclass and not postgres:
            continue
        schema_editor.execute(
            f"CREATE INDEX {'CONCURRENTLY ' if postgres else ''}IF NOT EXISTS {name} "  # noqa: S608
            f"ON {TABLE} ({column} {opclass})"
        )
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0007_suppression_tenant_manager"),
        ("orders", "0002_initial"),
        ("postpurchase", "0001_initial"),
    ]

    operations = [
        # New indexes first, so no query goes without one in between.
        AddIndexSafely(
            model_name="touchpoint",
            index=models.Index(
                condition=models.Q(("status", "sending")),
                fields=["due_at", "id"],
                name="touchpoint_sending_idx",
            ),
        ),
        AddIndexSafely(
            model_name="touchpoint",
            index=models.Index(
                condition=models.Q(("sent_at__isnull", False)),
                fields=["merchant", "kind", "sent_at"],
                name="touchpoint_sent_idx",
            ),
        ),
        RemoveIndexSafely(model_name="touchpoint", name="touchpoint_claimed_idx"),
        RemoveIndexSafely(model_name="touchpoint", name="touchpoint_kind_sent_idx"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="touchpoint",
                    name="merchant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="postpurchase.merchant",
                    ),
                ),
                migrations.AlterField(
                    model_name="touchpoint",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="touchpoints",
                        to="orders.order",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_field_indexes, restore_field_indexes),
            ],
        ),
    ]
