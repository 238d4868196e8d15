"""Where a buyer can follow a parcel on the carrier's own site, by carrier name."""

import re
from urllib.parse import quote

# Carrier name as merchants and feeds send it (normalized: lowercase, letters and digits only).
CARRIERS = {
    "postnord": ("PostNord", "https://tracking.postnord.com/dk/?id={number}"),
    "gls": ("GLS", "https://gls-group.com/track/{number}"),
    "dao": ("DAO", "https://www.dao.as/privat/find-din-pakke?stregkode={number}"),
    "bring": ("Bring", "https://tracking.bring.com/tracking/{number}"),
    "dhl": ("DHL", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"),
    "dhlexpress": (
        "DHL Express",
        "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    ),
    "dpd": ("DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}"),
    "ups": ("UPS", "https://www.ups.com/track?tracknum={number}"),
    "fedex": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    "hermes": (
        "Hermes",
        "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#{number}",
    ),
    "deutschepost": (
        "Deutsche Post",
        "https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer={number}",
    ),
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    "royalmail": (
        "Royal Mail",
        "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    ),
}


def carrier_key(carrier: str) -> str:
    """The carrier's key in CARRIERS for a name as shops spell it ("GLS", "Post Nord")."""
    return re.sub(r"[^a-z0-9]", "", (carrier or "").lower())


_key = carrier_key


def carrier_name(carrier: str) -> str:
    known = CARRIERS.get(_key(carrier))
    return known[0] if known else carrier


def carrier_tracking_url(carrier: str, tracking_number: str) -> str:
    """The carrier's tracking page for this parcel, or "" for a carrier we don't know."""
    known = CARRIERS.get(_key(carrier))
    if not known or not tracking_number:
        return ""
    return known[1].format(number=quote(tracking_number, safe=""))
