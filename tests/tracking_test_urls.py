"""The real URLs plus a stand-in shop on the live server, so a browser can land on products."""

from django.http import HttpResponse
from django.urls import path

from postpurchase.urls import urlpatterns as real_urlpatterns

PALETTE = {
    "sofa": ("#d9cbb8", "#8b6f4e"),
    "sofa-1": ("#d9cbb8", "#8b6f4e"),
    "sofa-2": ("#cfd8cc", "#56705a"),
    "cush-1": ("#dfe7d3", "#5f7a45"),
    "throw-1": ("#efe4d2", "#b08a5a"),
    "lamp-1": ("#f3ead8", "#3b3b3b"),
    "table-1": ("#eadccb", "#7a5634"),
    "care-1": ("#e3e8ef", "#3f5a7a"),
}


def product_image(request, name):
    """A simple drawn product picture (an SVG), so screenshots show real-looking cards."""
    back, ink = PALETTE.get(name, ("#e5e7eb", "#6b7280"))
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="{back}"/><stop offset="1" stop-color="#ffffff"/></linearGradient></defs>
<rect width="400" height="300" fill="url(#g)"/>
<ellipse cx="200" cy="250" rx="140" ry="14" fill="#000" opacity=".08"/>
<rect x="90" y="120" width="220" height="110" rx="26" fill="{ink}"/>
<rect x="110" y="95" width="180" height="70" rx="22" fill="{ink}" opacity=".8"/>
<rect x="105" y="228" width="10" height="22" fill="{ink}"/><rect x="285" y="228" width="10" height="22" fill="{ink}"/>
</svg>"""
    return HttpResponse(svg, content_type="image/svg+xml")


def product_page(request, slug):
    return HttpResponse(
        f"<!doctype html><title>{slug}</title><h1 id='product'>Product {slug}</h1>",
        content_type="text/html",
    )


urlpatterns = [
    path("shop/img/<slug:name>.svg", product_image),
    path("shop/p/<slug:slug>", product_page),
    *real_urlpatterns,
]
