"""The demo's orders: who bought what, where it went, and each parcel's carrier events,
relative to the moment of the first load. One order per shipment state."""

from dataclasses import dataclass
from decimal import Decimal

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
