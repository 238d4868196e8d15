"""The touchpoint queue: claiming due touchpoints, giving claims back, queueing sends.

A touchpoint is a row of postpurchase.queueing's kind: `scheduled` until due, claimed
as `sending` by one batch, and handed to the send task (by name) after commit. Sending
and dispatching both use it; neither imports the other's task module.
"""

import logging

from django.core.cache import cache
from django.utils import timezone

from notifications import conf
from notifications.models import Touchpoint
from postpurchase.queueing import TableQueue

logger = logging.getLogger(__name__)

S = Touchpoint.Status

# Claimed as S.SENDING, the queue's default.
TOUCHPOINTS = TableQueue(
    model=Touchpoint,
    task="notifications.tasks.send_touchpoints",
    ready=S.SCHEDULED,
    settings_prefix="TOUCHPOINT",
    jitter=0.5,  # half of each delay random: a burst that failed together spreads out
)


def touchpoint_claim(*, touchpoint_id: int) -> bool:
    """Win the right to send one touchpoint. False if someone else has it or it is done."""
    return bool(touchpoints_claim(touchpoint_ids=[touchpoint_id], now=timezone.now()))


def touchpoints_claim(*, touchpoint_ids: list[int], now) -> list[int]:
    """Win the right to send these touchpoints; returns the ids won.

    One conditional UPDATE for the batch, committed at once: only rows still
    scheduled and due are taken, and a row is won by exactly one caller (the
    RETURNING list says which), however many tasks carry its id.
    """
    return TOUCHPOINTS.claim(ids=touchpoint_ids, now=now, updated_at=now)


def touchpoints_unclaim(*, touchpoint_ids: list[int], claimed_at) -> int:
    """Give back claimed rows not started yet (no attempt), as they were: due, scheduled."""
    mine = TOUCHPOINTS.rows().filter(pk__in=touchpoint_ids, claimed_at=claimed_at)
    return TOUCHPOINTS.release(mine, updated_at=timezone.now())


def batches(ids: list[int]) -> list[list[int]]:
    size = conf.send_batch_size()
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def touchpoints_enqueue_on_commit(touchpoint_ids: list[int]) -> None:
    """Queue sends in batches after commit; a broker outage is logged, and the beat
    dispatcher finds the rows later. Queued ids are noted (`remember_queued`)."""
    parts = batches(list(touchpoint_ids))

    def remember(sent: int) -> None:
        remember_queued([pk for batch in parts[:sent] for pk in batch])

    TOUCHPOINTS.enqueue_on_commit([(batch,) for batch in parts], then=remember)


def _queued_key(touchpoint_id: int) -> str:
    return f"notifications:queued:{touchpoint_id}"


def remember_queued(touchpoint_ids: list[int]) -> None:
    """Note that these ids are in the queue, so the next passes do not queue them again.

    Only saves work: the claim decides who sends, so a forgotten note (cache down,
    evicted) means a duplicate task that finds nothing to claim, as before.
    """
    if not touchpoint_ids:
        return
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
