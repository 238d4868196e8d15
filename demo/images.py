"""Pictures of the demo catalogue, drawn here: no image files in the repository, no third party.

Each product gets a simple illustration of its kind (sofa, chair, table, lamp, …) in its
material's colour on the demo shop's warm background, served as PNG (email clients
do not show SVG) by `demo_product_image`.
"""

import io
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from demo.shop import BRANDING, PRODUCTS

SIZE = (800, 600)  # drawn at twice the served size, then scaled down for smooth edges
SERVED = (400, 300)

# sku -> (kind, main colour, second colour)
LOOKS = {
    "SOFA-HYGGE-3": ("sofa", "#ddd2bf", "#8a7a62"),
    "SOFA-FJORD-2": ("sofa", "#5d6e4a", "#3c4a30"),
    "CHAIR-SKAGEN": ("lounge_chair", "#c9a57a", "#6f6a61"),
    "CHAIR-LOKE": ("chair", "#c49a6c", "#9a7449"),
    "TABLE-BORNHOLM": ("table", "#c49a6c", "#9a7449"),
    "TABLE-AMAGER": ("coffee_table", "#6b4f3a", "#4a3627"),
    "LAMP-LYS": ("pendant", "#f4f1ea", "#b9b2a4"),
    "LAMP-GLOED": ("floor_lamp", "#c9a24a", "#8c6e2a"),
    "RUG-KLIT": ("rug", "#d9c7b0", BRANDING["accent_color"]),
    "THROW-VADEHAV": ("throw", BRANDING["accent_color"], "#e9d3bf"),
    "SHELF-STOLPE": ("shelf", "#d8c3a0", "#a88c62"),
    "CARE-OAK-KIT": ("care_kit", BRANDING["primary_color"], "#c49a6c"),
}
SLUGS = {sku.lower(): sku for sku, *_ in PRODUCTS}


def demo_image_url(slug: str) -> str:
    """Absolute, so the picture also shows in emails."""
    path = reverse("demo-product-image", kwargs={"slug": slug})
    return f"{settings.PUBLIC_BASE_URL}{path}"


@require_GET
def demo_product_image(request, slug: str):
    if slug not in SLUGS:
        raise Http404
    response = HttpResponse(product_png(SLUGS[slug]), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@lru_cache(maxsize=len(LOOKS))
def product_png(sku: str) -> bytes:
    from PIL import Image, ImageDraw

    kind, main, second = LOOKS[sku]
    image = Image.new("RGB", SIZE, BRANDING["background_color"])
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 500, 650, 540), fill="#e6e0d6")  # floor shadow
    DRAW[kind](draw, main, second)
    out = io.BytesIO()
    image.resize(SERVED, Image.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _legs(draw, xs, top, bottom, colour, width=14):
    for x in xs:
        draw.rectangle((x, top, x + width, bottom), fill=colour)


def _sofa(draw, main, second):
    _legs(draw, (190, 596), 440, 515, second)
    draw.rounded_rectangle((150, 230, 650, 380), radius=50, fill=main)  # back
    draw.rounded_rectangle((170, 330, 630, 450), radius=30, fill=main)  # seat
    draw.line((400, 345, 400, 440), fill=second, width=4)
    draw.rounded_rectangle((120, 300, 200, 460), radius=36, fill=main, outline=second, width=3)
    draw.rounded_rectangle((600, 300, 680, 460), radius=36, fill=main, outline=second, width=3)


def _lounge_chair(draw, main, second):
    _legs(draw, (270, 516), 420, 515, main, 16)
    draw.rounded_rectangle((260, 170, 540, 380), radius=60, fill=second)  # wool shell
    draw.rounded_rectangle((240, 330, 560, 430), radius=34, fill=second)
    draw.rounded_rectangle((230, 300, 270, 430), radius=16, fill=main)  # oak arms
    draw.rounded_rectangle((530, 300, 570, 430), radius=16, fill=main)


def _chair(draw, main, second):
    _legs(draw, (300, 486), 360, 515, second, 16)
    draw.rounded_rectangle((300, 160, 500, 200), radius=18, fill=main)  # backrest
    _legs(draw, (310, 476), 190, 340, second, 12)
    draw.rounded_rectangle((280, 330, 520, 370), radius=14, fill=main)  # seat


def _table(draw, main, second):
    _legs(draw, (190, 596), 330, 515, second, 22)
    draw.rounded_rectangle((120, 290, 680, 340), radius=14, fill=main)


def _coffee_table(draw, main, second):
    _legs(draw, (230, 556), 400, 515, second, 20)
    draw.rounded_rectangle((170, 360, 630, 410), radius=24, fill=main)
    draw.rounded_rectangle((330, 320, 420, 362), radius=10, fill="#e8e2d6")  # a book


def _pendant(draw, main, second):
    draw.line((400, 0, 400, 180), fill=second, width=5)
    draw.pieslice((240, 170, 560, 490), 180, 360, fill=main, outline=second, width=4)
    draw.ellipse((370, 300, 430, 350), fill="#fff4cf")  # the bulb's glow


def _floor_lamp(draw, main, second):
    draw.line((400, 200, 400, 505), fill=main, width=12)
    draw.ellipse((320, 490, 480, 525), fill=second)
    draw.polygon([(300, 230), (500, 230), (450, 120), (350, 120)], fill=main)
    draw.line((300, 230, 500, 230), fill=second, width=6)


def _rug(draw, main, second):
    draw.polygon([(120, 470), (680, 470), (600, 330), (200, 330)], fill=main)
    for offset in (0, 40, 80):
        draw.line(
            (230 + offset, 345 + offset / 2, 570 - offset, 345 + offset / 2), fill=second, width=6
        )


def _throw(draw, main, second):
    draw.rounded_rectangle((230, 210, 570, 470), radius=26, fill=main)
    draw.rounded_rectangle((230, 210, 570, 290), radius=26, fill=second)  # the fold
    for x in range(250, 560, 24):
        draw.line((x, 470, x, 500), fill=main, width=5)  # fringe


def _shelf(draw, main, second):
    draw.rectangle((220, 120, 236, 500), fill=second)
    draw.rectangle((564, 120, 580, 500), fill=second)
    for y in (180, 300, 420):
        draw.rounded_rectangle((200, y, 600, y + 20), radius=6, fill=main)
    draw.rounded_rectangle((260, 240, 300, 300), radius=8, fill=BRANDING["accent_color"])
    draw.ellipse((460, 380, 520, 420), fill=BRANDING["primary_color"])


def _care_kit(draw, main, second):
    draw.rounded_rectangle((270, 220, 380, 480), radius=22, fill=main)  # soap bottle
    draw.rectangle((305, 180, 345, 222), fill="#1b2f2a")
    draw.rounded_rectangle((410, 280, 530, 480), radius=18, fill=second)  # oil tin
    draw.rectangle((290, 320, 360, 380), fill="#f6f3ee")
    draw.rectangle((430, 350, 510, 400), fill="#f6f3ee")


DRAW = {
    "sofa": _sofa,
    "lounge_chair": _lounge_chair,
    "chair": _chair,
    "table": _table,
    "coffee_table": _coffee_table,
    "pendant": _pendant,
    "floor_lamp": _floor_lamp,
    "rug": _rug,
    "throw": _throw,
    "shelf": _shelf,
    "care_kit": _care_kit,
}
