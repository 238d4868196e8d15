"""New rows written with an INSERT compiled once per model and row count.

`bulk_create` compiles its INSERT on every call; on an ingested order Django built the
same statements (items, touchpoints, the follow-up call) again for each order, ~10% of
its CPU (#16). `insert_new` does what `bulk_create` does for new rows of one model (no
primary key yet, no conflicts): each field's pre_save (auto_now_add) and value prepared
by the field for the connection, the primary keys read back with RETURNING in row
order, the instances marked saved. Larger writes (a batch of a thousand orders) and
rows holding SQL expressions go to `bulk_create`, which batches and compiles them.
PostgreSQL and SQLite 3.35+ run the same statement; an older SQLite (no RETURNING)
gets bulk_create.
"""

import functools

from django.db import connections, router

MAX_PARAMS = 2000  # beyond this, bulk_create's batching


def insert_new(manager_rows, objs: list) -> list:
    """Insert `objs` (new instances of the queryset's model) through `manager_rows`, the
    scope the caller writes in (`for_merchant(...)` or `unscoped(...)`); returns `objs`."""
    if not objs:
        return objs
    model = manager_rows.model
    meta = model._meta
    fields = _fields(model)
    if len(objs) * len(fields) > MAX_PARAMS or any(
        type(obj) is not model or obj._is_pk_set() for obj in objs
    ):
        return manager_rows.bulk_create(objs)
    db = router.db_for_write(model)
    connection = connections[db]
    if not connection.features.can_return_rows_from_bulk_insert:
        # SQLite before 3.35 has no RETURNING: Django's own way there.
        return manager_rows.bulk_create(objs)
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        for field in fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return manager_rows.bulk_create(objs)
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(_sql(model, len(objs), db), params)
        rows = cursor.fetchall()
    for obj, (pk,) in zip(objs, rows, strict=True):
        setattr(obj, meta.pk.attname, pk)
        obj._state.adding = False
        obj._state.db = db
    return objs


@functools.cache
def _fields(model) -> tuple:
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not field.generated and field is not model._meta.pk
    )


@functools.lru_cache(maxsize=256)
def _sql(model, rows: int, db: str) -> str:
    quote = connections[db].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _fields(model))
    row = "(" + ", ".join(["%s"] * len(_fields(model))) + ")"
    # Names from the model's meta only; every value is a parameter.
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )
