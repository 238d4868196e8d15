"""Public tracking URLs, included at /t/ (the contract's tracking_url is /t/<token>/)."""

from django.urls import path

from tracking import views
from tracking.delivery import views as delivery_views

app_name = "tracking"

urlpatterns = [
    path("theme.css", views.theme_css, name="theme"),
    path("<str:key>/", views.tracking_entry, name="page"),
    path("<str:token>/rating/", views.rating_submit, name="rating"),
    path("<str:token>/delivery/", delivery_views.delivery_answer, name="delivery"),
    path("<str:token>/go/<int:product_id>/<int:slot>/", views.crosssell_click, name="click"),
]
