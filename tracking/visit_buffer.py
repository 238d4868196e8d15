"""Tracking page views buffered in a Redis Stream, for writing to PostgreSQL in bulk.

A counted view is appended to the stream (by the cache-hit script in
tracking/cache.py, or by `add` after a render) instead of being INSERTed per view.
`services.visits_flush` (beat, every TRACKING_VISIT_FLUSH_SECONDS) reads entries
through a consumer group, writes them in one transaction and only then
acknowledges and deletes them. Between any two steps a crash loses nothing and
counts nothing twice:

- read but not written (flush died): the entries stay pending in the group and
  the next flush reclaims them once idle for RECLAIM_IDLE_MS;
- written but not acknowledged: they are read again, and the write skips them,
  because every row carries the view's id under a unique constraint;
- Redis unreachable when the view happens: the view is written directly with the
  same id, so a buffered copy that did get through is not counted twice.
"""

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from tracking.models import TrackingVisit
from tracking.redis_client import redis_client

logger = logging.getLogger(__name__)

STREAM = "tracking:visits"
GROUP = "db-writer"
CONSUMER = "flusher"  # one name: a crashed flush's entries are reclaimed by the next one
RECLAIM_IDLE_MS = 60_000  # a flush that read entries this long ago without acking them died
SOURCES = {choice.value for choice in TrackingVisit.Source}


@dataclass(frozen=True)
class PageView:
    """One counted view of a tracking page, before we know whose page it is."""

    view_id: str  # 128 random bits in hex (a UUID's 32 digits): the rows' idempotency key
    client_hash: str
    source: str
    at: float  # epoch seconds


def new_page_view(*, client_hash: str, source: str, at: float) -> PageView:
    return PageView(view_id=secrets.token_hex(16), client_hash=client_hash, source=source, at=at)


@dataclass(frozen=True)
class Visit:
    """A view of one order's page: what a TrackingVisit and its impressions are made of."""

    view: PageView
    merchant_id: int
    order_id: int
    shown: tuple[tuple[int, int], ...]  # (product_id, slot)

    @property
    def visited_at(self) -> datetime:
        return datetime.fromtimestamp(self.view.at, tz=UTC)


def encode_slots(shown) -> str:
    return ",".join(f"{product_id}:{slot}" for product_id, slot in shown)


def _decode_slots(text: str) -> tuple[tuple[int, int], ...]:
    pairs = (part.split(":") for part in text.split(",") if part)
    return tuple((int(product_id), int(slot)) for product_id, slot in pairs)


def fields_of(visit: Visit) -> dict:
    """The stream entry of a visit (the hit script in tracking/cache.py writes the same)."""
    return {
        "view": visit.view.view_id,
        "mid": visit.merchant_id,
        "oid": visit.order_id,
        "hash": visit.view.client_hash,
        "source": visit.view.source,
        "at": repr(visit.view.at),
        "slots": encode_slots(visit.shown),
    }


def decode(fields: dict) -> Visit | None:
    """The visit of a stream entry, or None for an entry this code cannot read."""
    try:
        text = {key.decode(): value.decode() for key, value in fields.items()}
        view = PageView(
            view_id=uuid.UUID(hex=text["view"]).hex,
            client_hash=text["hash"][:64],
            source=text["source"] if text["source"] in SOURCES else TrackingVisit.Source.DIRECT,
            at=float(text["at"]),
        )
        return Visit(
            view=view,
            merchant_id=int(text["mid"]),
            order_id=int(text["oid"]),
            shown=_decode_slots(text["slots"]),
        )
    except (KeyError, ValueError, UnicodeDecodeError):
        return None


def add(visit: Visit) -> bool:
    """Buffer one visit; False when Redis cannot take it (the caller writes it directly)."""
    r = redis_client()
    if r is None:
        return False
    try:
        r.xadd(STREAM, fields_of(visit))
    except redis.RedisError:
        logger.warning("visit buffer unavailable; writing the visit directly")
        return False
    return True


def _ensure_group(r: redis.Redis) -> None:
    # From the stream's start: entries added before the group existed count too.
    try:
        r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def read(*, count: int) -> list[tuple[bytes, Visit | None]]:
    """Up to `count` entries to write: a dead flush's leftovers first, then new ones.

    Each is (entry id, visit or None when unreadable); they stay pending until `ack`.
    """
    r = redis_client()
    if r is None:
        return []
    _ensure_group(r)
    claimed = r.xautoclaim(
        STREAM, GROUP, CONSUMER, min_idle_time=RECLAIM_IDLE_MS, start_id="0-0", count=count
    )[1]
    if not claimed:
        got = r.xreadgroup(GROUP, CONSUMER, {STREAM: ">"}, count=count)
        claimed = got[0][1] if got else []
    return [(entry_id, decode(fields)) for entry_id, fields in claimed]


def ack(entry_ids: list[bytes]) -> None:
    """Done with these entries: acknowledged and removed from the stream together."""
    if not entry_ids:
        return
    pipe = redis_client().pipeline(transaction=True)
    pipe.xack(STREAM, GROUP, *entry_ids)
    pipe.xdel(STREAM, *entry_ids)
    pipe.execute()


def pending_count() -> int:
    """Entries not yet written (buffered or read by a flush that has not finished)."""
    r = redis_client()
    return r.xlen(STREAM) if r is not None else 0
