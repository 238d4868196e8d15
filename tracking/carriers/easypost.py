"""EasyPost webhooks: the signature scheme and the `tracker.updated` event's Tracker.

EasyPost signs each delivery with the webhook secret set on the webhook:
`X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>`, the secret
NFKD-normalised and UTF-8 encoded (as its client libraries' validate_webhook do).
"""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.dateparse import parse_date, parse_datetime

from orders.integrations.normalized import PayloadError, parses_payload
from tracking.carriers.statuses import easypost_status

TOPICS = frozenset({"tracker.created", "tracker.updated"})
SIGNATURE_PREFIX = "hmac-sha256-hex="


def sign(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    if not header or not secret:
        return False
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), given)


@dataclass(frozen=True)
class TrackingEvent:
    status: str | None  # ours, or None: not news, keep the shipment where it is
    raw_status: str
    occurred_at: datetime
    message: str
    location: str


@dataclass(frozen=True)
class TrackerUpdate:
    carrier: str
    tracking_code: str
    estimated_delivery: date | None
    events: list[TrackingEvent] = field(default_factory=list)


def _raw(status, detail) -> str:
    return (f"{status}/{detail}" if detail and detail != status else str(status or ""))[:100]


def _location(loc) -> str:
    if not isinstance(loc, dict):
        return ""
    parts = [loc.get("city"), loc.get("state"), loc.get("zip"), loc.get("country")]
    return ", ".join(str(p) for p in parts if p)[:200]


@parses_payload
def tracker_update(event: dict) -> TrackerUpdate:
    tracker = event.get("result")
    if not isinstance(tracker, dict) or tracker.get("object") != "Tracker":
        raise PayloadError("result: not a Tracker")
    code = tracker.get("tracking_code")
    if not code:
        raise PayloadError("result.tracking_code: missing")
    events = []
    for detail in tracker.get("tracking_details") or []:
        occurred = parse_datetime(detail.get("datetime") or "")
        if occurred is None:
            continue
        events.append(
            TrackingEvent(
                status=easypost_status(detail.get("status"), detail.get("status_detail")),
                raw_status=_raw(detail.get("status"), detail.get("status_detail")),
                occurred_at=occurred,
                message=(detail.get("message") or "")[:500],
                location=_location(detail.get("tracking_location")),
            )
        )
    if not events and tracker.get("status"):
        # A tracker with no scans yet still tells its current status.
        updated = parse_datetime(tracker.get("updated_at") or "")
        if updated is not None:
            events.append(
                TrackingEvent(
                    status=easypost_status(tracker.get("status"), tracker.get("status_detail")),
                    raw_status=_raw(tracker.get("status"), tracker.get("status_detail")),
                    occurred_at=updated,
                    message="",
                    location="",
                )
            )
    est = tracker.get("est_delivery_date")
    estimated = None
    if isinstance(est, str):
        estimated = parse_date(est[:10])
    return TrackerUpdate(
        carrier=str(tracker.get("carrier") or "")[:50],
        tracking_code=str(code)[:100],
        estimated_delivery=estimated,
        events=events,
    )
