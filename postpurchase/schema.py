"""Schema changes that must not stop writes to a big table while they run."""

from django.db import migrations


def drop_index_concurrently(table: str, name: str, columns: str) -> migrations.RunPython:
    """Drop index `name` of `table` (on `columns`, to create it again when reversed)
    without the lock that blocks the table's writes meanwhile: CONCURRENTLY on PostgreSQL,
    so the migration must be non-atomic (`atomic = False`). Index and table names are
    the migration's constants, never input."""

    def forward(apps, schema_editor):
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")

    def backward(apps, schema_editor):
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({columns})"
        )

    return migrations.RunPython(forward, backward, elidable=False)
