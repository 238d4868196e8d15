"""What `make run` tells a new user to open: pages, logins, the API key, a tracking link per state.

`load_demo` prints it, and `serve_all` prints it again once web, worker and beat are up,
so it is the last thing on the screen. The API key is shown only when it was just made:
load_demo leaves it in a file under VAR_DIR (readable by the user only) for serve_all,
which prints it and deletes the file.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from demo.shop import ACCOUNT_MANAGER, OWNER, SLUG
from orders.models import Order, Shipment, ShipmentStatus
from postpurchase.models import Merchant

LANGUAGES = {"en": "English", "da": "Danish", "de": "German"}


def new_key_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-api-key"


def new_key_keep(raw_key: str) -> None:
    """Keep a just-made key for serve_all's summary (0600: it authenticates as the shop)."""
    path = new_key_path()
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(raw_key)


def new_key_take() -> str:
    """The key load_demo just made, once: the file is gone after this."""
    path = new_key_path()
    try:
        raw_key = path.read_text().strip()
    except FileNotFoundError:
        return ""
    path.unlink(missing_ok=True)
    return raw_key


def tracking_links(merchant: Merchant) -> list[tuple[str, Order]]:
    """One demo order per shipment state (and one not shipped yet), in the order of a journey.

    An order with one parcel is preferred: its page shows that state alone.
    """
    orders = Order.objects.for_merchant(merchant).order_by("-placed_at")
    by_state: dict[str, Order] = {}
    unshipped = orders.filter(shipments__isnull=True).first()
    parcels = Shipment.objects.for_merchant(merchant).select_related("order")
    counts: dict[int, int] = {}
    for shipment in parcels:
        counts[shipment.order_id] = counts.get(shipment.order_id, 0) + 1
    for shipment in sorted(
        parcels, key=lambda s: (counts[s.order_id], -s.order.placed_at.timestamp())
    ):
        by_state.setdefault(shipment.status, shipment.order)
    links = [("Not shipped yet", unshipped)] if unshipped else []
    links += [(status.label, by_state[status]) for status in ShipmentStatus if status in by_state]
    return links


def demo_summary(*, base_url: str | None = None, api_key: str = "") -> str:
    """What to open and how to sign in; empty if the demo is not loaded."""
    merchant = Merchant.objects.filter(slug=SLUG).first()
    if merchant is None:
        return ""
    base = (base_url or settings.PUBLIC_BASE_URL).rstrip("/")

    def url(path: str) -> str:
        return f"{base}{path}"

    orders = Order.objects.for_merchant(merchant)
    lines = [
        f"Demo merchant: {merchant.name} ({orders.count()} orders)",
        f"  Dashboard      {url('/dashboard/')}   sign in at {url('/login/')}",
        f"                 as {OWNER['email']} / {OWNER['password']}   (owner)",
        f"  Call queue     {url('/calls/')}",
        f"                 as {ACCOUNT_MANAGER['email']} / {ACCOUNT_MANAGER['password']}"
        "   (account manager)",
        f"  API docs       {url('/api/docs/')}",
    ]
    if api_key:
        lines += [
            f"  API key        {api_key}   (shown once: copy it now)",
            f"                 curl -H 'Authorization: Bearer {api_key}' {url('/api/v1/orders/')}",
        ]
    else:
        lines.append(
            "  API key        shown when made; `python manage.py load_demo --new-api-key` makes one"
        )
    lines.append(f"  Order lookup   {url(f'/t/{merchant.slug}/')}   (a buyer without the link)")
    lines.append("  Tracking pages, one per shipment state:")
    links = tracking_links(merchant)
    width = max((len(label) for label, _ in links), default=0)
    for label, order in links:
        path = urlsplit(order.tracking_url).path
        language = LANGUAGES.get(order.locale, order.locale)
        lines.append(f"    {label:<{width}}  {url(path)}   ({language})")
    lines.append(
        f"  Admin          {url('/platform-admin/')}   (needs `manage.py createsuperuser`)"
    )
    return "\n".join(lines)
