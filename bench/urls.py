"""The production URLs plus the bench-only baseline page."""

from django.urls import path

from bench import views
from postpurchase.urls import urlpatterns as production_urlpatterns

urlpatterns = [
    path("bench/static-page/", views.static_page, name="bench-static-page"),
    *production_urlpatterns,
]
