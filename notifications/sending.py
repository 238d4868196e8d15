"""Sending claimed touchpoints through their channel and recording the outcome.

The order of things matters for "sent once, lost never". A send task gets a batch of ids:
1. claim them: one conditional UPDATE (scheduled and due -> sending) that returns the
   rows it won, committed; a row another worker or dispatcher took is not among them;
2. read the claimed rows with what their messages need (order, customer, items,
   shipments, merchant, branding, preferences) in a few queries for the whole batch,
   and what their merchants share (templates, content, opt-outs) once per batch;
then for each row, one by one:
3. re-check what may have changed since planning (consent, opt-out, a newer shipment
   status, quiet hours) and build the message; the next row's is built before the
   current row goes to the provider (step 5), so nothing but the provider's answer and
   step 6 lie between a call and its record. An SMS's daily caps count recorded sends:
   they are checked once the send ahead of it is recorded, and its start is then a
   statement of its own;
4. start the attempt: bump the row's attempt count and refresh its claim time, on
   condition that the claim is still ours, and write the DeliveryAttempt row, in one
   transaction;
5. call the provider;
6. record the attempt's outcome with the row's new status and history row in one
   transaction: sent, or a retry with backoff, or failed for good. When the provider
   accepted the message, the same transaction (on PostgreSQL one statement) holds step
   4 of the batch's next row: one commit per send instead of two (#16, second round).
A worker killed anywhere leaves `sending` rows; the dispatcher gives them back after
TOUCHPOINT_STUCK_AFTER_SECONDS and they are sent again. Only a row killed between 5
and 6 may have reached the provider: that is the one duplicate we allow (at most one
per process per kill, as a process sends one message at a time), and the stable
Message-ID (email) / callback URL (SMS) derived from the touchpoint's callback code
lets the provider and the buyer's mail client recognise it as the same message.
Step 6 and the next row's step 4 commit together or not at all, so a kill leaves the
next row as it could be left before: not started (no attempt; sent again after the stuck
time, and nothing of it reached the provider), or started and not called yet (its
attempt marked abandoned by the recovery, sent again). Starting a whole batch's attempts
in one statement up front was rejected: a kill would count an attempt for every row not
yet sent (TOUCHPOINT_MAX_ATTEMPTS such kills would fail a row that never reached the
provider: lost), and the refreshed claim would time the batch instead of each send.
A batch gives back the rows it has not started once half of the stuck time has
passed, so a slow provider never has a row sent by two workers.
"""

import logging
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from notifications import conf, quiet_hours
from notifications.batch import batch_reads
from notifications.builders import OutgoingEmail, OutgoingSms, get_builder
from notifications.errors import SendError
from notifications.history import touchpoint_moved, touchpoint_transition
from notifications.models import DeliveryAttempt, Touchpoint, TouchpointStatusChange
from notifications.queue import TOUCHPOINTS, touchpoints_claim, touchpoints_unclaim
from notifications.selectors import is_suppressed, sms_quota_refusal, suppressed_addresses
from notifications.tokens import unsubscribe_url
from notifications.transports import default_from_email, send_email, send_sms
from postpurchase.models import Merchant
from postpurchase.prepared import execute_prepared

logger = logging.getLogger(__name__)

S = Touchpoint.Status
CLAIMED = "by primary key: rows this worker claimed, of any merchant"
NOT_CLAIMED = "not-claimed"


def touchpoint_send(*, touchpoint_id: int) -> str:
    """Claim and send one touchpoint; returns its status afterwards (or "not-claimed")."""
    return touchpoints_send(touchpoint_ids=[touchpoint_id])[touchpoint_id]


def touchpoints_send(*, touchpoint_ids: list[int]) -> dict[int, str]:
    """Claim and send each due touchpoint of `touchpoint_ids`, reading what they share once.

    Returns {id: status afterwards}; "not-claimed" for an id that is not due or that
    someone else claimed (a task delivered twice finds nothing to do).
    """
    results = {pk: NOT_CLAIMED for pk in touchpoint_ids}
    claimed_at = timezone.now()
    won = touchpoints_claim(touchpoint_ids=touchpoint_ids, now=claimed_at)
    if not won:
        return results
    touchpoints = _load_claimed(won)
    give_back_at = claimed_at + timezone.timedelta(seconds=conf.batch_fresh_seconds())
    with batch_reads(touchpoints):
        batch = _Batch(touchpoints, _SuppressedRecipients(touchpoints), give_back_at)
        results.update(batch.send())
        if batch.waiting:
            touchpoints_unclaim(
                touchpoint_ids=[tp.pk for tp in batch.waiting], claimed_at=claimed_at
            )
    return results


def _load_claimed(touchpoint_ids: list[int]) -> list[Touchpoint]:
    """The claimed rows with everything their builders read, in four queries."""
    touchpoints = list(
        Touchpoint.objects.unscoped(reason=CLAIMED)
        .filter(pk__in=touchpoint_ids)
        .select_related("order__customer")
        .prefetch_related("order__items", "order__shipments")
        .order_by("due_at", "pk")
    )
    # The batch's few merchants, with branding and preferences, read once each rather
    # than joined to every row: one object each, not one per touchpoint.
    merchants = Merchant.objects.select_related("branding", "messaging_preferences").in_bulk(
        {touchpoint.merchant_id for touchpoint in touchpoints}
    )
    for touchpoint in touchpoints:
        touchpoint.merchant = touchpoint.order.merchant = merchants[touchpoint.merchant_id]
    return touchpoints


class _SuppressedRecipients:
    """Opt-outs of the batch's buyers, read in one query per merchant and channel."""

    def __init__(self, touchpoints: list[Touchpoint]):
        wanted: dict[tuple, tuple] = {}
        for touchpoint in touchpoints:
            customer = touchpoint.order.customer
            address = (
                customer.email if touchpoint.channel == Touchpoint.Channel.EMAIL else customer.phone
            )
            key = (touchpoint.merchant_id, touchpoint.channel)
            wanted.setdefault(key, (touchpoint.merchant, set()))[1].add(address.lower())
        self.checked = {key: addresses for key, (_, addresses) in wanted.items()}
        self.suppressed = {
            key: suppressed_addresses(merchant=merchant, channel=key[1], addresses=list(addresses))
            for key, (merchant, addresses) in wanted.items()
        }

    def __call__(self, touchpoint: Touchpoint, address: str) -> bool:
        key = (touchpoint.merchant_id, touchpoint.channel)
        if address and address.lower() in self.checked.get(key, ()):
            return address.lower() in self.suppressed.get(key, ())
        # A builder wrote to someone else than the order's buyer (an ambassador): ask.
        return is_suppressed(
            merchant=touchpoint.merchant, channel=touchpoint.channel, address=address
        )


@dataclass
class _Ready:
    """A claimed row's message, built and checked, not handed over yet."""

    touchpoint: Touchpoint
    message: OutgoingEmail | OutgoingSms
    recipient: str


@dataclass
class _Handed:
    """A message the provider accepted, whose outcome is not written yet."""

    touchpoint: Touchpoint
    attempt_id: int
    provider_id: str
    recipient: str


class _Batch:
    """Sends a batch's claimed rows in order, one message at a time.

    The next row's message is built before the current one goes to the provider, so
    that once the provider has answered, one transaction writes the outcome and starts
    the next row's attempt (step 6, then the next row's step 4, of the module docstring).
    """

    def __init__(self, touchpoints, suppressed: _SuppressedRecipients, give_back_at):
        self.waiting = deque(touchpoints)  # not started: given back if the batch is late
        self.suppressed = suppressed
        self.give_back_at = give_back_at
        self.results: dict[int, str] = {}

    def send(self) -> dict[int, str]:
        handed = None
        ready = self._next_ready()
        while ready is not None:
            if timezone.now() > self.give_back_at:
                self.waiting.appendleft(ready.touchpoint)
                break
            if ready.touchpoint.channel == Touchpoint.Channel.SMS:
                # The daily caps count recorded sends: record the one ahead first.
                self._start(None, after=handed)
                handed = None
                if self._guarded(ready.touchpoint, lambda r=ready: _over_sms_caps(r)):
                    ready = self._next_ready()
                    continue
            attempt_id = self._start(ready, after=handed)
            handed = None
            following = self._next_ready()  # built before this send's provider call
            if attempt_id is not None:
                handed = self._hand_over(ready, attempt_id)
            ready = following
        if handed is not None:
            self._start(None, after=handed)
        return self.results

    def _next_ready(self) -> _Ready | None:
        """The next row with a message to send; rows stopped on the way get their status."""
        while self.waiting and timezone.now() <= self.give_back_at:
            touchpoint = self.waiting.popleft()
            ready = self._guarded(touchpoint, lambda tp=touchpoint: _prepare(tp, self.suppressed))
            if isinstance(ready, _Ready):
                return ready
        return None

    def _start(self, ready: _Ready | None, *, after: _Handed | None) -> int | None:
        """Write `after`'s outcome and start `ready`'s attempt: one statement on PostgreSQL.

        The attempt id, or None when the claim is no longer ours (or it failed)."""
        started = UNSTARTED
        if after is not None:
            try:
                started = _record_sent(
                    after.touchpoint,
                    after.attempt_id,
                    provider_id=after.provider_id,
                    recipient=after.recipient,
                    start=ready.touchpoint if ready else None,
                )
            except Exception:
                # Left `sending`, as after a crash at this point: stuck-claim recovery
                # settles it. Rescheduling here would hand the message over a second time.
                logger.exception(
                    "touchpoint %s: sent, but recording it failed", after.touchpoint.pk
                )
            self.results[after.touchpoint.pk] = after.touchpoint.status
        if ready is None:
            return None
        touchpoint = ready.touchpoint
        if started is UNSTARTED:
            started = self._guarded(touchpoint, lambda: _start_attempt(touchpoint))
            if isinstance(started, str):
                return None  # failed unexpectedly: recorded as a failed attempt
        # None: given back meanwhile (see touchpoints_send), not ours any more.
        self.results[touchpoint.pk] = NOT_CLAIMED if started is None else S.SENDING
        return started

    def _hand_over(self, ready: _Ready, attempt_id: int) -> _Handed | None:
        touchpoint = ready.touchpoint

        def call():
            try:
                provider_id = _hand_to_provider(ready.message, touchpoint)
            except SendError as err:
                _record_failure(touchpoint, attempt_id, err)
                return touchpoint.status
            return _Handed(touchpoint, attempt_id, provider_id, ready.recipient)

        handed = self._guarded(touchpoint, call)
        return handed if isinstance(handed, _Handed) else None

    def _guarded(self, touchpoint: Touchpoint, step):
        """`step()`, or its row's status afterwards if it ended the row or raised."""
        try:
            result = step()
        except Exception as err:
            # A bug (a builder raising, a database hiccup) must not strand the claim: count
            # it as a failed attempt, so it retries with backoff and ends failed at worst.
            logger.exception("touchpoint %s: unexpected error while sending", touchpoint.pk)
            _record_failure(
                touchpoint, None, SendError(repr(err), permanent=False, code="unexpected")
            )
            result = touchpoint.status
        if isinstance(result, str):
            self.results[touchpoint.pk] = result
        return result


def _stop(touchpoint: Touchpoint, to_status: str, reason: str, **fields) -> str:
    """Not now or not at all: move the claimed row, with why."""
    touchpoint_transition(
        touchpoint=touchpoint,
        to_status=to_status,
        from_statuses=(S.SENDING,),
        reason=reason,
        **fields,
    )
    return touchpoint.status


def _prepare(touchpoint: Touchpoint, suppressed: _SuppressedRecipients) -> _Ready | str:
    """The row's message, or the status it ended in (not to be sent, now or ever)."""
    reason = _why_not_send(touchpoint)
    if reason:
        return _stop(touchpoint, S.CANCELLED if reason == "order cancelled" else S.SKIPPED, reason)

    if touchpoint.channel == Touchpoint.Channel.SMS:
        morning = quiet_hours.quiet_until(
            merchant=touchpoint.merchant, customer=touchpoint.order.customer, at=timezone.now()
        )
        if morning is not None:
            return _stop(
                touchpoint,
                S.SCHEDULED,
                "quiet hours: deferred to the morning",
                due_at=morning,
                claimed_at=None,
            )

    builder = get_builder(touchpoint.kind, touchpoint.channel)
    if builder is None:
        return _stop(touchpoint, S.FAILED, f"no builder for {touchpoint.kind}/{touchpoint.channel}")
    with translation.override(touchpoint.order.locale):
        message = builder(touchpoint)
    if message is None:
        return _stop(touchpoint, S.SKIPPED, "nothing to send")

    recipient = message.to[0] if isinstance(message, OutgoingEmail) else message.to
    if suppressed(touchpoint, recipient):
        return _stop(touchpoint, S.SKIPPED, "recipient opted out")

    return _Ready(touchpoint, message, recipient)


def _over_sms_caps(ready: _Ready) -> str | None:
    """Cost guard: the status of an SMS the daily caps per merchant and per number
    (settings SMS_LIMIT_*) stop, else None. Counted from recorded sends, so checked
    once the send ahead of it in the batch is recorded, not when it is built."""
    touchpoint = ready.touchpoint
    refusal = sms_quota_refusal(merchant=touchpoint.merchant, to=ready.recipient)
    return _stop(touchpoint, S.SKIPPED, refusal) if refusal else None


def _start_attempt(touchpoint: Touchpoint) -> int | None:
    """Count the attempt and write its row, in one transaction, if the claim is still ours.

    The claim time restarts, so the stuck-claim timer measures this one send.
    """
    now = timezone.now()
    number = touchpoint.attempts + 1
    if connection.vendor == "postgresql":
        sql, params = _start_ctes(touchpoint, now)
        with connection.cursor() as cursor:
            execute_prepared(cursor, f"WITH {sql} SELECT id FROM started", params)  # noqa: S608
            row = cursor.fetchone()
        attempt_id = row[0] if row else None
    else:
        with transaction.atomic():
            ours = (
                Touchpoint.objects.unscoped(reason=CLAIMED)
                .filter(pk=touchpoint.pk, status=S.SENDING, claimed_at=touchpoint.claimed_at)
                .update(attempts=number, claimed_at=now, updated_at=now)
            )
            attempt_id = (
                DeliveryAttempt.objects.create(
                    merchant_id=touchpoint.merchant_id,
                    touchpoint_id=touchpoint.pk,
                    number=number,
                    started_at=now,
                ).pk
                if ours
                else None
            )
    return _started(touchpoint, attempt_id, now)


def _started(touchpoint: Touchpoint, attempt_id: int | None, now) -> int | None:
    if attempt_id is not None:
        touchpoint.attempts, touchpoint.claimed_at = touchpoint.attempts + 1, now
    return attempt_id


def _start_ctes(touchpoint: Touchpoint, now) -> tuple[str, list]:
    """The attempt's start as data-modifying WITH clauses `ours` and `started` (PostgreSQL):
    the count and claim refresh, and the attempt row only if the claim was ours."""
    number = touchpoint.attempts + 1
    sql = (
        f"ours AS (UPDATE {Touchpoint._meta.db_table} "  # noqa: S608
        "SET attempts = %s, claimed_at = %s, updated_at = %s "
        "WHERE id = %s AND status = %s AND claimed_at = %s RETURNING id, merchant_id), "
        f"started AS (INSERT INTO {DeliveryAttempt._meta.db_table} (merchant_id, touchpoint_id, "
        "number, started_at, finished_at, outcome, provider_message_id, error) "
        "SELECT merchant_id, id, %s::smallint, %s::timestamptz, NULL, %s::varchar, '', '' "
        "FROM ours RETURNING id)"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    params = [number, at, at, touchpoint.pk, S.SENDING, touchpoint.claimed_at, number, at]
    return sql, [*params, DeliveryAttempt.Outcome.IN_PROGRESS]


def _hand_to_provider(message, touchpoint: Touchpoint) -> str:
    """The provider's message id; every failure is a SendError."""
    try:
        if isinstance(message, OutgoingEmail):
            _complete_email(message, touchpoint)
            return send_email(
                message, callback_code=touchpoint.callback_code, tags=[touchpoint.kind]
            )
        if isinstance(message, OutgoingSms):
            _complete_sms(message, touchpoint)
            return send_sms(message, status_callback=status_callback_url(touchpoint))
    except SendError:
        raise
    except Exception as err:
        raise SendError(repr(err), permanent=False, code="unexpected") from err
    raise SendError(f"builder returned {type(message).__name__}", permanent=True)


UNSTARTED = object()  # _record_sent did not start the next attempt: start it on its own


def _record_sent(
    touchpoint: Touchpoint,
    attempt_id: int,
    *,
    provider_id: str,
    recipient: str,
    start: Touchpoint | None = None,
):
    """The attempt's outcome, the row's status and its history row, in one transaction.

    On PostgreSQL the same statement starts the attempt of `start`, the batch's next row,
    and returns its attempt id (None if its claim is no longer ours); else UNSTARTED.
    """
    now = timezone.now()
    fields = {
        "sent_at": now,
        "provider_message_id": provider_id[:200],
        "recipient": recipient[:254],
    }
    reason = f"handed to provider ({provider_id})"
    with transaction.atomic():
        started = _write_sent(touchpoint, attempt_id, now, reason, fields, start)
    # Committed: only now has `start`'s attempt begun (a rollback would have undone it).
    return UNSTARTED if started is UNSTARTED else _started(start, started, now)


def _write_sent(touchpoint, attempt_id, now, reason, fields, start):
    """_record_sent's writes, in its transaction; returns the started attempt's id, None
    or UNSTARTED."""
    if connection.vendor == "postgresql":
        moved, kept_status, started = _record_sent_in_one_statement(
            touchpoint, attempt_id, now=now, reason=reason[:500], fields=fields, start=start
        )
        if moved:
            touchpoint_moved(touchpoint, S.SENT, reason, {"error": "", **fields})
            return started
        if kept_status is not None:
            touchpoint.status = kept_status
            return started
        # Neither: the row changed between the statement's snapshot and its lock (a
        # webhook at that very moment). Record what was sent the long way.
    else:
        started = UNSTARTED
        DeliveryAttempt.objects.unscoped(reason=CLAIMED).filter(pk=attempt_id).update(
            outcome=DeliveryAttempt.Outcome.SENT,
            finished_at=now,
            provider_message_id=fields["provider_message_id"],
        )
    # Also from `scheduled`: if a slow send outlived its claim and was recovered, the
    # message did go, and marking it sent now prevents a second copy.
    moved = touchpoint_transition(
        touchpoint=touchpoint,
        to_status=S.SENT,
        from_statuses=(S.SENDING, S.SCHEDULED),
        reason=reason,
        error="",
        **fields,
    )
    if not moved:
        # A delivery webhook beat us to it (delivered/failed already): keep its
        # status, but record what was sent.
        Touchpoint.objects.unscoped(reason=CLAIMED).filter(pk=touchpoint.pk).update(**fields)
        touchpoint.refresh_from_db(fields=["status"])
    return started


def _record_sent_in_one_statement(
    touchpoint: Touchpoint,
    attempt_id: int,
    *,
    now,
    reason: str,
    fields: dict,
    start: Touchpoint | None,
) -> tuple[bool, str | None, object]:
    """Every write of a send's outcome as one PostgreSQL statement (data-modifying WITHs,
    all run to completion): the attempt's outcome; the move to `sent` (also from
    `scheduled`, see _record_sent) with its history row; or, when a delivery webhook
    already moved the row on, only what was sent, keeping its status. The move and the
    keep exclude each other by status. With `start`, also that row's attempt start
    (_start_ctes): one statement and one commit per send instead of two (#16, second
    round). Returns (moved, the kept row's status or None, the started attempt's id or
    None, or UNSTARTED without `start`)."""
    touchpoints = Touchpoint._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    message_id, to = fields["provider_message_id"], fields["recipient"]
    sql = (
        f"WITH attempt AS (UPDATE {DeliveryAttempt._meta.db_table} "  # noqa: S608
        "SET outcome = %s, finished_at = %s, provider_message_id = %s WHERE id = %s), "
        f"moved AS (UPDATE {touchpoints} SET status = %s, updated_at = %s, error = '', "
        "sent_at = %s, provider_message_id = %s, recipient = %s "
        "WHERE id = %s AND status IN (%s, %s) RETURNING id, merchant_id), "
        f"history AS (INSERT INTO {TouchpointStatusChange._meta.db_table} "
        "(merchant_id, touchpoint_id, from_status, to_status, reason, created_at) "
        "SELECT merchant_id, id, %s::varchar, %s::varchar, %s::varchar, %s::timestamptz "
        "FROM moved RETURNING id), "
        f"kept AS (UPDATE {touchpoints} SET sent_at = %s, provider_message_id = %s, "
        "recipient = %s WHERE id = %s AND status NOT IN (%s, %s) RETURNING status)"
    )
    # `moved` and `kept` name the same row by the same values, and differ by status.
    sent_row = [at, message_id, to, touchpoint.pk, S.SENDING, S.SCHEDULED]
    params = [
        *(DeliveryAttempt.Outcome.SENT, at, message_id, attempt_id),
        *(S.SENT, at, *sent_row),
        *(touchpoint.status, S.SENT, reason, at),
        *sent_row,
    ]
    select = "SELECT (SELECT count(*) FROM history), (SELECT status FROM kept)"
    if start is not None:
        start_sql, start_params = _start_ctes(start, now)
        sql, params = f"{sql}, {start_sql}", [*params, *start_params]
        select += ", (SELECT id FROM started)"
    with connection.cursor() as cursor:
        execute_prepared(cursor, f"{sql} {select}", params)
        moved, kept_status, *started = cursor.fetchone()
    return moved == 1, kept_status, started[0] if started else UNSTARTED


def _why_not_send(touchpoint: Touchpoint) -> str:
    """A reason this touchpoint must not go out any more, or ""."""
    order = touchpoint.order
    customer = order.customer
    if order.cancelled_at:
        return "order cancelled"
    if customer.erased_at:
        return "customer data erased"
    if touchpoint.channel == Touchpoint.Channel.EMAIL and not (
        customer.consent_email and customer.email
    ):
        return "no email consent"
    if touchpoint.channel == Touchpoint.Channel.SMS and not (
        customer.consent_sms and customer.phone
    ):
        return "no SMS consent"
    if touchpoint.kind == Touchpoint.Kind.SHIPMENT_UPDATE:
        wanted = touchpoint.payload.get("shipment_id")
        shipment = next((s for s in order.shipments.all() if s.pk == wanted), None)
        if shipment is None:
            return "shipment removed"
        if shipment.status != touchpoint.payload.get("status"):
            return f"superseded by a newer status ({shipment.status})"
    return ""


def _record_failure(touchpoint: Touchpoint, attempt_id: int | None, err: SendError):
    """The attempt's outcome and the row's retry (or failure), in one transaction.

    Without an attempt (an error before the provider was called: a builder raising)
    the failure still counts as one, so a builder that always raises ends `failed`
    after TOUCHPOINT_MAX_ATTEMPTS instead of retrying forever.
    """
    now = timezone.now()
    policy = TOUCHPOINTS.policy()
    counted = {"attempts": touchpoint.attempts + 1} if attempt_id is None else {}
    attempts = counted.get("attempts", touchpoint.attempts)
    with transaction.atomic():
        if attempt_id is not None:
            DeliveryAttempt.objects.unscoped(reason=CLAIMED).filter(pk=attempt_id).update(
                outcome=DeliveryAttempt.Outcome.PERMANENT_ERROR
                if err.permanent
                else DeliveryAttempt.Outcome.TEMPORARY_ERROR,
                finished_at=now,
                error=str(err)[:2000],
            )
        if err.permanent or policy.gives_up(attempts):
            why = "permanent error" if err.permanent else f"gave up after {attempts} attempts"
            touchpoint_transition(
                touchpoint=touchpoint,
                to_status=S.FAILED,
                from_statuses=(S.SENDING,),
                reason=f"{why}: {err}",
                error=str(err)[:2000],
                **counted,
            )
            if err.permanent and err.code in ("recipient_refused", "invalid_number", "opted_out"):
                from notifications.services import suppression_add_for_touchpoint

                suppression_add_for_touchpoint(touchpoint=touchpoint, reason=err.code)
        else:
            delay = policy.backoff.seconds(attempts)
            touchpoint_transition(
                touchpoint=touchpoint,
                to_status=S.SCHEDULED,
                from_statuses=(S.SENDING,),
                reason=f"temporary error, retry in {delay:.1f}s: {err}",
                due_at=now + timezone.timedelta(seconds=delay),
                claimed_at=None,
                error=str(err)[:2000],
                **counted,
            )


def _complete_email(message: OutgoingEmail, touchpoint: Touchpoint) -> None:
    """Fill what every email needs: sender, reply-to and RFC 8058 one-click unsubscribe."""
    branding = getattr(touchpoint.merchant, "branding", None)
    if not message.from_email:
        message.from_email = default_from_email(
            (branding.sender_name if branding else "") or touchpoint.merchant.name
        )
    if not message.reply_to:
        reply_to = (
            branding.reply_to_email if branding else ""
        ) or touchpoint.merchant.support_email
        message.reply_to = [reply_to] if reply_to else []
    if "List-Unsubscribe" not in message.headers:
        message.headers["List-Unsubscribe"] = f"<{unsubscribe_url(touchpoint)}>"
        message.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def _complete_sms(message: OutgoingSms, touchpoint: Touchpoint) -> None:
    branding = getattr(touchpoint.merchant, "branding", None)
    if not message.sender and branding and branding.sms_sender:
        message.sender = branding.sms_sender


def status_callback_url(touchpoint: Touchpoint) -> str:
    return settings.PUBLIC_BASE_URL + reverse(
        "notifications:twilio-status", kwargs={"code": touchpoint.callback_code}
    )
