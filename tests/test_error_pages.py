"""Error pages: branded, in the visitor's language, neutral on buyers' links, JSON on the API.

Tests run with DEBUG off, so these are the pages a production visitor sees.
"""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_test_urls")]


def test_unknown_page_is_a_branded_404_in_the_visitors_language(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Diese Seite gibt es nicht" in html
    assert "dashboard/dashboard.css" in html and "Postpurchase" in html
    assert 'href="/dashboard/"' in html
    assert '<html lang="de">' in html


def test_404_on_a_tracking_link_is_neutral_and_names_no_dashboard(client):
    response = client.get("/t/abc/no/such/", HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Linket er måske ikke helt" in html
    assert "tracking/tracking.css" in html
    assert "/dashboard/" not in html and "Postpurchase" not in html


def test_server_error_is_a_branded_500_in_the_visitors_language():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Noget gik galt hos os" in html
    assert "a bug on our side" not in html and "Traceback" not in html


def test_server_error_on_a_buyers_link_is_neutral():
    client = Client(raise_request_exception=False)
    response = client.get("/t/abc/boom/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Bei uns ist etwas schiefgelaufen" in html
    assert "/dashboard/" not in html


def test_refused_page_is_a_branded_403(anders):
    client = Client()
    client.force_login(anders)  # an account manager: settings are the owner's
    response = client.get("/dashboard/settings/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "You don&#x27;t have access to this page" in response.content.decode()


def test_expired_form_is_a_branded_403_that_says_to_reload():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Dieses Formular ist abgelaufen" in html
    assert "CSRF" not in html


def test_bad_host_is_a_branded_400(client):
    response = client.get("/login/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This request could not be read" in response.content.decode()


def test_api_errors_outside_a_view_keep_the_json_shape():
    client = Client(raise_request_exception=False)
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404
    assert missing.json() == {"errors": {"detail": ["Not found."]}}
    broken = client.get("/api/v1/boom/")
    assert broken.status_code == 500
    assert broken.json() == {"errors": {"detail": ["Internal error; nothing was saved."]}}


def test_error_pages_are_not_cached(client):
    assert client.get("/no-such-page/")["Cache-Control"] == "no-store"
