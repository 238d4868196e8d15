"""Asking a carrier where a parcel is, through karrio, as a TrackerUpdate.

karrio does the carrier's HTTP (urllib) and parsing; this module picks the carrier's
karrio extension, turns a merchant's stored credentials into its settings, and maps
karrio's TrackingDetails onto the same TrackerUpdate the EasyPost feed produces, so
both go through tracker_update_apply (dedupe, out of order, touchpoints).
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tracking.carriers.easypost import TrackerUpdate, TrackingEvent
from tracking.carriers.statuses import karrio_status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CarrierSpec:
    provider: str  # karrio's carrier id
    # (karrio setting, label shown to the merchant) of the credentials to ask for.
    fields: tuple[tuple[str, object], ...]
    # Settings karrio requires that tracking does not use.
    fixed: tuple[tuple[str, str], ...] = ()


CLIENT_FIELDS = (("client_id", _("Client ID")), ("client_secret", _("Client secret")))

CARRIER_SPECS = {
    # DHL's Shipment Tracking - Unified API needs only the API key.
    "dhl": CarrierSpec(
        "dhl_universal", (("consumer_key", _("API key")),), (("consumer_secret", ""),)
    ),
    "gls": CarrierSpec("gls", CLIENT_FIELDS),
    "ups": CarrierSpec("ups", CLIENT_FIELDS),
    "usps": CarrierSpec("usps", CLIENT_FIELDS),
    # FedEx issues separate keys for its Track API.
    "fedex": CarrierSpec(
        "fedex",
        (("track_api_key", _("Track API key")), ("track_secret_key", _("Track secret key"))),
    ),
}


class CarrierFetchError(Exception):
    """The carrier could not be asked (network, outage, refused credentials): back off."""


@dataclass(frozen=True)
class FetchResult:
    update: TrackerUpdate | None  # None: the carrier answered but knows nothing of it yet
    problem: str = ""


def _karrio():
    import karrio.sdk
    from karrio.core.utils import Cache
    from loguru import logger as karrio_logger

    # karrio logs every request through loguru to stderr; our own logs say what matters.
    karrio_logger.disable("karrio")
    global _CACHE
    if _CACHE is None:
        _CACHE = Cache()
    return karrio.sdk


# One token cache per process: an OAuth token is fetched once per credentials, not per poll.
_CACHE = None


def _pointed_at(karrio_settings, base_url: str):
    """The carrier's settings with every URL on `base_url`.

    Every karrio carrier builds its URLs from `server_url`; tests point it at a fake
    carrier on 127.0.0.1 (the poller may run in a worker: HTTP cannot be patched there).
    """
    base = type(karrio_settings)
    karrio_settings.__class__ = type(
        base.__name__, (base,), {"server_url": property(lambda self: base_url)}
    )
    return karrio_settings


def gateway_for(*, carrier: str, credentials: dict):
    spec = CARRIER_SPECS[carrier]
    values = {name: str(credentials.get(name, "")) for name, _label in spec.fields}
    values.update(spec.fixed)
    sdk = _karrio()
    from karrio.core.utils import DP

    karrio_settings = DP.to_object(sdk.gateway.providers[spec.provider].Settings, values)
    if settings.CARRIER_API_BASE_URL:
        karrio_settings = _pointed_at(karrio_settings, settings.CARRIER_API_BASE_URL)
    return sdk.gateway[spec.provider].create(karrio_settings, cache=_CACHE)


_TIME_FORMATS = ("%H:%M", "%I:%M %p", "%H:%M:%S")


def _occurred_at(event, tz: ZoneInfo) -> datetime | None:
    """When a scan happened. karrio gives the carrier's local clock (its ISO "Z" is that
    clock too), so it is read in the merchant's time zone, where its parcels travel."""
    stamp = (event.timestamp or "").rstrip("Z").split(".")[0]
    if stamp:
        try:
            return datetime.fromisoformat(stamp).replace(tzinfo=tz)
        except ValueError:
            pass
    try:
        day = date.fromisoformat(event.date or "")
    except ValueError:
        return None
    for fmt in _TIME_FORMATS:
        try:
            clock = datetime.strptime(event.time or "", fmt).time()
            break
        except ValueError:
            continue
    else:
        clock = datetime.min.time()
    return datetime.combine(day, clock, tzinfo=tz)


def _raw(event, carrier_status: str | None) -> str:
    code = event.code or event.status or carrier_status or ""
    text = re.sub(r"\s+", " ", event.description or "").strip()
    return (f"{code}/{text}" if code and text and code != text else code or text)[:100]


def _scan_status(event, provider: str) -> str | None:
    """karrio's status of a scan the extension left unclassified (GLS classifies only
    the parcel), from the extension's own code table: "INTIAL.PREADVICE" is PREADVICE."""
    if event.status or not event.code:
        return event.status
    import importlib

    try:
        table = importlib.import_module(f"karrio.providers.{provider}.units").TrackingStatus
    except (ImportError, AttributeError):
        return None
    for code in (event.code, *event.code.split(".")):
        for status in table:
            if code in status.value:
                return status.name
    return None


def tracker_update_from_details(details, *, carrier: str, tz: ZoneInfo) -> TrackerUpdate:
    """karrio's TrackingDetails as our TrackerUpdate.

    A scan carries karrio's status where the carrier's extension classifies it; a
    scan it cannot classify keeps None (stored raw), except the newest, which carries
    the parcel's status.
    """
    provider = CARRIER_SPECS[carrier].provider
    scans = []
    for event in details.events or []:
        occurred = _occurred_at(event, tz)
        if occurred is not None:
            scans.append((occurred, event))
    scans.sort(key=lambda pair: pair[0])
    events = []
    for index, (occurred, event) in enumerate(scans):
        name = _scan_status(event, provider)
        if not name and index == len(scans) - 1:
            name = details.status
        events.append(
            TrackingEvent(
                status=karrio_status(name),
                raw_status=_raw(event, name),
                occurred_at=occurred,
                message=(event.description or "")[:500],
                location=(event.location or "")[:200],
            )
        )
    estimated = None
    if details.estimated_delivery:
        try:
            estimated = date.fromisoformat(str(details.estimated_delivery)[:10])
        except ValueError:
            estimated = None
    return TrackerUpdate(
        carrier=carrier,
        tracking_code=str(details.tracking_number or "")[:100],
        estimated_delivery=estimated,
        events=events,
    )


def fetch_tracking(
    *, carrier: str, credentials: dict, tracking_number: str, tz: ZoneInfo
) -> FetchResult:
    """Ask the carrier about one parcel. Raises CarrierFetchError when it cannot be asked."""
    from karrio.core.models import TrackingRequest

    try:
        gateway = gateway_for(carrier=carrier, credentials=credentials)
        # The steps of karrio.Tracking.fetch(...).from_(gateway).parse(), without its
        # catch-all that turns a refused connection or login into a "message" like a
        # carrier's "not found": those must pause the account, not the parcel.
        request = gateway.mapper.create_tracking_request(
            TrackingRequest(tracking_numbers=[tracking_number])
        )
        response = gateway.proxy.get_tracking(request)
        details, messages = gateway.mapper.parse_tracking_response(response)
    except Exception as error:  # urllib, login and parsing errors alike: retry later
        logger.warning("carrier %s tracking failed: %s", carrier, type(error).__name__)
        raise CarrierFetchError(f"{type(error).__name__}: {error}"[:300]) from error
    if details:
        # One number asked, one parcel answered (a carrier may echo another id for it).
        return FetchResult(update=tracker_update_from_details(details[0], carrier=carrier, tz=tz))
    problem = "; ".join(str(m.message or m.code or "") for m in messages or [])[:300]
    return FetchResult(update=None, problem=problem or "no tracking details")
