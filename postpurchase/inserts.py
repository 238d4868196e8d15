"""New rows written with an INSERT compiled once per model and row count.

`bulk_create` compiles its INSERT on every call; on an ingested order Django built the
same statements (items, touchpoints, the follow-up call) again for each order, ~10% of
its CPU (#16). `insert_new` does what `bulk_create` does for new rows of one model (no
primary key yet, no conflicts): each field's pre_save (auto_now_add) and value prepared
by the field for the connection, the primary keys read back with RETURNING in row
order, the instances marked saved. Larger writes (a batch of a thousand orders) and
rows holding SQL expressions go to `bulk_create`, which batches and compiles them.
PostgreSQL and SQLite 3.35+ run the same statement; an older SQLite (no RETURNING)
gets bulk_create. A statement of a few rows is prepared on PostgreSQL (`execute_fixed`):
its text is the same for every order.
"""

import functools

from django.db import connections, models, router

from postpurchase.prepared import execute_fixed

MAX_PARAMS = 2000  # beyond this, bulk_create's batching


def insert_new(manager_rows, objs: list) -> list:
    """Insert `objs` (new instances of the queryset's model) through `manager_rows`, the
    scope the caller writes in (`for_merchant(...)` or `unscoped(...)`); returns `objs`."""
    if not objs:
        return objs
    statement = insert_statement(manager_rows, objs)
    if statement is None:
        return manager_rows.bulk_create(objs)
    sql, params, db = statement
    with connections[db].cursor() as cursor:
        execute_fixed(cursor, sql, params)
        mark_inserted(objs, [pk for (pk,) in cursor.fetchall()], db)
    return objs


def insert_new_with_children(parent_rows, parent, children_rows, children: list, *, link: str):
    """insert_new(parent_rows, [parent]), then insert_new(children_rows, children), whose
    foreign key `link` is the parent: on PostgreSQL one statement (a data-modifying
    WITH), where each was a round trip of every ingested order (#16: an order and its
    line items). Sends no signal, as insert_new."""
    db = router.db_for_write(parent_rows.model)
    connection = connections[db]
    statement = None
    if children and connection.vendor == "postgresql":
        statement = insert_statement(parent_rows, [parent])
    kids = statement and insert_statement(children_rows, children, link=link)
    if not kids:
        insert_new(parent_rows, [parent])
        return insert_new(children_rows, children)  # their keys follow the saved parent
    (parent_sql, parent_params, _), (kids_sql, kids_params, _) = statement, kids
    with connection.cursor() as cursor:
        execute_fixed(cursor, _with_children(parent_sql, kids_sql), [*parent_params, *kids_params])
        parent_pk, pks = cursor.fetchone()
    mark_inserted([parent], [parent_pk], db)
    attname = children[0]._meta.get_field(link).attname
    for child in children:
        setattr(child, attname, parent_pk)
    # Ids come from one sequence in row order within the INSERT: ascending is row order.
    mark_inserted(children, sorted(pks), db)
    return children


@functools.lru_cache(maxsize=64)
def _with_children(parent_sql: str, children_sql: str) -> str:
    return (
        f"WITH parent AS ({parent_sql}), children AS ({children_sql}) "  # noqa: S608 - see _sql
        "SELECT (SELECT * FROM parent), ARRAY(SELECT * FROM children)"
    )


def insert_statement(manager_rows, objs: list, *, returning: str = "", link: str = ""):
    """`(sql, params, db)`: the INSERT of `objs` (RETURNING the primary key, or the
    `returning` columns), for a caller that runs it itself, e.g. inside a WITH; None
    where `bulk_create` must write them (see the module's docstring). `link`: a foreign
    key whose value is the id a `parent` in the same WITH returns."""
    model = manager_rows.model
    fields = _fields(model)
    if len(objs) * len(fields) > MAX_PARAMS or any(
        type(obj) is not model or obj._is_pk_set() for obj in objs
    ):
        return None
    db = router.db_for_write(model)
    connection = connections[db]
    if not connection.features.can_return_rows_from_bulk_insert:
        # SQLite before 3.35 has no RETURNING: Django's own way there.
        return None
    params = []
    as_is = _as_is(model)
    linked = model._meta.get_field(link) if link else None
    checked = _relations_but(model, link) if linked else None
    for obj in objs:
        if checked is None or checked:  # an empty list would mean every field to Django
            obj._prepare_related_fields_for_save(operation_name="bulk_create", fields=checked)
        for field, kinds in zip(fields, as_is, strict=True):
            if field is linked:
                continue
            value = field.pre_save(obj, True)
            if type(value) in kinds:
                params.append(value)
                continue
            if hasattr(value, "resolve_expression"):
                return None
            params.append(field.get_db_prep_save(value, connection))
    return _sql(model, len(objs), db, returning, link), params, db


def mark_inserted(objs: list, pks: list, db: str) -> None:
    """The instances are rows now: their primary keys (in row order), saved state."""
    attname = objs[0]._meta.pk.attname if objs else ""
    for obj, pk in zip(objs, pks, strict=True):
        setattr(obj, attname, pk)
        obj._state.adding = False
        obj._state.db = db


@functools.cache
def _relations_but(model, link: str) -> list:
    # The keys save() checks for unsaved related objects, but the one the WITH fills.
    return [f for f in _fields(model) if f.is_relation and f.name != link]


@functools.cache
def _fields(model) -> tuple:
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not field.generated and field is not model._meta.pk
    )


# Field classes (exactly these) whose get_db_prep_save gives a value of these types back
# unchanged on every database: ~100 calls per ingested order did nothing (#16).
_UNCHANGED = {
    models.CharField: (str,),
    models.EmailField: (str,),
    models.URLField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.DateTimeField: (),
    models.DecimalField: (),
}


@functools.cache
def _as_is(model) -> tuple:
    """Per field of `_fields(model)`: the value types written as they are (None, where the
    column takes NULL, for the classes above and keys to them)."""

    def kinds(field) -> tuple:
        if type(field) in (models.ForeignKey, models.OneToOneField):
            target = kinds(field.target_field)
            return target + ((type(None),) if field.null and target else ())
        if type(field) not in _UNCHANGED:
            return ()
        return _UNCHANGED[type(field)] + ((type(None),) if field.null else ())

    return tuple(kinds(field) for field in _fields(model))


@functools.lru_cache(maxsize=256)
def _sql(model, rows: int, db: str, returning: str = "", link: str = "") -> str:
    quote = connections[db].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _fields(model))
    # A `link` is the key the parent of the same WITH returns (insert_new_with_children).
    values = ["(SELECT * FROM parent)" if field.name == link else "%s" for field in _fields(model)]
    row = "(" + ", ".join(values) + ")"
    # Names from the model's meta (and the caller's column list) only; every value is a
    # parameter.
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} "
        f"RETURNING {returning or quote(model._meta.pk.column)}"
    )
