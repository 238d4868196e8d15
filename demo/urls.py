"""The demo catalogue's pictures, drawn on request (demo/images.py), under /demo/."""

from django.urls import path

from demo.images import demo_product_image

urlpatterns = [
    path("products/<slug:slug>.png", demo_product_image, name="demo-product-image"),
]
