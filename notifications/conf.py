"""The touchpoint engine's knobs. Each is defined (with its default) in settings.py.

Retries and stuck claims (TOUCHPOINT_MAX_ATTEMPTS, _RETRY_*, _STUCK_AFTER_SECONDS) are
read by the touchpoint queue (notifications/queue.py), as every queue's are.
"""

from django.conf import settings


def stuck_after_seconds() -> float:
    """A claim older than this is a dead worker's: well above any provider timeout."""
    return float(settings.TOUCHPOINT_STUCK_AFTER_SECONDS)


def batch_fresh_seconds() -> float:
    """How long a batch may send from what it read when it started (buyer, opt-outs,
    order): later rows are handed back and claimed again with fresh reads, so an
    opt-out, an erasure or a cancellation stops a message within these seconds."""
    return min(float(settings.TOUCHPOINT_BATCH_FRESH_SECONDS), stuck_after_seconds() / 2)


def coalesce_seconds() -> float:
    """Shipment updates wait this long so a burst of carrier events sends one message."""
    return float(settings.SHIPMENT_UPDATE_COALESCE_SECONDS)


def send_batch_size() -> int:
    """Touchpoints per send task: what they share (merchant content, templates) is read
    once per batch. Small enough that the worker processes share a backlog."""
    return max(1, int(settings.TOUCHPOINT_SEND_BATCH))


def dispatch_limit() -> int:
    """Due touchpoints one dispatcher pass queues; each tick queues at most this many."""
    return int(settings.TOUCHPOINT_DISPATCH_LIMIT)


def requeue_after_seconds() -> float:
    """The dispatcher does not queue an id again this soon after it was queued (its task
    is still waiting or running). Shorter than any retry delay and than the give-back
    of a slow batch (half TOUCHPOINT_STUCK_AFTER_SECONDS), so only a lost task waits it."""
    return min(float(settings.TOUCHPOINT_REQUEUE_AFTER_SECONDS), stuck_after_seconds() / 2)
