"""Orders as a shop platform posts them, each with a new buyer."""

import threading
from datetime import UTC, datetime

_serial = [0]
_serial_lock = threading.Lock()


def next_serial() -> int:
    with _serial_lock:
        _serial[0] += 1
        return _serial[0]


def phone_for(serial: int) -> str:
    """A valid Danish mobile number, unique per serial below 10 million."""
    import phonenumbers

    n = serial % 10_000_000
    for prefix in ("2", "3", "4", "5", "6", "7", "8", "9"):
        candidate = f"+45{prefix}{n:07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
    return "+4520123456"


def order_payload(external_id: str, serial: int) -> dict:
    """A realistic order: a new customer with both consents, 3 items."""
    return {
        "external_id": external_id,
        "number": f"#{external_id}",
        "placed_at": datetime.now(UTC).isoformat(),
        "currency": "DKK",
        "total": "3897.00",
        "locale": "da",
        "customer": {
            "email": f"buyer{serial}@bench.example",
            "phone": phone_for(serial),
            "first_name": "Anna",
            "last_name": f"Holm {serial}",
            "consent": {"email": True, "sms": True},
        },
        "shipping_address": {
            "line1": "Strandvejen 12",
            "city": "Aarhus",
            "postal_code": "8000",
            "country": "DK",
        },
        "items": [
            {
                "sku": f"SKU-{n}",
                "name": f"Sofa Hygge model {n}",
                "quantity": 1,
                "unit_price": "1299.00",
                "image_url": f"https://shop.example.com/img/{n}.jpg",
                "product_url": f"https://shop.example.com/p/{n}",
            }
            for n in range(3)
        ],
    }
