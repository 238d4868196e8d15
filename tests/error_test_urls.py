"""The real URLs and error handlers, plus a view that fails, for the 500 page."""

from django.urls import path

from postpurchase.urls import handler400, handler403, handler404, handler500  # noqa: F401
from postpurchase.urls import urlpatterns as real_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug on our side")


urlpatterns = [
    path("boom/", broken_view),
    path("t/<str:token>/boom/", broken_view),
    path("api/v1/boom/", broken_view),
    *real_urlpatterns,
]
