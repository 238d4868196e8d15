"""Per-address limits behind a proxy: the client's address, never one the client made up.

Mallory guesses; Anna and Ben only want their own pages. With no trusted proxy
(TRUSTED_PROXY_COUNT=0) X-Forwarded-For is the client's own word and ignored. Behind one
load balancer (=1) REMOTE_ADDR is the balancer, shared by everyone, and the entry it
appended to X-Forwarded-For is the client.
"""

import secrets

import pytest
from django.test import Client, RequestFactory, override_settings

from postpurchase.client_ip import client_ip
from tracking.views import LOOKUP_LIMIT

BALANCER = "10.0.0.1"
MALLORY, ANNA = "203.0.113.9", "198.51.100.7"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_ip(_request(MALLORY, "1.2.3.4")) == MALLORY
    assert client_ip(_request(MALLORY)) == MALLORY


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_entry_it_appended_is_the_client():
    # Mallory sends "X-Forwarded-For: 1.2.3.4"; the balancer appends what it saw.
    assert client_ip(_request(BALANCER, f"1.2.3.4, {MALLORY}")) == MALLORY
    assert client_ip(_request(BALANCER, ANNA)) == ANNA


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_outer_proxys_entry_is_the_client():
    assert client_ip(_request(BALANCER, f"1.2.3.4, {ANNA}, 10.0.0.2")) == ANNA


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_missing_or_garbled_header_falls_back_to_the_peer():
    assert client_ip(_request(BALANCER)) == BALANCER
    assert client_ip(_request(BALANCER, "not-an-address")) == BALANCER
    assert client_ip(_request(BALANCER, " , ")) == BALANCER


def _lookup(client, slug, **extra):
    return client.post(
        f"/t/{slug}/",
        {"number": "#0", "contact": "guess@example.com"},
        HTTP_USER_AGENT=BROWSER,
        **extra,
    )


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=0)
def test_a_made_up_forwarded_header_does_not_escape_the_lookup_limit(merchant_a):
    mallory = Client(REMOTE_ADDR=MALLORY)
    statuses = [
        _lookup(mallory, merchant_a.slug, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(LOOKUP_LIMIT + 2)
    ]
    assert statuses[-1] == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_lookup_limits_count_each_client_separately(merchant_a):
    mallory = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=MALLORY)
    anna = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=ANNA)
    statuses = [_lookup(mallory, merchant_a.slug).status_code for _ in range(LOOKUP_LIMIT + 2)]
    assert statuses[-1] == 429
    # Anna shares the balancer's address; she is not locked out by Mallory.
    assert _lookup(anna, merchant_a.slug).status_code == 400
    # Nor can Mallory start afresh by writing another address in front of the real one.
    again = _lookup(mallory, merchant_a.slug, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {MALLORY}")
    assert again.status_code == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1, TOKEN_PROBE_LIMIT=3, TOKEN_PROBE_WINDOW=600)
def test_behind_a_proxy_token_guessing_blocks_only_the_guesser(merchant_a):
    mallory = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=MALLORY)
    anna = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=ANNA)
    statuses = [mallory.get(f"/t/{secrets.token_urlsafe(24)}/").status_code for _ in range(6)]
    assert statuses[-1] == 429
    assert anna.get(f"/t/{secrets.token_urlsafe(24)}/").status_code == 404


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_sign_in_failures_lock_only_that_client(alice, monkeypatch):
    from dashboard import forms

    monkeypatch.setattr(forms, "LOGIN_FAILURES_PER_IP", 3)
    mallory = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=MALLORY)
    for n in range(4):  # a different account each time: only the per-address limit bites
        mallory.post("/login/", {"username": f"user{n}@example.com", "password": "guess"})
    mallory.post("/login/", {"username": alice.email, "password": "alice-password-1"})
    assert "_auth_user_id" not in mallory.session
    anna = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=ANNA)
    anna.post("/login/", {"username": alice.email, "password": "alice-password-1"})
    assert "_auth_user_id" in anna.session
