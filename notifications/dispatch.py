"""The dispatcher: what beat runs. It queues every due touchpoint for sending.

Each row is then claimed by exactly one send batch (notifications/queue.py). The
dispatcher also gives back claims whose worker died mid-send (stuck in `sending`),
so nothing stays unsent forever.
"""

import logging

from django.utils import timezone

from notifications import conf
from notifications.history import touchpoint_transition
from notifications.models import DeliveryAttempt, Touchpoint
from notifications.queue import (
    TOUCHPOINTS,
    batches,
    not_queued_recently,
    touchpoints_enqueue_on_commit,
)
from notifications.sending import touchpoints_send

logger = logging.getLogger(__name__)

SENDABLE_CHANNELS = (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS)
S = Touchpoint.Status
RECOVERED = "by touchpoint: the attempts of a claim the recovery pass took back"


def due_touchpoint_ids(*, limit: int = 1000) -> list[int]:
    return TOUCHPOINTS.due_ids(now=timezone.now(), limit=limit, channel__in=SENDABLE_CHANNELS)


def touchpoints_recover_stuck(*, now=None) -> list[int]:
    """Give claims older than TOUCHPOINT_STUCK_AFTER_SECONDS back to `scheduled`.

    Their worker died (SIGKILL, OOM, deploy) between claim and outcome. The
    in-progress attempt is marked abandoned; the provider may have accepted it,
    so the resend can be the one duplicate the design allows.
    """
    now = now or timezone.now()
    policy = TOUCHPOINTS.policy()
    recovered = []
    stuck = TOUCHPOINTS.stuck(now=now).select_related("merchant")[:500]
    for touchpoint in stuck:
        give_up = policy.gives_up(touchpoint.attempts)
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
            DeliveryAttempt.objects.unscoped(reason=RECOVERED).filter(
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
    recovered = touchpoints_recover_stuck() if recover else []
    ids = due_touchpoint_ids(limit=limit or conf.dispatch_limit())
    if inline:
        for batch in batches(ids):
            touchpoints_send(touchpoint_ids=batch)
        return ids
    ids = not_queued_recently(ids, but=recovered)
    touchpoints_enqueue_on_commit(ids)
    return ids
