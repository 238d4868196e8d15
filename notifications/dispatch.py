"""The dispatcher: claims due touchpoints and sends each exactly once.

A claim is a conditional UPDATE (status scheduled -> sending) that only one
dispatcher can win, on PostgreSQL and SQLite alike. The dispatcher also gives
back claims whose worker died mid-send (stuck in `sending`), so nothing stays
unsent forever.
"""

import logging

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from notifications import conf
from notifications.history import touchpoint_transition
from notifications.models import DeliveryAttempt, Touchpoint

logger = logging.getLogger(__name__)

SENDABLE_CHANNELS = (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS)
S = Touchpoint.Status


def touchpoint_claim(*, touchpoint_id: int) -> bool:
    """Win the right to send one touchpoint. False if someone else has it or it is done."""
    now = timezone.now()
    won = Touchpoint.all_merchants.filter(
        pk=touchpoint_id, status=S.SCHEDULED, due_at__lte=now
    ).update(status=S.SENDING, claimed_at=now, updated_at=now)
    return won == 1


def touchpoints_claim(*, touchpoint_ids: list[int], now) -> list[int]:
    """Win the right to send these touchpoints; returns the ids won.

    One conditional UPDATE for the batch, committed at once: only rows still
    scheduled and due are taken, and a row is won by exactly one caller (the
    RETURNING list says which), however many tasks carry its id.
    """
    if not touchpoint_ids:
        return []
    table = Touchpoint._meta.db_table
    at = Touchpoint._meta.get_field("claimed_at").get_db_prep_value(now, connection)
    ids = ", ".join(["%s"] * len(touchpoint_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_at = %s, updated_at = %s "  # noqa: S608
            f"WHERE id IN ({ids}) AND status = %s AND due_at <= %s RETURNING id",
            [S.SENDING, at, at, *touchpoint_ids, S.SCHEDULED, at],
        )
        return [row[0] for row in cursor.fetchall()]


def touchpoints_unclaim(*, touchpoint_ids: list[int], claimed_at) -> int:
    """Give back claimed rows not started yet (no attempt), as they were: due, scheduled."""
    return Touchpoint.all_merchants.filter(
        pk__in=touchpoint_ids, status=S.SENDING, claimed_at=claimed_at
    ).update(status=S.SCHEDULED, claimed_at=None, updated_at=timezone.now())


def due_touchpoint_ids(*, limit: int = 1000) -> list[int]:
    return list(
        Touchpoint.objects.unscoped()
        .filter(status=S.SCHEDULED, due_at__lte=timezone.now(), channel__in=SENDABLE_CHANNELS)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def touchpoints_recover_stuck(*, now=None) -> list[int]:
    """Give claims older than TOUCHPOINT_STUCK_AFTER_SECONDS back to `scheduled`.

    Their worker died (SIGKILL, OOM, deploy) between claim and outcome. The
    in-progress attempt is marked abandoned; the provider may have accepted it,
    so the resend can be the one duplicate the design allows.
    """
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(seconds=conf.stuck_after_seconds())
    recovered = []
    stuck = (
        Touchpoint.objects.unscoped()
        .filter(status=S.SENDING, claimed_at__lt=cutoff)
        .select_related("merchant")[:500]
    )
    for touchpoint in stuck:
        give_up = touchpoint.attempts >= conf.max_attempts()
        moved = touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.FAILED if give_up else S.SCHEDULED,
            from_statuses=(S.SENDING,),
            reason="claim expired (worker lost mid-send)"
            + (f"; gave up after {touchpoint.attempts} attempts" if give_up else ""),
            due_at=now,
            claimed_at=None,
        )
        # Only the one who moved it (a claimed_at match would be stricter, but the
        # conditional status update already makes this single-winner).
        if moved:
            DeliveryAttempt.all_merchants.filter(
                touchpoint_id=touchpoint.pk, outcome=DeliveryAttempt.Outcome.IN_PROGRESS
            ).update(
                outcome=DeliveryAttempt.Outcome.ABANDONED,
                finished_at=now,
                error="worker lost before the outcome was recorded",
            )
            recovered.append(touchpoint.pk)
    if recovered:
        logger.warning("recovered %d stuck touchpoint claim(s)", len(recovered))
    return recovered


def touchpoints_dispatch_due(
    *, limit: int | None = None, inline: bool = False, recover: bool = True
) -> list[int]:
    """Queue (or with inline=True, send here) every due touchpoint. Returns the ids.

    Ids go to the queue in batches (TOUCHPOINT_SEND_BATCH per task): a worker reads
    what a batch shares once and sends its rows one by one.
    """
    from notifications.sending import touchpoints_send
    from notifications.tasks import enqueue_sends

    recovered = touchpoints_recover_stuck() if recover else []
    ids = due_touchpoint_ids(limit=limit or conf.dispatch_limit())
    if inline:
        for batch in batches(ids):
            touchpoints_send(touchpoint_ids=batch)
        return ids
    ids = not_queued_recently(ids, but=recovered)
    if ids:
        transaction.on_commit(lambda: enqueue_sends(ids))
    return ids


def _queued_key(touchpoint_id: int) -> str:
    return f"notifications:queued:{touchpoint_id}"


def remember_queued(touchpoint_ids: list[int]) -> None:
    """Note that these ids are in the queue, so the next passes do not queue them again.

    Only saves work: the claim decides who sends, so a forgotten note (cache down,
    evicted) means a duplicate task that finds nothing to claim, as before.
    """
    try:
        cache.set_many(
            {_queued_key(pk): 1 for pk in touchpoint_ids}, timeout=conf.requeue_after_seconds()
        )
    except Exception:
        logger.warning("cache unavailable; queued touchpoints may be queued again")


def not_queued_recently(touchpoint_ids: list[int], *, but: list[int] = ()) -> list[int]:
    """The ids whose task was not queued in the last TOUCHPOINT_REQUEUE_AFTER_SECONDS.

    A due row's task is usually still waiting in the queue behind a backlog; queueing it
    again on every pass only added tasks that find nothing to claim, ahead of which new
    work waited. A task lost with its worker is queued again once the note expires;
    recovered claims (`but`) are queued at once.
    """
    if not touchpoint_ids:
        return []
    try:
        queued = cache.get_many([_queued_key(pk) for pk in touchpoint_ids])
    except Exception:
        return touchpoint_ids
    again = set(but)
    return [pk for pk in touchpoint_ids if pk in again or _queued_key(pk) not in queued]


def batches(ids: list[int]) -> list[list[int]]:
    size = conf.send_batch_size()
    return [ids[start : start + size] for start in range(0, len(ids), size)]
