"""Security settings, secrets handling, request limits and mass assignment."""

import importlib
import json
import logging
import os
import pkgutil
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework import serializers

from orders.models import Order
from postpurchase.models import ApiKey
from tests.conftest import make_payload
from tests.guarantees import record
from tests.processes import PROJECT_APPS, ROOT


def production_env(tmp_path) -> dict:
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production never has it.
    dropped = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="postpurchase.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="postpurchase.example.com",
        PUBLIC_BASE_URL="https://postpurchase.example.com",
        VAR_DIR=str(tmp_path / "var"),
    )
    return env


def test_deploy_check_is_clean_with_production_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    record("security", "manage.py check --deploy (production env)", outcome="clean")


def test_deploy_check_flags_anymail_without_webhook_secret(tmp_path):
    env = production_env(tmp_path)
    env.update(EMAIL_BACKEND="anymail.backends.postmark.EmailBackend", ANYMAIL_WEBHOOK_SECRET="")
    args = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "postpurchase.W001" in result.stdout + result.stderr
    env["ANYMAIL_WEBHOOK_SECRET"] = "postmark:" + secrets.token_urlsafe(24)
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_make_cookies_secure_and_send_hsts(tmp_path):
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.DEBUG]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    session_secure, csrf_secure, httponly, ssl_redirect, hsts, debug = json.loads(result.stdout)
    assert session_secure and csrf_secure and httponly and ssl_redirect
    assert hsts >= 31536000
    assert debug is False


@pytest.mark.django_db
def test_every_response_carries_csp_and_https_responses_carry_hsts(client):
    response = client.get("/healthz", secure=True)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    record("security", "CSP, HSTS, X-Frame-Options, nosniff headers", outcome="present")


# --- API keys -----------------------------------------------------------------


@pytest.mark.django_db
def test_api_key_is_stored_only_as_hash(api_a, merchant_a):
    key = ApiKey.objects.for_merchant(merchant_a).get()
    stored = " ".join(
        str(v)
        for v in ApiKey.objects.unscoped(
            reason="test: the stored row, as a reader of the database sees it"
        )
        .filter(pk=key.pk)
        .values()
        .get()
        .values()
    )
    assert api_a.raw_key not in stored
    secret_part = api_a.raw_key.split("_", 2)[2]
    assert secret_part not in stored


@pytest.mark.django_db
def test_authorization_header_never_appears_in_logs(api_a, order_payload, caplog):
    caplog.set_level(logging.DEBUG)
    api_a.post("/api/v1/orders/", order_payload, format="json")
    api_a.get("/api/v1/orders/999999/")
    api_a.post("/api/v1/orders/", {"total": "x"}, format="json")
    wrong = Client(HTTP_AUTHORIZATION=f"Bearer {api_a.raw_key}x")
    wrong.get("/api/v1/orders/")
    secret_part = api_a.raw_key.split("_", 2)[2]
    assert caplog.records, "expected some log output to inspect"
    assert secret_part not in caplog.text
    record("security", "API key absent from logs", log_records=len(caplog.records), leaked=0)


@pytest.mark.django_db
def test_revoked_and_unknown_keys_get_401(api_a, merchant_a):
    from postpurchase.services import api_key_revoke

    assert (
        Client(HTTP_AUTHORIZATION="Bearer pp_0123456789_nope").get("/api/v1/orders/").status_code
        == 401
    )
    key = ApiKey.objects.for_merchant(merchant_a).get()
    api_key_revoke(merchant=merchant_a, key_id=key.pk)
    assert api_a.get("/api/v1/orders/").status_code == 401


# --- tracking tokens ------------------------------------------------------------


@pytest.mark.django_db
def test_tracking_tokens_are_long_random_and_unrelated_to_ids(api_a):
    tokens = []
    for n in range(20):
        body = api_a.post("/api/v1/orders/", make_payload(f"T{n}"), format="json").json()
        tokens.append(body["tracking_url"].rstrip("/").rsplit("/", 1)[1])
        assert str(body["id"]) not in tokens[-1] or len(tokens[-1]) >= 32
    assert len(set(tokens)) == len(tokens)
    assert min(len(t) for t in tokens) >= 32  # 192 bits, URL-safe base64
    # No shared prefix that would hint at a sequence.
    assert len({t[:4] for t in tokens}) > 15


# --- request limits -------------------------------------------------------------


@pytest.mark.django_db
@override_settings(API_MAX_BODY_BYTES=10_000)
def test_oversized_json_body_is_413_before_anything_is_saved(api_a, merchant_a):
    payload = make_payload("BIG")
    payload["items"][0]["name"] = "x" * 20_000
    response = api_a.post("/api/v1/orders/", payload, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["errors"]["detail"][0]
    assert Order.objects.for_merchant(merchant_a).count() == 0
    record("inputs", "body over API_MAX_BODY_BYTES", tried=1, outcome="413")


@pytest.mark.django_db
def test_bodies_to_public_pages_are_limited_too(client):
    response = client.generic(
        "POST",
        "/healthz",
        data=b"x" * (settings.API_MAX_BODY_BYTES + 1),
        content_type="application/json",
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_deeply_nested_json_is_400_not_500(api_a, merchant_a):
    for depth in (40, 5000, 200_000):
        body = "[" * depth + "]" * depth
        response = api_a.generic("POST", "/api/v1/orders/", body, content_type="application/json")
        assert response.status_code == 400, (depth, response.status_code)
        assert "nested too deeply" in json.dumps(response.json())
    assert Order.objects.for_merchant(merchant_a).count() == 0
    record("inputs", "JSON nested 40/5000/200000 deep", tried=3, outcome="400")


@pytest.mark.django_db
@override_settings(API_RATE_LIMIT=3, API_RATE_WINDOW=60)
def test_api_quota_per_merchant_answers_429_with_retry_after(api_a, api_b):
    statuses = [api_a.get("/api/v1/orders/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api_a.get("/api/v1/orders/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "errors" in refused.json()
    # Merchant B's quota is its own.
    assert api_b.get("/api/v1/orders/").status_code == 200
    record("security", "API quota per merchant", limit=3, outcome="429 + Retry-After")


# --- mass assignment ------------------------------------------------------------


def _project_serializers() -> list[type]:
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            importlib.import_module(module.name)
    found, stack = [], [serializers.BaseSerializer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                found.append(sub)
    return found


# Writable fields with these names would let a client move rows between merchants,
# pick ids or skip the state machine.
FORBIDDEN_WRITABLE = {"merchant", "merchant_id", "id", "pk", "created_at", "updated_at"}
# Input serializers where a writable `status` is the client's own data, with why.
STATUS_IS_INPUT = {
    "orders.serializers.ShipmentEventInput": "a carrier event's status is what the event says",
    "followups.serializers.CallListInput": "a filter of the call list, not a field written",
}


@pytest.mark.django_db
def test_no_serializer_uses_all_fields_or_exclude():
    offenders = []
    for cls in _project_serializers():
        meta = getattr(cls, "Meta", None)
        if meta is None:
            continue
        if getattr(meta, "fields", None) == "__all__" or hasattr(meta, "exclude"):
            offenders.append(f"{cls.__module__}.{cls.__name__}")
    assert not offenders, f"name every field explicitly: {offenders}"


@pytest.mark.django_db
def test_merchant_ids_and_status_are_never_writable():
    checked, offenders = 0, []
    for cls in _project_serializers():
        path = f"{cls.__module__}.{cls.__name__}"
        if cls.__name__.endswith("Output"):
            continue  # output shapes: test_output_serializers_never_take_input checks them
        fields = cls().fields
        checked += 1
        for name, f in fields.items():
            if f.read_only:
                continue
            if name in FORBIDDEN_WRITABLE or (name == "status" and path not in STATUS_IS_INPUT):
                offenders.append(f"{path}.{name}")
    assert checked >= 5
    assert not offenders, f"writable fields that must not be: {offenders}"
    record("security", "serializers checked for mass assignment", serializers=checked, offenders=0)


def test_output_serializers_never_take_input():
    """`*Output` serializers only render; given data= they would become writable."""
    offenders = []
    for app in PROJECT_APPS:
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text()
            if re.search(r"Output\((?:[^()]*,\s*)?data\s*=", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


@pytest.mark.django_db
def test_client_cannot_set_merchant_or_id_on_an_order(api_a, api_b, merchant_a, merchant_b):
    payload = make_payload("MASS")
    payload.update(merchant=merchant_b.pk, merchant_id=merchant_b.pk, id=424242, status="sent")
    body = api_a.post("/api/v1/orders/", payload, format="json").json()
    assert body["id"] != 424242
    assert Order.objects.for_merchant(merchant_a).filter(external_id="MASS").exists()
    assert not Order.objects.for_merchant(merchant_b).exists()


# --- rate limits on the public and sign-in doors ----------------------------------


@pytest.mark.django_db
@override_settings(TOKEN_PROBE_LIMIT=5, TOKEN_PROBE_WINDOW=600)
def test_guessing_tracking_tokens_is_refused_after_a_few_misses(api_a):
    real = api_a.post("/api/v1/orders/", make_payload("TOK"), format="json").json()
    real_path = "/" + real["tracking_url"].split("/", 3)[3]
    prober = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [prober.get(f"/t/{secrets.token_urlsafe(24)}/").status_code for _ in range(8)]
    assert statuses[:5] == [404] * 5
    assert statuses[6:] == [429, 429]
    refused = prober.get(f"/t/{secrets.token_urlsafe(24)}/")
    assert refused.has_header("Retry-After")
    # The buyer (another address) still gets their page; their visits are never counted.
    buyer = Client(REMOTE_ADDR="198.51.100.7")
    assert all(buyer.get(real_path).status_code == 200 for _ in range(10))
    record("security", "tracking-token guessing", limit=5, tried=9, outcome="404 then 429")


@pytest.mark.django_db
def test_sign_in_locks_after_repeated_failures(alice):
    client = Client()
    for _ in range(6):
        client.post("/login/", {"username": alice.email, "password": "wrong-password"})
    page = client.post("/login/", {"username": alice.email, "password": "alice-password-1"})
    assert page.status_code == 200  # the form again, not a redirect into the dashboard
    assert "_auth_user_id" not in client.session
    record("security", "sign-in failures per account", limit=5, tried=7, outcome="locked")


@pytest.mark.django_db
def test_order_lookup_answers_429_after_ten_attempts(merchant_a):
    client = Client(REMOTE_ADDR="203.0.113.10")
    statuses = [
        client.post(
            f"/t/{merchant_a.slug}/", {"number": f"#{n}", "contact": "nobody@example.com"}
        ).status_code
        for n in range(12)
    ]
    assert 429 in statuses
    assert statuses.index(429) >= 10
    record("security", "order lookup attempts", limit=10, tried=12, outcome="429")


# --- audit log ----------------------------------------------------------------------


@pytest.mark.django_db
def test_key_creation_revocation_and_team_changes_are_audited_without_secrets(
    merchant_a, alice, anders, caplog
):
    from postpurchase.models import AuditLogEntry, Membership

    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(alice)
    page = client.post("/dashboard/api-keys/", {"name": "Shopify app"})
    assert page.status_code == 200
    key = ApiKey.objects.for_merchant(merchant_a).get(name="Shopify app")
    raw = re.search(r"pp_[0-9a-f]{10}_[A-Za-z0-9_-]+", page.content.decode()).group(0)
    client.post(f"/dashboard/api-keys/{key.pk}/revoke/")
    membership = Membership.objects.for_merchant(merchant_a).get(user=anders)
    client.post(f"/dashboard/team/{membership.pk}/deactivate/")
    entries = AuditLogEntry.objects.for_merchant(merchant_a)
    actions = set(entries.values_list("action", flat=True))
    assert {"api_key.created", "api_key.revoked", "team.deactivated"} <= actions
    assert set(entries.values_list("actor", flat=True)) == {alice.pk}
    everything = json.dumps(list(entries.values("target", "details")), default=str)
    secret_part = raw.split("_", 2)[2]
    assert secret_part not in everything
    assert secret_part not in caplog.text
    record("security", "audit log: keys and team", entries=entries.count(), secrets_leaked=0)


# --- CSRF on every form ----------------------------------------------------------------

# Views that take POSTs without a CSRF token, and why that is safe.
CSRF_EXEMPT = {
    "api/": "API: bearer-key auth, no cookies, so no cross-site request can carry credentials",
    "n/webhooks/": "provider callbacks: signature or webhook secret checked first",
    "integrations/": "shop-platform webhooks: merchant's HMAC checked first",
    "t/": "public buyer pages: no session; rating and lookup are token/throttle guarded",
    "n/u/": "one-click unsubscribe (RFC 8058): mail clients POST without a token",
    "calls/twilio/": "Twilio status callbacks: signature checked first",
    "calls/ambassador/opt-out/": "one-click opt-out from an email: signed token, no session",
    "carriers/": "carrier webhooks: merchant's HMAC checked first",
}


def _dummy_url(route: str) -> str:
    def fill(match):
        converter = match.group(1) or "str"
        return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000000"}.get(converter, "x")

    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: fill(m), route)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.mark.django_db
def test_every_session_form_refuses_a_post_without_csrf_token(alice):
    from tests.test_isolation import walk_patterns

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    checked, accepted = 0, []
    for route, name in walk_patterns():
        if "(?P<" in route or route.startswith("platform-admin/") or "\\" in route:
            continue
        if any(route.startswith(prefix) for prefix in CSRF_EXEMPT):
            continue
        url = _dummy_url(route)
        response = client.post(url, {"anything": "1"})
        checked += 1
        if response.status_code != 403:
            accepted.append(f"{url} ({name}) -> {response.status_code}")
    assert checked >= 20
    assert not accepted, "POST without CSRF token was not refused:\n" + "\n".join(accepted)
    record("security", "CSRF enforced on session forms", urls=checked, unprotected=0)
