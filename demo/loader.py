"""The demo merchant `make run` loads: Nordic Living, a Danish furniture shop.

Orders go through the same services as the API (order_upsert, shipment_create,
shipment_event_record), so touchpoints are planned exactly as in production.
Loading is idempotent: an order that exists is left alone, so a second load
changes nothing and sends nothing.

Timelines are relative to the moment of the first load. Touchpoints caused by
events that happened long ago are settled as they would have been at the time
(sent, calls done); the newest order and recent events stay live, so the worker
visibly sends them when `make run` starts.
"""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from followups.models import CallAttempt, FollowUpCall, Outcome
from followups.scheduling import next_business_day_start
from notifications.history import touchpoint_transition
from notifications.models import Touchpoint
from orders import services as order_services
from orders.models import Benefit, Order, Product, ShipmentEvent, Testimonial
from orders.serializers import OrderInput, ShipmentEventInput, ShipmentInput
from postpurchase.models import ApiKey, Branding, Membership, Merchant, User
from postpurchase.services import api_key_create, merchant_create

SLUG = "nordic-living"
SHOP = "https://nordicliving.example"
OWNER = {
    "email": "mette@nordicliving.example",
    "password": "nordic-owner-demo",
    "name": "Mette Nordahl",
}
ACCOUNT_MANAGER = {
    "email": "anders@nordicliving.example",
    "password": "nordic-calls-demo",
    "name": "Anders Berg",
}
API_KEY_NAME = "Demo key"

# Events older than this were "sent at the time"; newer ones are sent live.
LIVE_WINDOW = dt.timedelta(minutes=30)

BRANDING = {
    "primary_color": "#24413a",
    "accent_color": "#c8794b",
    "background_color": "#f6f3ee",
    "text_color": "#1f2421",
    "font": Branding.Font.HUMANIST,
    # Each buyer reads the banner and the menu in their own language (#17.3).
    "banner_messages": {
        "en": "Free delivery in Denmark on orders over 2,000 kr · 100-day returns",
        "da": "Fri levering i Danmark ved køb over 2.000 kr. · 100 dages returret",
        "de": "Kostenlose Lieferung ab 270 € · 100 Tage Rückgaberecht",
    },
    "shop_links": [
        {"label": "Shop", "labels": {"en": "Shop", "da": "Butik", "de": "Shop"}, "url": f"{SHOP}/"},
        {
            "label": "Sofas",
            "labels": {"en": "Sofas", "da": "Sofaer", "de": "Sofas"},
            "url": f"{SHOP}/sofas",
        },
        {
            "label": "Care guide",
            "labels": {"en": "Care guide", "da": "Plejeguide", "de": "Pflegetipps"},
            "url": f"{SHOP}/care",
        },
        {
            "label": "Returns",
            "labels": {"en": "Returns", "da": "Returnering", "de": "Rückgabe"},
            "url": f"{SHOP}/returns",
        },
    ],
    "sender_name": "Nordic Living",
    "reply_to_email": "hej@nordicliving.example",
    "sms_sender": "NordicLivng",
}

# sku, name, category, price (DKK), best-seller rank, tags
PRODUCTS = [
    ("SOFA-HYGGE-3", "Hygge 3-seater sofa, oat bouclé", "sofas", "12995", 1, ["bouclé"]),
    ("SOFA-FJORD-2", "Fjord 2-seater sofa, moss velvet", "sofas", "9495", 4, ["velvet"]),
    ("CHAIR-SKAGEN", "Skagen lounge chair, oak and wool", "chairs", "5495", 2, ["oak"]),
    ("CHAIR-LOKE", "Loke dining chair, oiled oak", "chairs", "1395", 6, ["oak"]),
    ("TABLE-BORNHOLM", "Bornholm dining table, oiled oak 200 cm", "tables", "11495", 3, ["oak"]),
    ("TABLE-AMAGER", "Amager coffee table, smoked oak", "tables", "3495", 5, ["oak"]),
    ("LAMP-LYS", "Lys pendant lamp, opal glass", "lighting", "1895", 7, ["glass"]),
    ("LAMP-GLOED", "Gløed floor lamp, brushed brass", "lighting", "2495", None, ["brass"]),
    ("RUG-KLIT", "Klit wool rug 200 × 300 cm", "textiles", "4295", 8, ["wool"]),
    ("THROW-VADEHAV", "Vadehav wool throw", "textiles", "895", 9, ["wool"]),
    ("SHELF-STOLPE", "Stolpe wall shelf, ash", "storage", "1695", None, ["ash"]),
    ("CARE-OAK-KIT", "Oak care kit: soap and oil", "care", "249", 10, ["oak", "care"]),
]

# The catalogue's names in Danish (the shop's default language: a product's `name`) and
# German; the English one is in PRODUCTS.
PRODUCT_NAMES = {
    "SOFA-HYGGE-3": ("Hygge 3-personers sofa, havre bouclé", "Hygge 3-Sitzer-Sofa, Bouclé Hafer"),
    "SOFA-FJORD-2": (
        "Fjord 2-personers sofa, mosgrøn velour",
        "Fjord 2-Sitzer-Sofa, Samt Moosgrün",
    ),
    "CHAIR-SKAGEN": ("Skagen loungestol, eg og uld", "Skagen Loungesessel, Eiche und Wolle"),
    "CHAIR-LOKE": ("Loke spisebordsstol, olieret eg", "Loke Esszimmerstuhl, Eiche geölt"),
    "TABLE-BORNHOLM": (
        "Bornholm spisebord, olieret eg 200 cm",
        "Bornholm Esstisch, Eiche geölt 200 cm",
    ),
    "TABLE-AMAGER": ("Amager sofabord, røget eg", "Amager Couchtisch, Räuchereiche"),
    "LAMP-LYS": ("Lys pendel, opalglas", "Lys Pendelleuchte, Opalglas"),
    "LAMP-GLOED": ("Gløed gulvlampe, børstet messing", "Gløed Stehleuchte, Messing gebürstet"),
    "RUG-KLIT": ("Klit uldtæppe 200 × 300 cm", "Klit Wollteppich 200 × 300 cm"),
    "THROW-VADEHAV": ("Vadehav uldplaid", "Vadehav Wolldecke"),
    "SHELF-STOLPE": ("Stolpe væghylde, ask", "Stolpe Wandregal, Esche"),
    "CARE-OAK-KIT": ("Plejesæt til eg: sæbe og olie", "Pflegeset für Eiche: Seife und Öl"),
}

# (sku, category) -> texts in en, da, de
BENEFITS = [
    (
        "",
        "",
        [
            "Designed in Copenhagen and built to be lived with for decades.",
            "100 days to be sure: return it for free if it does not feel like home.",
            "Our customer service answers within one working day.",
        ],
        [
            "Designet i København og bygget til at blive brugt i årtier.",
            "100 dage til at være sikker: send den gratis retur, hvis den ikke føles hjemme.",
            "Vores kundeservice svarer inden for én arbejdsdag.",
        ],
        [
            "In Kopenhagen entworfen und gebaut, um jahrzehntelang benutzt zu werden.",
            "100 Tage Bedenkzeit: kostenlose Rücksendung, wenn es sich nicht nach Zuhause anfühlt.",
            "Unser Kundenservice antwortet innerhalb eines Werktags.",
        ],
    ),
    (
        "",
        "sofas",
        [
            "Cold-foam cushions that keep their shape for years.",
            "Covers come off and can be washed or replaced.",
            "The frame carries a 10-year guarantee.",
        ],
        [
            "Hynder i koldskum, der holder formen i mange år.",
            "Betrækket kan tages af, vaskes eller udskiftes.",
            "Stellet har 10 års garanti.",
        ],
        [
            "Kaltschaumpolster, die jahrelang ihre Form behalten.",
            "Die Bezüge sind abnehmbar, waschbar und austauschbar.",
            "Auf das Gestell geben wir 10 Jahre Garantie.",
        ],
    ),
    (
        "",
        "tables",
        [
            "Solid FSC-certified oak: every table has its own grain.",
            "Oiled, not lacquered, so scratches can be sanded away at home.",
        ],
        [
            "Massiv FSC-certificeret eg: hvert bord har sin egen åretegning.",
            "Olieret, ikke lakeret, så ridser kan slibes væk derhjemme.",
        ],
        [
            "Massive FSC-zertifizierte Eiche: jeder Tisch hat seine eigene Maserung.",
            "Geölt statt lackiert, Kratzer lassen sich zu Hause abschleifen.",
        ],
    ),
    (
        "",
        "chairs",
        [
            "Tested for 100,000 sittings to the European EN 16139 standard.",
            "Made by a family workshop in Jutland since 1962.",
        ],
        [
            "Testet til 100.000 siddninger efter europæisk standard EN 16139.",
            "Lavet af et familieværksted i Jylland siden 1962.",
        ],
        [
            "Auf 100.000 Sitzvorgänge nach der europäischen Norm EN 16139 geprüft.",
            "Seit 1962 in einer Familienwerkstatt in Jütland gefertigt.",
        ],
    ),
    (
        "",
        "lighting",
        [
            "Warm, glare-free light designed for long Nordic evenings.",
            "Works with any standard E27 LED bulb.",
        ],
        [
            "Varmt, blændfrit lys skabt til lange nordiske aftener.",
            "Passer til alle almindelige E27 LED-pærer.",
        ],
        [
            "Warmes, blendfreies Licht für lange nordische Abende.",
            "Passt für jede handelsübliche E27-LED-Lampe.",
        ],
    ),
]

# locale, author, detail, quote, rating, category
TESTIMONIALS = [
    (
        "en",
        "Sarah K.",
        "Edinburgh",
        "Two years on, our Hygge sofa still looks brand new. Worth every penny.",
        5,
        "sofas",
    ),
    (
        "en",
        "James P.",
        "Manchester",
        "The table arrived in perfect condition and the oak is even nicer in person.",
        5,
        "tables",
    ),
    (
        "en",
        "Priya S.",
        "London",
        "Lovely quality and a delivery team that actually called ahead.",
        5,
        "",
    ),
    (
        "da",
        "Louise M.",
        "Aarhus",
        "Sofaen er lige så blød som den første dag – og betrækket har overlevet to børn.",
        5,
        "sofas",
    ),
    (
        "da",
        "Rasmus T.",
        "Odense",
        "Bordet er smukt, og træet bliver bare pænere med tiden.",
        5,
        "tables",
    ),
    (
        "da",
        "Camilla H.",
        "København",
        "Stolene er solide og behagelige at sidde på hele aftenen.",
        4,
        "chairs",
    ),
    (
        "da",
        "Peter S.",
        "Aalborg",
        "Hurtig levering og venlig kundeservice. Vi handler her igen.",
        5,
        "",
    ),
    (
        "de",
        "Julia W.",
        "Hamburg",
        "Unser Sofa ist nach einem Jahr noch wie neu. Klare Empfehlung!",
        5,
        "sofas",
    ),
    (
        "de",
        "Markus F.",
        "Berlin",
        "Der Esstisch ist ein Schmuckstück – solide Eiche, tolle Verarbeitung.",
        5,
        "tables",
    ),
    ("de", "Sabine K.", "München", "Schnelle Lieferung und sehr freundlicher Service.", 4, ""),
]

CUSTOMERS = {
    "emma": {
        "first_name": "Emma",
        "last_name": "Thompson",
        "email": "emma.thompson@example.co.uk",
        "phone": "+447911123456",
        "locale": "en",
        "consent": {"email": True, "sms": True},
    },
    "oliver": {
        "first_name": "Oliver",
        "last_name": "Hughes",
        "email": "oliver.hughes@example.co.uk",
        "phone": "",
        "locale": "en",
        "consent": {"email": True, "sms": False},
    },
    "sofie": {
        "first_name": "Sofie",
        "last_name": "Jensen",
        "email": "sofie.jensen@example.dk",
        "phone": "+4520123456",
        "locale": "da",
        "consent": {"email": True, "sms": True},
    },
    "mikkel": {
        "first_name": "Mikkel",
        "last_name": "Larsen",
        "email": "mikkel.larsen@example.dk",
        "phone": "+4531415926",
        "locale": "da",
        "consent": {"email": True, "sms": True},
    },
    "freja": {
        "first_name": "Freja",
        "last_name": "Nielsen",
        "email": "freja.nielsen@example.dk",
        "phone": "+4540112233",
        "locale": "da",
        "consent": {"email": False, "sms": True},
    },
    "jonas": {
        "first_name": "Jonas",
        "last_name": "Christensen",
        "email": "jonas.c@example.dk",
        "phone": "+4561234567",
        "locale": "da",
        "consent": {"email": True, "sms": True},
    },
    "karen": {
        "first_name": "Karen",
        "last_name": "Madsen",
        "email": "karen.madsen@example.dk",
        "phone": "+4526875309",
        "locale": "da",
        "consent": {"email": True, "sms": False},
    },
    "ida": {
        "first_name": "Ida",
        "last_name": "Poulsen",
        "email": "ida.poulsen@example.dk",
        "phone": "+4533124567",
        "locale": "da",
        "consent": {"email": False, "sms": False, "call": False},
    },
    "lukas": {
        "first_name": "Lukas",
        "last_name": "Schneider",
        "email": "lukas.schneider@example.de",
        "phone": "+4917612345678",
        "locale": "de",
        "consent": {"email": True, "sms": True},
    },
    "hannah": {
        "first_name": "Hannah",
        "last_name": "Becker",
        "email": "hannah.becker@example.de",
        "phone": "+4923456789",
        "locale": "de",
        "consent": {"email": True, "sms": False},
    },
    "felix": {
        "first_name": "Felix",
        "last_name": "Wagner",
        "email": "felix.wagner@example.de",
        "phone": "",
        "locale": "de",
        "consent": {"email": True, "sms": False},
    },
    "noah": {
        "first_name": "Noah",
        "last_name": "Schmidt",
        "email": "noah.schmidt@example.de",
        "phone": "+4540404040",
        "locale": "de",
        "consent": {"email": True, "sms": True},
    },
}

ADDRESSES = {
    "emma": ("14 Royal Crescent", "Bath", "BA1 2LR", "GB"),
    "oliver": ("27 Canonbury Road", "London", "N1 2DG", "GB"),
    "sofie": ("Jægergårdsgade 48, 2. th", "Aarhus C", "8000", "DK"),
    "mikkel": ("Nørrebrogade 112, 3. tv", "København N", "2200", "DK"),
    "freja": ("Vesterbrogade 9", "København V", "1620", "DK"),
    "jonas": ("Kongensgade 31", "Odense C", "5000", "DK"),
    "karen": ("Boulevarden 5", "Aalborg", "9000", "DK"),
    "ida": ("Strandvejen 212", "Charlottenlund", "2920", "DK"),
    "lukas": ("Schanzenstraße 17", "Hamburg", "20357", "DE"),
    "hannah": ("Eppendorfer Weg 88", "Hamburg", "20259", "DE"),
    "felix": ("Kastanienallee 40", "Berlin", "10435", "DE"),
    "noah": ("Leopoldstraße 61", "München", "80802", "DE"),
}

CURRENCY = {
    "da": ("DKK", Decimal("1")),
    "de": ("EUR", Decimal("7.46")),
    "en": ("GBP", Decimal("8.70")),
}

# Carrier wording of each normalized status, as a real feed would send it.
RAW = {
    "label_created": ("PREADVICE", "Shipment information received"),
    "in_transit": ("INTRANSIT", "Parcel sorted at terminal"),
    "out_for_delivery": ("INDELIVERY", "Out for delivery"),
    "available_for_pickup": ("INPARCELSHOP", "Ready for pickup at the parcel shop"),
    "attempt_failed": ("NOTDELIVERED", "Delivery attempted; no one was home"),
    "delayed": ("DELAYED", "Delayed: weather conditions on the route"),
    "exception": ("DAMAGED", "Parcel damaged in transit; the sender has been informed"),
    "delivered": ("DELIVERED", "Delivered"),
    "returned_to_sender": ("RETURNED", "Not collected in time; returned to sender"),
}


@dataclass(frozen=True)
class DemoShipment:
    carrier: str
    tracking_number: str
    eta_days: int | None  # estimated delivery, days from the load
    events: list[tuple[str, float, str]]  # (status, hours ago, location); may be out of order
    skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoOrder:
    external_id: str
    customer: str
    hours_ago: float
    items: list[tuple[str, int]]
    shipments: list[DemoShipment]


def _gls(n, eta, events, skus=()):
    return DemoShipment("GLS", n, eta, events, skus)


ORDERS = [
    # Just placed: its congratulation is sent live when the worker starts.
    DemoOrder("10412", "emma", 0.1, [("THROW-VADEHAV", 2), ("LAMP-LYS", 1)], []),
    DemoOrder(
        "10411",
        "lukas",
        20,
        [("CHAIR-SKAGEN", 1)],
        [DemoShipment("DHL", "00340434161094042557", 4, [("label_created", 3, "Kolding")])],
    ),
    DemoOrder(
        "10410",
        "noah",
        44,
        [("SOFA-HYGGE-3", 1), ("CARE-OAK-KIT", 1), ("THROW-VADEHAV", 1)],
        [
            DemoShipment(
                "DHL",
                "00340434161094042601",
                None,
                [
                    ("label_created", 40, "Kolding"),
                    ("in_transit", 30, "Padborg"),
                    ("out_for_delivery", 9, "München"),
                    ("delivered", 4, "München"),
                ],
                ("CARE-OAK-KIT", "THROW-VADEHAV"),
            ),
            DemoShipment(
                "DAO",
                "DAO8812345678",
                5,
                [("label_created", 38, "Kolding"), ("in_transit", 20, "Flensburg")],
                ("SOFA-HYGGE-3",),
            ),
        ],
    ),
    DemoOrder(
        "10409",
        "sofie",
        52,
        [("SOFA-HYGGE-3", 1)],
        [
            _gls(
                "05732291446",
                1,
                [
                    ("label_created", 46, "Kolding"),
                    ("in_transit", 30, "GLS Pakkecenter Brøndby"),
                    ("in_transit", 10, "GLS Depot Aarhus"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10407",
        "mikkel",
        75,
        [("TABLE-AMAGER", 1), ("RUG-KLIT", 1)],
        [
            DemoShipment(
                "PostNord",
                "00370712390012345678",
                0,
                [
                    ("label_created", 70, "Kolding"),
                    ("in_transit", 50, "PostNord Terminal Taastrup"),
                    ("out_for_delivery", 0.2, "København N"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10405",
        "freja",
        100,
        [("LAMP-GLOED", 1)],
        [
            DemoShipment(
                "PostNord",
                "00370712390012349911",
                None,
                [
                    ("label_created", 96, "Kolding"),
                    ("in_transit", 72, "PostNord Terminal Taastrup"),
                    ("available_for_pickup", 5, "Pakkeshop Netto, Vesterbrogade 104"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10402",
        "hannah",
        124,
        [("TABLE-BORNHOLM", 1), ("CHAIR-LOKE", 4)],
        [
            DemoShipment(
                "DHL Freight",
                "JVGL0654321098765432",
                1,
                [
                    ("label_created", 118, "Kolding"),
                    ("in_transit", 96, "Padborg"),
                    ("in_transit", 60, "Hamburg-Allermöhe"),
                    ("out_for_delivery", 28, "Hamburg"),
                    ("attempt_failed", 24, "Hamburg"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10398",
        "oliver",
        146,
        [("CHAIR-SKAGEN", 1), ("THROW-VADEHAV", 1)],
        [
            DemoShipment(
                "DHL Express",
                "JD014600006281230704",
                3,
                [
                    ("label_created", 140, "Kolding"),
                    ("in_transit", 120, "Copenhagen Hub"),
                    ("in_transit", 70, "East Midlands Hub"),
                    ("delayed", 12, "East Midlands Hub"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10395",
        "jonas",
        170,
        [("CHAIR-LOKE", 2)],
        [
            _gls(
                "05732291502",
                2,
                [
                    ("label_created", 165, "Kolding"),
                    ("in_transit", 140, "GLS Depot Odense"),
                    ("exception", 20, "GLS Depot Odense"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10390",
        "karen",
        216,
        [("SOFA-FJORD-2", 1)],
        [
            DemoShipment(
                "DAO",
                "DAO8812340001",
                None,
                [
                    ("label_created", 210, "Kolding"),
                    ("in_transit", 190, "DAO Terminal Aalborg"),
                    ("out_for_delivery", 126, "Aalborg"),
                    ("delivered", 120, "Aalborg"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10388",
        "felix",
        336,
        [("SHELF-STOLPE", 2)],
        [
            DemoShipment(
                "DHL",
                "00340434161094040011",
                None,
                [
                    ("label_created", 330, "Kolding"),
                    ("in_transit", 300, "Berlin-Schönefeld"),
                    ("out_for_delivery", 280, "Berlin"),
                    ("attempt_failed", 276, "Berlin"),
                    ("available_for_pickup", 270, "DHL Packstation 112, Kastanienallee"),
                    ("returned_to_sender", 48, "Kolding"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10385",
        "ida",
        290,
        [("TABLE-BORNHOLM", 1), ("CHAIR-LOKE", 6)],
        [
            DemoShipment(
                "DAO",
                "DAO8812339876",
                None,
                # Arrives out of order, as carrier feeds do: "delivered" first.
                [
                    ("delivered", 190, "Charlottenlund"),
                    ("label_created", 285, "Kolding"),
                    ("out_for_delivery", 196, "Hellerup"),
                    ("in_transit", 260, "DAO Terminal Brøndby"),
                ],
            )
        ],
    ),
    DemoOrder(
        "10381",
        "sofie",
        480,
        [("LAMP-LYS", 2), ("CARE-OAK-KIT", 1)],
        [
            _gls(
                "05732290077",
                None,
                [
                    ("label_created", 470, "Kolding"),
                    ("in_transit", 450, "GLS Pakkecenter Brøndby"),
                    ("out_for_delivery", 430, "Aarhus"),
                    ("delivered", 426, "Aarhus"),
                ],
            )
        ],
    ),
]


def load_demo(*, now: dt.datetime | None = None, new_api_key: bool = False) -> dict:
    """Create or complete the demo merchant. Returns what was created (raw API key once)."""
    now = now or timezone.now()
    with transaction.atomic():
        merchant, created = _merchant()
        _people(merchant)
        _catalogue(merchant)
        raw_key = _api_key(merchant, force=new_api_key)
    new_orders = 0
    for spec in ORDERS:
        if Order.objects.for_merchant(merchant).filter(external_id=spec.external_id).exists():
            continue
        # One transaction per order: sends planned for it are queued after it commits.
        with transaction.atomic():
            _order(merchant, spec, now)
        new_orders += 1
    return {"merchant": merchant, "created": created, "new_orders": new_orders, "api_key": raw_key}


def _merchant() -> tuple[Merchant, bool]:
    merchant = Merchant.objects.filter(slug=SLUG).first()
    created = merchant is None
    if created:
        merchant = merchant_create(
            name="Nordic Living",
            slug=SLUG,
            timezone_name="Europe/Copenhagen",
            owner_email=OWNER["email"],
            locale="da",
        )
        merchant.website_url = f"{SHOP}/"
        merchant.support_email = "hej@nordicliving.example"
        merchant.support_phone = "+4570201234"
        merchant.save()
    branding, _ = Branding.objects.get_or_create(merchant=merchant)
    if created or not branding.logo:
        for name, value in BRANDING.items():
            setattr(branding, name, value)
        branding.logo.save("nordic-living.png", ContentFile(_logo_png()), save=False)
        branding.save()
    return merchant, created


def _people(merchant: Merchant) -> None:
    for person, role in ((OWNER, "owner"), (ACCOUNT_MANAGER, "account_manager")):
        user = User.objects.filter(email=person["email"]).first()
        if user is None:
            user = User.objects.create_user(
                person["email"], person["password"], full_name=person["name"]
            )
        elif not user.has_usable_password():
            # merchant_create made the owner without a password; the demo prints one.
            user.set_password(person["password"])
            user.full_name = user.full_name or person["name"]
            user.save(update_fields=["password", "full_name"])
        Membership.objects.for_merchant(merchant).get_or_create(
            user=user, defaults={"merchant": merchant, "role": role}
        )


def _catalogue(merchant: Merchant) -> None:
    from demo.images import demo_image_url  # it draws from this module's data

    for sku, name, category, price, rank, tags in PRODUCTS:
        slug = sku.lower()
        Product.objects.for_merchant(merchant).update_or_create(
            sku=sku,
            defaults={
                "merchant": merchant,
                "name": PRODUCT_NAMES[sku][0],
                "category": category,
                "tags": tags,
                "names": {"en": name, "de": PRODUCT_NAMES[sku][1]},
                "price": Decimal(price),
                "currency": "DKK",
                # Its prices for German (EUR) and English (GBP) buyers: no kroner for them.
                "prices": {
                    CURRENCY[locale][0]: str(_money(Decimal(price), locale))
                    for locale in ("de", "en")
                },
                "image_url": demo_image_url(slug),
                "url": f"{SHOP}/products/{slug}",
                "best_seller_rank": rank,
            },
        )
    benefits = Benefit.objects.for_merchant(merchant)
    for sku, category, *texts in BENEFITS:
        for locale, lines in zip(("en", "da", "de"), texts, strict=True):
            for position, text in enumerate(lines):
                benefits.get_or_create(
                    sku=sku,
                    category=category,
                    locale=locale,
                    position=position,
                    defaults={"merchant": merchant, "text": text},
                )
    testimonials = Testimonial.objects.for_merchant(merchant)
    for locale, author, detail, quote, rating, category in TESTIMONIALS:
        testimonials.get_or_create(
            locale=locale,
            author_name=author,
            defaults={
                "merchant": merchant,
                "author_detail": detail,
                "quote": quote,
                "rating": rating,
                "category": category,
            },
        )


def _api_key(merchant: Merchant, *, force: bool) -> str:
    keys = ApiKey.objects.for_merchant(merchant).filter(name=API_KEY_NAME, revoked_at__isnull=True)
    if keys.exists() and not force:
        return ""
    for key in keys:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return api_key_create(merchant=merchant, name=API_KEY_NAME)[1]


def _money(amount: Decimal, locale: str) -> Decimal:
    rate = CURRENCY[locale][1]
    if rate == 1:
        return amount
    return (amount / rate).quantize(Decimal("1")) - Decimal("0.05")


def _order(merchant: Merchant, spec: DemoOrder, now: dt.datetime) -> Order:
    person = CUSTOMERS[spec.customer]
    locale = person["locale"]
    products = {p.sku: p for p in Product.objects.for_merchant(merchant)}
    items = [
        {
            "sku": sku,
            "name": products[sku].name_for(locale),
            "quantity": quantity,
            "unit_price": str(_money(products[sku].price, locale)),
            "image_url": _api_url(products[sku].image_url),
            "product_url": products[sku].url,
        }
        for sku, quantity in spec.items
    ]
    line1, city, postal_code, country = ADDRESSES[spec.customer]
    payload = {
        "external_id": spec.external_id,
        "number": f"NL-{spec.external_id}",
        "placed_at": (now - dt.timedelta(hours=spec.hours_ago)).isoformat(),
        "currency": CURRENCY[locale][0],
        "total": str(sum(Decimal(i["unit_price"]) * i["quantity"] for i in items)),
        "locale": locale,
        "customer": {k: v for k, v in person.items() if k != "locale"},
        "shipping_address": {
            "line1": line1,
            "city": city,
            "postal_code": postal_code,
            "country": country,
        },
        "items": items,
    }
    order = order_services.order_upsert(merchant=merchant, data=_valid(OrderInput, payload)).order
    for plan in spec.shipments:
        shipment_payload = {"carrier": plan.carrier, "tracking_number": plan.tracking_number}
        if plan.eta_days is not None:
            eta = (now + dt.timedelta(days=plan.eta_days)).astimezone(merchant.tzinfo).date()
            shipment_payload["estimated_delivery"] = eta.isoformat()
        if plan.skus:
            shipment_payload["items"] = [{"sku": sku} for sku in plan.skus]
        shipment = order_services.shipment_create(
            merchant=merchant, order=order, data=_valid(ShipmentInput, shipment_payload)
        )
        for status, hours_ago, location in plan.events:
            raw_status, message = RAW[status]
            event = {
                "status": status,
                "occurred_at": (now - dt.timedelta(hours=hours_ago)).isoformat(),
                "location": location,
                "message": message,
                "raw_status": raw_status,
            }
            order_services.shipment_event_record(
                merchant=merchant, shipment=shipment, data=_valid(ShipmentEventInput, event)
            )
            # Settled event by event: an update not yet sent is superseded by the next.
            _settle_history(merchant, order, now)
    _settle_history(merchant, order, now)
    return order


def _api_url(url: str) -> str:
    """The picture's URL where the API takes it: a PUBLIC_BASE_URL on a one-word host (a
    compose service name, the tests' "testserver") is no URL to it, so the item goes
    without (its page shows the placeholder; the catalogue keeps the picture)."""
    try:
        URLValidator()(url)
    except ValidationError:
        return ""
    return url


def _valid(serializer_class, payload: dict) -> dict:
    serializer = serializer_class(data=payload)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Calls about orders of the last two days before today are left for today's queue.
RECENT_CALL_DAYS = dt.timedelta(days=2)


def _settle_history(merchant: Merchant, order: Order, now: dt.datetime) -> None:
    """Make touchpoints of past causes look as they would have: sent, or call done.

    Planning uses "now" as the due time; for a demo loaded after the fact, that
    would send a pile of stale updates at once. Only the recent ones stay live.
    """
    events = {
        e.pk: e for e in ShipmentEvent.objects.for_merchant(merchant).filter(shipment__order=order)
    }
    today = now.astimezone(merchant.tzinfo).date()
    scheduled = (Touchpoint.Status.SCHEDULED,)
    for touchpoint in Touchpoint.objects.for_merchant(merchant).filter(order=order):
        if touchpoint.kind == Touchpoint.Kind.FOLLOWUP_CALL:
            due = next_business_day_start(merchant=merchant, after=order.placed_at)
            placed_on = order.placed_at.astimezone(merchant.tzinfo).date()
            done = due.date() < today and placed_on < today - RECENT_CALL_DAYS
            if done:
                touchpoint_transition(
                    touchpoint=touchpoint,
                    to_status=Touchpoint.Status.DONE,
                    from_statuses=scheduled,
                    reason="demo history: called at the time",
                    due_at=due,
                    sent_at=due + dt.timedelta(minutes=50),
                )
            elif placed_on < today:
                # The queue has work whatever day the demo is loaded (a Saturday too):
                # calls about the last days' orders are due today, not on Monday.
                due = dt.datetime.combine(today, _business_start(merchant), tzinfo=merchant.tzinfo)
            _settle_call(merchant, touchpoint, due=due, done=done)
            cause_at = due
        else:
            event = events.get((touchpoint.payload or {}).get("event_id"))
            cause_at = event.occurred_at if event else order.placed_at
            if cause_at < now - LIVE_WINDOW:
                touchpoint_transition(
                    touchpoint=touchpoint,
                    to_status=Touchpoint.Status.SENT,
                    from_statuses=scheduled,
                    reason="demo history: sent at the time",
                    due_at=cause_at,
                    sent_at=cause_at + dt.timedelta(minutes=2),
                )
        # Skipped ones too: their due time is when the cause happened, not the load.
        Touchpoint.objects.for_merchant(merchant).filter(pk=touchpoint.pk).update(due_at=cause_at)


def _business_start(merchant: Merchant) -> dt.time:
    start = merchant.business_hours_start
    return dt.time.fromisoformat(start) if isinstance(start, str) else start


def _settle_call(merchant: Merchant, touchpoint: Touchpoint, *, due, done: bool) -> None:
    """The call mirrors its touchpoint: done at the time (a happy buyer), or due at `due`."""
    call = FollowUpCall.objects.for_merchant(merchant).filter(touchpoint=touchpoint).first()
    if call is None or not call.is_open:
        return
    call.due_at = due
    if done:
        called_at = due + dt.timedelta(minutes=50)
        CallAttempt.objects.create(
            merchant=merchant,
            call=call,
            by=call.assignee,
            outcome=Outcome.REACHED_HAPPY,
            note="Happy with the order.",
            created_at=called_at,
        )
        call.status = FollowUpCall.Status.COMPLETED
        call.outcome = Outcome.REACHED_HAPPY
        call.attempts = 1
        call.completed_at = called_at
    call.save()


def _logo_png() -> bytes:
    """A simple wordmark in the brand colours, drawn here so no image file is committed."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (480, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 20, 88, 100), radius=18, fill=BRANDING["primary_color"])
    draw.polygon([(28, 80), (48, 40), (68, 80)], fill=BRANDING["accent_color"])
    try:
        font = ImageFont.load_default(size=44)
    except TypeError:  # Pillow without FreeType: the small bitmap font still reads
        font = ImageFont.load_default()
    draw.text((108, 34), "Nordic Living", font=font, fill=BRANDING["primary_color"])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
