"""Table-backed work queues: a row per job with a due time, claimed once, retried with backoff.

Touchpoints, outgoing webhook deliveries and inbound shop deliveries are each a table
whose rows wait in a `ready` status until they are due. A worker claims rows with one
conditional UPDATE that exactly one caller wins, works them, and writes the outcome:
done, ready again after a backoff delay, or failed after the last attempt. Ids reach the
workers through Celery after commit; with the broker down a row simply waits in its
table and the beat pass (`due_ids`, then `enqueue`) queues it later. Nothing is ever
scheduled with an ETA in the broker.

Two kinds of claim:
- a status claim (`claimed`, "sending" unless said): the row moves to the claimed status with `claimed_at`,
  committed at once; the worker may then take its time (a provider's HTTP call). A worker
  that dies leaves the row claimed: `stuck()` finds it after `stuck_after_seconds` and
  `release()` gives it back.
- a lock claim (`claimed=ROW_LOCK`): inside the worker's transaction the row keeps its
  status and stays locked until the transaction writes the outcome; a worker that dies
  rolls back, so there is nothing to recover. On PostgreSQL another claimer passes a
  held row at once (SKIP LOCKED) instead of waiting for it.

This is the core: it imports no app of the project (the apps import it).
"""

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import NotRegistered
from django.conf import settings
from django.db import connection, models, transaction

from postpurchase.celery import app as celery_app

logger = logging.getLogger(__name__)

ROW_LOCK = ""  # `TableQueue.claimed` for a lock claim: no claimed status, a held row


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: base x factor^(attempt - 1), capped at `max_seconds`."""

    base_seconds: float
    max_seconds: float
    factor: float = 2.0
    # The share of each delay that is random (0: exact; 0.5: half fixed, half random), so
    # rows that failed together in an outage do not all come back in the same second.
    jitter: float = 0.0

    def seconds(self, attempt: int) -> float:
        steps = min(max(attempt - 1, 0), 64)  # far past any cap; keeps the power finite
        full = min(self.max_seconds, self.base_seconds * self.factor**steps)
        return full - random.uniform(0, full * self.jitter)

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=self.seconds(attempt))


@dataclass(frozen=True)
class RetryPolicy:
    """How often a queue tries a row, how long it waits between, when a claim is stale."""

    max_attempts: int
    backoff: Backoff
    # A status claim older than this belongs to a worker that died: well above any
    # provider timeout. Unused by lock claims (a dead worker's transaction rolls back).
    stuck_after_seconds: float = 0.0

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class TableQueue:
    """One table's queue: which rows wait, how one is claimed, which task works it.

    Every queue is configured the same way, in settings.py from the environment:
    `<settings_prefix>_MAX_ATTEMPTS`, `_RETRY_BASE_SECONDS`, `_RETRY_MAX_SECONDS`, and
    for a status claim `_STUCK_AFTER_SECONDS`. The curve's shape (factor, jitter) is
    the queue's own design, not a deployment's choice.
    """

    model: type[models.Model]
    task: str  # the Celery task's name (services hand it work by name, never import tasks)
    settings_prefix: str
    ready: str = "pending"  # the status of a row waiting for its due time
    claimed: str = "sending"  # the status while a worker holds the row, or ROW_LOCK
    due_field: str = "due_at"
    backoff_factor: float = 2.0
    jitter: float = 0.0

    def policy(self) -> RetryPolicy:
        """Read from settings on every use, so a changed setting (or a test's) applies."""

        def setting(name: str) -> float:
            return float(getattr(settings, f"{self.settings_prefix}_{name}"))

        return RetryPolicy(
            max_attempts=int(setting("MAX_ATTEMPTS")),
            backoff=Backoff(
                base_seconds=setting("RETRY_BASE_SECONDS"),
                max_seconds=setting("RETRY_MAX_SECONDS"),
                factor=self.backoff_factor,
                jitter=self.jitter,
            ),
            stuck_after_seconds=setting("STUCK_AFTER_SECONDS") if self.claimed else 0.0,
        )

    def rows(self) -> models.QuerySet:
        return self.model.objects.unscoped(
            reason="a work queue: the beat pass and the workers' claims take every "
            "merchant's due rows, by id"
        )

    def due_ids(self, *, now: datetime, limit: int, **filters) -> list[int]:
        """The ready rows due by `now`, the longest waiting first (the beat pass)."""
        return list(
            self.rows()
            .filter(status=self.ready, **{f"{self.due_field}__lte": now}, **filters)
            .order_by(self.due_field)
            .values_list("pk", flat=True)[:limit]
        )

    def claim(
        self, *, ids: Sequence[int], now: datetime, count_attempt: bool = False, **fields
    ) -> list[int]:
        """Win the ready, due rows among `ids`; returns the ids won (in no set order).

        One conditional UPDATE ... RETURNING: a row is won by exactly one caller however
        many tasks carry its id, on PostgreSQL and SQLite alike. A status claim sets the
        claimed status and `claimed_at` (and `fields`); a lock claim must run inside the
        caller's transaction, which then holds the rows until it writes their outcome.
        `count_attempt` adds one to the rows' `attempts` in the same statement.
        """
        if not ids:
            return []
        meta, quote = self.model._meta, connection.ops.quote_name

        def column(name: str) -> str:
            return quote(meta.get_field(name).column)

        values = {**fields, **({"status": self.claimed, "claimed_at": now} if self.claimed else {})}
        sets = [f"{column(name)} = %s" for name in values]
        params = [meta.get_field(n).get_db_prep_save(v, connection) for n, v in values.items()]
        if count_attempt:
            sets.append(f"{column('attempts')} = {column('attempts')} + 1")
        if not sets:
            sets.append(f"{column('status')} = {column('status')}")  # the lock, no change
        table, pk = quote(meta.db_table), column(meta.pk.name)
        where = (
            f"{pk} IN ({', '.join(['%s'] * len(ids))}) "
            f"AND {column('status')} = %s AND {column(self.due_field)} <= %s"
        )
        if self.claimed == ROW_LOCK and connection.features.has_select_for_update_skip_locked:
            # Names from the model's meta, values as parameters.
            where = f"{pk} IN (SELECT {pk} FROM {table} WHERE {where} FOR UPDATE SKIP LOCKED)"  # noqa: S608
        due = meta.get_field(self.due_field).get_db_prep_value(now, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} WHERE {where} RETURNING {pk}",  # noqa: S608
                [*params, *ids, self.ready, due],
            )
            return [row[0] for row in cursor.fetchall()]

    def stuck(self, *, now: datetime) -> models.QuerySet:
        """Status claims older than the policy's stuck time: their worker died mid-job."""
        cutoff = now - timedelta(seconds=self.policy().stuck_after_seconds)
        return self.rows().filter(status=self.claimed, claimed_at__lt=cutoff)

    def release(self, rows: models.QuerySet, **fields) -> int:
        """Give claimed rows back: ready again, unclaimed, with `fields` (e.g. a due time)."""
        return rows.filter(status=self.claimed).update(status=self.ready, claimed_at=None, **fields)

    def enqueue(self, calls: Iterable[tuple]) -> int:
        """Hand each call's arguments to the queue's task now; returns how many went.

        A broker outage is not an error: the first failure is logged and the rest are not
        tried. Their rows wait in the table, and the beat pass queues them again.
        """
        task = _task(self.task)
        sent = 0
        for args in calls:
            try:
                task.delay(*args)
            except Exception as exc:  # kombu's OperationalError, or a timeout under it
                logger.warning(
                    "broker unavailable (%s); %s jobs wait for the beat pass",
                    exc,
                    self.model._meta.verbose_name,
                )
                break
            sent += 1
        return sent

    def enqueue_on_commit(
        self, calls: Iterable[tuple], *, then: Callable[[int], None] | None = None
    ) -> None:
        """`enqueue` once the current transaction commits (a worker never reads a row that
        is not there yet); `then(sent)` runs after it. Nothing is queued on rollback."""
        calls = list(calls)
        if not calls:
            return

        def after_commit() -> None:
            sent = self.enqueue(calls)
            if then is not None:
                then(sent)

        transaction.on_commit(after_commit)


def _task(name: str):
    try:
        return celery_app.tasks[name]
    except NotRegistered:
        # A web process has not imported the apps' tasks modules yet (a worker has).
        celery_app.loader.import_default_modules()
        return celery_app.tasks[name]
