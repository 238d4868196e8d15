"""Which carrier a tracking number belongs to, when the shop did not say.

No maintained package covers the Nordic carriers (the `tracking-numbers` package
knows UPS, FedEx, USPS and DHL only and had its last release in 2022), so this is a
small table of the formats printed on the carriers' labels. A number that fits two
carriers' formats (12 digits: GLS or FedEx) is not guessed: it stays without carrier.
"""

import re

from tracking.carrier_links import carrier_name

# Carrier key (tracking.carrier_links.CARRIERS) -> the formats of its tracking numbers.
FORMATS = {
    "ups": [r"1Z[0-9A-Z]{16}"],
    "usps": [
        r"9[2-5]\d{20}",  # IMpb, 22 digits
        r"9[2-5]\d{18}",  # IMpb, 20 digits
        r"[A-Z]{2}\d{9}US",  # UPU S10, posted in the US
    ],
    "fedex": [r"\d{12}", r"\d{15}"],  # Express, Ground
    "dhl": [
        r"00340434\d{12}",  # DHL Paket SSCC
        r"JJD\d{16,20}",  # DHL Parcel, Europe
        r"JVGL\d{8,20}",  # DHL Global Forwarding
        r"\d{10}",  # DHL Express waybill
    ],
    "postnord": [
        r"[A-Z]{2}\d{9}(DK|SE|NO|FI)",  # UPU S10 of the Nordic posts
        r"00370\d{15}",  # PostNord SSCC
    ],
    "gls": [r"\d{11}", r"\d{12}"],  # parcel number, without and with its check digit
    "dao": [r"\d{14}"],  # dao's shipment barcode
}

_COMPILED = {key: [re.compile(f"^(?:{p})$") for p in patterns] for key, patterns in FORMATS.items()}


def _normalized(tracking_number: str) -> str:
    return re.sub(r"[\s-]", "", tracking_number or "").upper()


def detect_carrier_key(tracking_number: str) -> str | None:
    """The one carrier whose formats fit the number, else None (unknown or ambiguous)."""
    number = _normalized(tracking_number)
    fits = [key for key, patterns in _COMPILED.items() if any(p.match(number) for p in patterns)]
    return fits[0] if len(fits) == 1 else None


def detect_carrier(tracking_number: str) -> str:
    """The carrier's name as shown to buyers ("GLS", "PostNord"), or "" when unknown."""
    key = detect_carrier_key(tracking_number)
    return carrier_name(key) if key else ""
