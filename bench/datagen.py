"""Fast data generation for the scale measurements: INSERT … SELECT generate_series in PostgreSQL.

Rows are built by the database itself (no Python per row), so a million orders with
their customers, items, touchpoints, shipments and events take about a minute on 2
cores (see docs/performance.md). Columns the generator does not know (added later by
others) get their model default, so the generator keeps working as the models grow.
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, connection, transaction

from notifications.models import Touchpoint
from orders.models import Customer, LineItem, Order, Shipment, ShipmentEvent
from tracking.models import TrackingVisit


def _reserve_ids(model, count: int) -> int:
    """Move the model's id sequence past `count` ids and return the first one reserved."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        start = max(cursor.fetchone()[0], 0) + 1
        cursor.execute("SELECT setval(%s, %s)", [sequence, start + count])
    return start


def default_columns(model, given) -> dict:
    """Database-ready model defaults for the required columns not in `given`.

    Keeps raw inserts working when someone adds a column with a default to a model.
    """
    out = {}
    for field in model._meta.concrete_fields:
        if field.column in given or field.null or field.primary_key:
            continue
        if not field.has_default() and not field.blank:
            raise RuntimeError(f"bench: no value for {model.__name__}.{field.column}")
        out[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return out


def _insert(model, count: int, expressions: dict[str, str], *, source: str = "", params=()) -> int:
    """INSERT rows of `model`; `expressions` are SQL over g = 0..count-1, or over `source`."""
    defaults = default_columns(model, expressions)
    columns = [*expressions, *defaults]
    # Literal % in the expressions must survive psycopg2's parameter formatting.
    values = [e.replace("%", "%%") for e in expressions.values()] + ["%s"] * len(defaults)
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} "
    if source:
        sql += source
        args = [*defaults.values(), *params]
    else:
        sql += "FROM generate_series(0, %s) AS g"
        args = [*defaults.values(), count - 1]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.rowcount


def insert_from(model, source: str, expressions: dict[str, str], params=()) -> int:
    """INSERT INTO model's table SELECT `expressions` `source` (a FROM clause); the model's
    defaults fill the other required columns."""
    return _insert(model, 0, expressions, source=source, params=params)


def insert_rows(cursor, model, rows: list[dict], *, returning: bool = False, page: int = 1000):
    """execute_values of `rows` (dicts of column: value) plus the model's defaults."""
    from psycopg2.extras import execute_values

    given = list(rows[0])
    defaults = default_columns(model, given)
    columns = [*given, *defaults]
    table = model._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s"  # noqa: S608 - model names
    if returning:
        sql += " RETURNING id"
    tail = tuple(defaults.values())
    return execute_values(
        cursor,
        sql,
        [tuple(row[c] for c in given) + tail for row in rows],
        page_size=page,
        fetch=returning,
    )


@contextlib.contextmanager
def _foreign_keys_unchecked():
    """Skip the per-row foreign key checks for rows that are consistent by construction.

    Every generated row points at ids reserved just before (`_reserve_ids`), so the
    checks cannot fail; made one by one at commit they took as long as the inserts
    themselves. The constraints stay in place for everything else, this session's
    later writes included. Needs a superuser (`session_replication_role`); anyone else
    gets the checked, slower path.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            yield
            return
        cursor.execute("SHOW session_replication_role")
        before = cursor.fetchone()[0]
        cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            # After an error the transaction's rollback undoes the SET anyway.
            with contextlib.suppress(DatabaseError):
                cursor.execute("SELECT set_config('session_replication_role', %s, false)", [before])


def generate_orders(
    *,
    merchant_ids: list[int],
    count: int,
    days_ago_min: float,
    days_ago_max: float,
    label: str,
    items_per_order: int = 3,
    shipped_every: int = 2,
    parallel: bool = False,
) -> None:
    """`count` orders spread round-robin over `merchant_ids`, placed in the given age window.

    Each order has its own customer, `items_per_order` items, a congratulation (sent),
    a follow-up call (done) and two tracking-page visits, and every `shipped_every`-th order a shipment with
    two events. Old history is what a merchant has after years; nothing of it is due.

    `parallel` writes the touchpoints (the costliest table: most indexes) from a second
    connection, in its own transaction, while this one writes the rest. Only for a
    database nobody else is using, as the bench's: that transaction commits on its own,
    so never inside a test's transaction.
    """
    if count <= 0:
        return
    with _foreign_keys_unchecked():
        inserts = _order_inserts(
            merchant_ids=merchant_ids,
            count=count,
            days_ago_min=days_ago_min,
            days_ago_max=days_ago_max,
            label=label,
            items_per_order=items_per_order,
            shipped_every=shipped_every,
        )
        if not parallel:
            _run(inserts)
            return
        touchpoints = [i for i in inserts if i[0] is Touchpoint]
        with ThreadPoolExecutor(max_workers=1) as pool:
            other_connection = pool.submit(_run_in_own_transaction, touchpoints)
            _run([i for i in inserts if i[0] is not Touchpoint])
            other_connection.result()


def _run(inserts) -> None:
    for model, count, expressions in inserts:
        _insert(model, count, expressions)


def _run_in_own_transaction(inserts) -> None:
    """In a worker thread, which Django gives its own connection (closed at the end)."""
    try:
        with transaction.atomic(), _foreign_keys_unchecked():
            _run(inserts)
    finally:
        connection.close()


def _order_inserts(
    *,
    merchant_ids: list[int],
    count: int,
    days_ago_min: float,
    days_ago_max: float,
    label: str,
    items_per_order: int,
    shipped_every: int,
) -> list[tuple]:
    """The (model, row count, column expressions) of each INSERT, their ids reserved."""
    inserts = []

    def add(model, rows: int, expressions: dict[str, str]) -> None:
        inserts.append((model, rows, expressions))

    # Unique text keys (tokens, codes, external ids) rise with g: each index then grows
    # at its right edge like an id's, instead of at random pages as a random key would.
    serial = "lpad(g::text, 9, '0')"
    merchants = "ARRAY[" + ",".join(str(int(m)) for m in merchant_ids) + "]::bigint[]"
    merchant_of = f"({merchants})[1 + (g % {len(merchant_ids)})]"
    span = days_ago_max - days_ago_min
    placed = (
        f"now() - make_interval(secs => ({days_ago_min} + {span} * (g::float8 / {count})) * 86400)"
    )
    customer0 = _reserve_ids(Customer, count)
    add(
        Customer,
        count,
        {
            "id": f"{customer0} + g",
            "merchant_id": merchant_of,
            "email": f"'{label}' || {serial} || '@gen.example'",
            "phone": "'+452' || lpad((g % 10000000)::text, 7, '0')",
            "first_name": "'Gen'",
            "last_name": "'Buyer ' || g",
            "locale": "'da'",
            "consent_email": "true",
            "consent_sms": "true",
            "consent_call": "true",
            "created_at": placed,
            "updated_at": placed,
        },
    )
    order0 = _reserve_ids(Order, count)
    add(
        Order,
        count,
        {
            "id": f"{order0} + g",
            "merchant_id": merchant_of,
            "customer_id": f"{customer0} + g",
            "external_id": f"'{label}-' || {serial}",
            "number": f"'#{label}-' || {serial}",
            "placed_at": placed,
            "currency": "'DKK'",
            "total": "(100 + g % 5000)::numeric(12,2)",
            "locale": "'da'",
            "shipping_line1": "'Strandvejen ' || (g % 200)",
            "shipping_city": "'Aarhus'",
            "shipping_postal_code": "'8000'",
            "shipping_country": "'DK'",
            "tracking_token": f"'{label}t' || {serial}",
            "created_at": placed,
            "updated_at": placed,
        },
    )
    item_count = count * items_per_order
    add(
        LineItem,
        item_count,
        {
            "order_id": f"{order0} + g / {items_per_order}",
            "sku": "'SKU-' || (g % 300)",
            "name": "'Product ' || (g % 300)",
            "quantity": "1 + g % 3",
            "unit_price": "(50 + g % 2000)::numeric(12,2)",
            "image_url": "'https://shop.example.com/img/' || (g % 300) || '.jpg'",
            "product_url": "'https://shop.example.com/p/' || (g % 300)",
            "position": f"g % {items_per_order}",
        },
    )
    order_of_pair = f"{order0} + g / 2"
    placed_of_pair = placed.replace("g::float8", "(g / 2)::float8")
    add(
        Touchpoint,
        count * 2,
        {
            "merchant_id": f"({merchants})[1 + ((g / 2) % {len(merchant_ids)})]",
            "order_id": order_of_pair,
            "kind": "CASE WHEN g % 2 = 0 THEN 'congratulation' ELSE 'followup_call' END",
            "channel": "CASE WHEN g % 2 = 0 THEN 'email' ELSE 'call' END",
            "cause": "'order'",
            "status": "CASE WHEN g % 2 = 0 THEN 'sent' ELSE 'done' END",
            "due_at": placed_of_pair,
            "sent_at": placed_of_pair,
            "attempts": "1",
            "callback_code": f"'{label}c' || {serial}",
            "created_at": placed_of_pair,
            "updated_at": placed_of_pair,
        },
    )
    # Every buyer looks at the tracking page twice (the metrics page counts them).
    add(
        TrackingVisit,
        count * 2,
        {
            "merchant_id": f"({merchants})[1 + ((g / 2) % {len(merchant_ids)})]",
            "order_id": order_of_pair,
            "visited_at": f"{placed_of_pair} + (1 + g % 2) * interval '10 minutes'",
            "client_hash": "'gen' || (g / 2)",
            "source": "CASE WHEN g % 2 = 0 THEN 'email' ELSE 'direct' END",
        },
    )
    shipments = count // shipped_every
    if shipments:
        shipment0 = _reserve_ids(Shipment, shipments)
        order_of_shipment = f"{order0} + g * {shipped_every}"
        placed_of_shipment = placed.replace("g::float8", f"(g * {shipped_every})::float8")
        add(
            Shipment,
            shipments,
            {
                "id": f"{shipment0} + g",
                "merchant_id": f"({merchants})[1 + ((g * {shipped_every}) % {len(merchant_ids)})]",
                "order_id": order_of_shipment,
                "carrier": "'gls'",
                "tracking_number": f"'{label}' || g",
                "status": "CASE WHEN g % 3 = 0 THEN 'in_transit' ELSE 'delivered' END",
                "status_at": placed_of_shipment,
                "created_at": placed_of_shipment,
                "updated_at": placed_of_shipment,
            },
        )
        placed_of_event = placed.replace("g::float8", f"((g / 2) * {shipped_every})::float8")
        add(
            ShipmentEvent,
            shipments * 2,
            {
                "merchant_id": f"({merchants})[1 + (((g / 2) * {shipped_every}) % {len(merchant_ids)})]",
                "shipment_id": f"{shipment0} + g / 2",
                "status": "CASE WHEN g % 2 = 0 THEN 'label_created' ELSE 'in_transit' END",
                "occurred_at": f"{placed_of_event} + (g % 2) * interval '1 hour'",
                "location": "'Aarhus'",
                "created_at": placed_of_event,
            },
        )
    return inserts


def analyze() -> None:
    """Fresh statistics, and (outside a transaction) the visibility map a vacuumed table has
    and a checkpoint.

    Without the VACUUM, index-only scans visit the heap for every row until autovacuum
    comes by, and autovacuum coming by in the middle of a measurement is noise; so is
    the checkpoint that gigabytes of generated rows would otherwise trigger during it.
    """
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("ANALYZE")
            return
        cursor.execute("VACUUM (ANALYZE)")
        with contextlib.suppress(DatabaseError):  # superusers and pg_checkpoint only
            cursor.execute("CHECKPOINT")
