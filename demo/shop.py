"""The demo shop, Nordic Living: its people, its brand and its catalogue (names in the
shop's three languages, benefits, testimonials). demo/images.py draws the pictures."""

from postpurchase.models import Branding

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
