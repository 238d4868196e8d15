"""Moving a touchpoint between statuses, always with a row in its status history.

Every move is a conditional UPDATE on the status the caller expects, so two
processes racing over the same row cannot both move it.
"""

import functools

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import Touchpoint, TouchpointStatusChange
from postpurchase import events
from postpurchase.inserts import insert_new, insert_statement, mark_inserted
from postpurchase.prepared import execute_fixed

# Why these writes pass the tenant wall (postpurchase/tenancy.py).
BY_PK = "by primary key: touchpoints already read in scope"
HISTORY = "history rows of touchpoints read in scope, each with its own merchant"


def touchpoint_transition(
    *,
    touchpoint: Touchpoint,
    to_status: str,
    from_statuses: tuple[str, ...],
    reason: str = "",
    **fields,
) -> bool:
    """Move `touchpoint` to `to_status` if it is in one of `from_statuses`. True if it moved.

    Inside a caller's transaction it adds no savepoint: an error here fails the
    caller's whole transaction, which is what every caller wants.
    """
    with transaction.atomic(savepoint=False):
        if not _move_with_history(touchpoint, to_status, from_statuses, reason[:500], fields):
            return False
        touchpoint_moved(touchpoint, to_status, reason, fields)
    return True


def touchpoint_moved(touchpoint: Touchpoint, to_status: str, reason: str, fields: dict) -> None:
    """Bring the in-memory touchpoint up to date with its row, and tell the merchant.

    For a writer that moved the row and wrote its history row itself (the sender's
    one-statement outcome); call it in the transaction of that write."""
    previous = touchpoint.status
    touchpoint.status = to_status
    for name, value in fields.items():
        if not isinstance(value, F):
            setattr(touchpoint, name, value)
    if to_status == Touchpoint.Status.SENT and previous != Touchpoint.Status.SENT:
        _emit(touchpoint, "touchpoint.sent")
    elif to_status == Touchpoint.Status.FAILED:
        _emit(touchpoint, "touchpoint.failed", reason=reason)


def _move_with_history(touchpoint, to_status, from_statuses, reason, fields) -> bool:
    """The conditional UPDATE and, if it moved the row, its history row."""
    now = timezone.now()
    if connection.vendor == "postgresql" and not any(
        hasattr(value, "resolve_expression") for value in fields.values()
    ):
        return _move_with_history_in_one_statement(
            touchpoint, to_status, from_statuses, reason, {"updated_at": now, **fields}
        )
    updated = (
        Touchpoint.objects.unscoped(reason=BY_PK)
        .filter(pk=touchpoint.pk, status__in=from_statuses)
        .update(status=to_status, updated_at=now, **fields)
    )
    if not updated:
        return False
    TouchpointStatusChange.objects.create(
        merchant_id=touchpoint.merchant_id,
        touchpoint_id=touchpoint.pk,
        from_status=touchpoint.status,
        to_status=to_status,
        reason=reason,
    )
    return True


def _move_with_history_in_one_statement(touchpoint, to_status, from_statuses, reason, fields):
    """Both writes as one PostgreSQL statement (a data-modifying WITH): the same effect
    as the two ORM statements, for a third of the CPU and one round trip (every send
    makes one of these)."""
    meta = Touchpoint._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{field.column} = %s" for field in columns)
    values = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(columns, fields.values(), strict=True)
    ]
    statuses = ", ".join(["%s"] * len(from_statuses))
    created_at = TouchpointStatusChange._meta.get_field("created_at").get_default()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {meta.db_table} SET status = %s, {assignments} "  # noqa: S608
            f"WHERE id = %s AND status IN ({statuses}) RETURNING id, merchant_id) "
            f"INSERT INTO {TouchpointStatusChange._meta.db_table} "
            "(merchant_id, touchpoint_id, from_status, to_status, reason, created_at) "
            "SELECT merchant_id, id, %s, %s, %s, %s FROM moved",
            [
                to_status,
                *values,
                touchpoint.pk,
                *from_statuses,
                touchpoint.status,
                to_status,
                reason,
                created_at,
            ],
        )
        return cursor.rowcount == 1


def touchpoints_transition(
    *,
    touchpoints: list[Touchpoint],
    to_status: str,
    from_statuses: tuple[str, ...],
    reason: str = "",
    **fields,
) -> list[Touchpoint]:
    """touchpoint_transition for many touchpoints in a constant number of queries.

    Locks those still in one of `from_statuses`, moves them with one UPDATE and writes
    their history rows in one INSERT. Returns the touchpoints that moved. Inside a
    caller's transaction it adds no savepoint: an error fails the caller's transaction.
    """
    if not touchpoints:
        return []
    with transaction.atomic(savepoint=False):
        movable = set(
            Touchpoint.objects.unscoped(reason=BY_PK)
            .select_for_update()
            .filter(pk__in=[tp.pk for tp in touchpoints], status__in=from_statuses)
            .values_list("pk", flat=True)
        )
        moved = [tp for tp in touchpoints if tp.pk in movable]
        if not moved:
            return []
        Touchpoint.objects.unscoped(reason=BY_PK).filter(pk__in=movable).update(
            status=to_status, updated_at=timezone.now(), **fields
        )
        TouchpointStatusChange.objects.unscoped(reason=HISTORY).bulk_create(
            TouchpointStatusChange(
                merchant_id=tp.merchant_id,
                touchpoint_id=tp.pk,
                from_status=tp.status,
                to_status=to_status,
                reason=reason[:500],
            )
            for tp in moved
        )
        for tp in moved:
            touchpoint_moved(tp, to_status, reason, fields)
    return moved


def touchpoints_create_planned(rows, touchpoints: list[Touchpoint]) -> list[Touchpoint]:
    """Insert new touchpoints through `rows` (their merchant's scope) with the first line of
    each one's history, as `insert_new` and `touchpoint_record_planned` do: on PostgreSQL
    in one statement (a data-modifying WITH), where the ORM's history insert was compiled
    for every ingested order and was a round trip of its own (#16)."""
    statement = None
    if touchpoints and connection.vendor == "postgresql":
        statement = insert_statement(rows, touchpoints, returning="id, merchant_id, status, error")
    if statement is None:
        insert_new(rows, touchpoints)
        touchpoint_record_planned(touchpoints)
        return touchpoints
    insert, params, db = statement
    created_at = TouchpointStatusChange._meta.get_field("created_at").get_default()
    with connection.cursor() as cursor:
        execute_fixed(cursor, _with_planned_history(insert), [*params, "planned", created_at])
        mark_inserted(touchpoints, [pk for (pk,) in cursor.fetchall()], db)
    return touchpoints


@functools.lru_cache(maxsize=64)
def _with_planned_history(insert: str) -> str:
    # Ids come from one sequence in row order within the INSERT: ORDER BY id is row order.
    return (
        f"WITH new AS ({insert}), planned AS ("  # noqa: S608 - names from the models' meta
        f"INSERT INTO {TouchpointStatusChange._meta.db_table} "
        "(merchant_id, touchpoint_id, from_status, to_status, reason, created_at) "
        "SELECT merchant_id, id, '', status, COALESCE(NULLIF(error, ''), %s), %s::timestamptz "
        "FROM new) "
        "SELECT id FROM new ORDER BY id"
    )


def touchpoint_record_planned(touchpoints: list[Touchpoint], *, reason: str = "planned") -> None:
    """The first line of each new touchpoint's history."""
    TouchpointStatusChange.objects.unscoped(reason=HISTORY).bulk_create(
        TouchpointStatusChange(
            merchant_id=tp.merchant_id,
            touchpoint_id=tp.pk,
            from_status="",
            to_status=tp.status,
            reason=tp.error or reason,
        )
        for tp in touchpoints
        if tp.pk
    )


def _emit(touchpoint: Touchpoint, name: str, reason: str = "") -> None:
    data = {
        "touchpoint_id": touchpoint.pk,
        "order_id": touchpoint.order_id,
        "kind": touchpoint.kind,
        "channel": touchpoint.channel,
        "status": touchpoint.status,
    }
    if reason:
        data["reason"] = reason
    events.emit(merchant=touchpoint.merchant, name=name, data=data)
