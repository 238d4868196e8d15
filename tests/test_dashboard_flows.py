"""What the dashboard's forms do: sign-in throttling, logos, team rules, resend, CSV, settings."""

import base64
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from followups.models import CallSettings
from notifications.models import MessageTemplate, ShipmentNotificationSetting, Touchpoint
from orders.integrations.models import Integration
from orders.models import Order, Product
from postpurchase.models import AuditLogEntry, Branding, Membership, User
from tests.dashboard_world import place_order

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def image_bytes(fmt="PNG", size=(300, 100)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format=fmt)
    return buffer.getvalue()


def branding_post(client, **extra):
    data = {
        "primary_color": "#1f3a5f",
        "accent_color": "#e07a5f",
        "background_color": "#f7f5f2",
        "text_color": "#1d1d1f",
        "font": "system",
        "sender_name": "Nordic Living",
        **extra,
    }
    return client.post(reverse("dashboard:branding"), data)


def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(alice):
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": alice.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": alice.email, "password": "alice-password-1"})
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_refuses_a_user_without_a_merchant(db):
    User.objects.create_user("nobody@example.com", "nobody-password-1")
    response = Client().post(
        "/login/", {"username": "nobody@example.com", "password": "nobody-password-1"}
    )
    assert "no access to a merchant dashboard" in response.content.decode()


def test_owner_signs_in_and_lands_on_the_dashboard(alice):
    client = Client()
    response = client.post("/login/", {"username": alice.email, "password": "alice-password-1"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_password_reset_emails_a_link(alice):
    response = Client().post("/password-reset/", {"email": alice.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/password-reset/" in mail.outbox[0].body


def test_logo_is_resized_and_reencoded_as_png(merchant_a, alice):
    upload = SimpleUploadedFile("logo.jpg", image_bytes("JPEG", (1800, 900)), "image/jpeg")
    response = branding_post(signed_in(alice), logo_upload=upload)
    assert response.status_code == 302
    branding = Branding.objects.get(merchant=merchant_a)
    with Image.open(branding.logo.path) as saved:
        assert saved.format == "PNG" and saved.size == (400, 200)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("logo.png", b"not an image at all"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024 + 1)),
    ],
)
def test_logo_that_is_not_a_small_raster_image_is_refused(merchant_a, alice, name, content):
    upload = SimpleUploadedFile(name, content, "image/png")
    response = branding_post(signed_in(alice), logo_upload=upload, banner_message_da="Hej")
    assert response.status_code == 400
    branding = Branding.objects.get(merchant=merchant_a)
    assert not branding.logo and branding.banner_messages == {}  # nothing half-saved


def test_low_contrast_colours_are_saved_with_a_warning_in_the_preview(merchant_a, alice):
    response = branding_post(signed_in(alice), text_color="#eeeeee", background_color="#ffffff")
    assert response.status_code == 302
    response = signed_in(alice).get(reverse("dashboard:branding"))
    assert "data-contrast-warnings" in response.content.decode()
    entry = AuditLogEntry.objects.for_merchant(merchant_a).get(action="branding.updated")
    assert "text_color" in entry.details["fields"]


def test_branding_preview_shows_unsaved_values_and_keeps_nothing(merchant_a, alice):
    orders_before = Order.objects.for_merchant(merchant_a).count()
    response = signed_in(alice).get(
        reverse("dashboard:branding_preview"),
        {
            "view": "tracking",
            "state": "delivered",
            "locale": "de",
            "banner_message_de": "Nur heute",
        },
    )
    assert response.status_code == 200
    assert "Nur heute" in response.content.decode()
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert Branding.objects.get(merchant=merchant_a).banner_messages == {}
    assert Order.objects.for_merchant(merchant_a).count() == orders_before
    assert Touchpoint.objects.for_merchant(merchant_a).count() == 0


def preview_logo_post(client, content: bytes, name="logo.jpg", content_type="image/jpeg"):
    upload = SimpleUploadedFile(name, content, content_type)
    return client.post(reverse("dashboard:branding_preview_logo"), {"logo_upload": upload})


def preview_logo_src(client, token: str, view: str) -> str | None:
    """The data: URI of the inline logo in the preview, if it shows one."""
    response = client.get(
        reverse("dashboard:branding_preview"), {"view": view, "preview_logo": token}
    )
    assert response.status_code == 200
    found = re.search(r"data:image/png;base64,[A-Za-z0-9+/=]+", response.content.decode())
    return found.group(0) if found else None


def stored_logos() -> set[str]:
    logos = Path(settings.MEDIA_ROOT) / "logos"
    return {path.name for path in logos.iterdir()} if logos.exists() else set()


def test_chosen_logo_shows_in_tracking_page_and_email_previews_before_saving(merchant_a, alice):
    client = signed_in(alice)
    files_before = stored_logos()
    response = preview_logo_post(client, image_bytes("JPEG", (1800, 900)))
    assert response.status_code == 200
    token = response.json()["token"]
    assert response["Cache-Control"] == "no-store"
    for view in ("tracking", "email"):
        src = preview_logo_src(client, token, view)
        assert src is not None, view
        # Resized and re-encoded exactly as saving does.
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as shown:
            assert shown.format == "PNG" and shown.size == (400, 200)
    # Nothing is saved: no logo, no file, no audit entry.
    assert not Branding.objects.filter(merchant=merchant_a).exclude(logo="").exists()
    assert stored_logos() == files_before
    assert not AuditLogEntry.objects.for_merchant(merchant_a).exists()


def test_a_newer_choice_replaces_the_older_and_a_wrong_token_shows_the_saved_logo(alice):
    client = signed_in(alice)
    first = preview_logo_post(client, image_bytes("PNG", (100, 50))).json()["token"]
    second = preview_logo_post(client, image_bytes("PNG", (120, 60))).json()["token"]
    assert preview_logo_src(client, second, "tracking") is not None
    assert preview_logo_src(client, first, "tracking") is None
    assert preview_logo_src(client, "not-the-token", "tracking") is None
    assert preview_logo_src(client, "ünïcode", "tracking") is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image we can read"),
        ("logo.png", b"not an image at all", "not an image we can read"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
        ("logo.png", b"", "empty"),
    ],
)
def test_chosen_logo_is_refused_with_the_field_error_as_on_save(alice, name, content, message):
    client = signed_in(alice)
    response = preview_logo_post(client, content, name=name, content_type="image/png")
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["logo_upload"])
    assert preview_logo_src(client, "", "tracking") is None


def test_preview_without_file_is_a_field_error(alice):
    response = signed_in(alice).post(reverse("dashboard:branding_preview_logo"))
    assert response.status_code == 400
    assert response.json()["errors"]["logo_upload"]


def test_another_merchant_or_person_cannot_see_a_chosen_logo(merchant_a, alice, bob):
    from postpurchase.models import Membership

    token = preview_logo_post(signed_in(alice), image_bytes()).json()["token"]
    assert preview_logo_src(signed_in(bob), token, "tracking") is None
    # Not even a colleague at the same shop: the slot is the chooser's own.
    admin = User.objects.create_user("admin@nordic.example", "admin-password-1")
    Membership.objects.create(merchant=merchant_a, user=admin, role="admin")
    assert preview_logo_src(signed_in(admin), token, "tracking") is None
    assert preview_logo_src(signed_in(alice), token, "tracking") is not None


def test_only_branding_editors_may_send_a_logo_to_the_preview(anders, client):
    response = preview_logo_post(signed_in(anders), image_bytes())
    assert response.status_code == 403
    response = preview_logo_post(client, image_bytes())
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_remove_logo_previews_the_page_without_the_saved_logo(merchant_a, alice):
    client = signed_in(alice)
    upload = SimpleUploadedFile("logo.png", image_bytes(), "image/png")
    assert branding_post(client, logo_upload=upload).status_code == 302
    url = reverse("dashboard:branding_preview")
    assert "brand__logo" in client.get(url, {"view": "tracking"}).content.decode()
    removed = client.get(url, {"view": "tracking", "remove_logo": "on"}).content.decode()
    assert "brand__logo" not in removed
    assert Branding.objects.get(merchant=merchant_a).logo


@pytest.mark.parametrize("view", ["email", "sms"])
def test_message_previews_use_the_engines_wording_in_the_chosen_language(alice, view):
    def preview(locale):
        return signed_in(alice).get(
            reverse("dashboard:branding_preview"),
            {"view": view, "state": "ordered", "locale": locale},
        )

    german, english = preview("de"), preview("en")
    assert german.status_code == english.status_code == 200
    assert "#1042" in german.content.decode()
    assert german.content != english.content


def test_invite_creates_a_member_who_cannot_sign_in_until_they_choose_a_password(
    merchant_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(alice).post(
            reverse("dashboard:team"),
            {"email": "Mads@Nordic.example", "full_name": "Mads", "role": "account_manager"},
        )
    assert response.status_code == 302
    user = User.objects.get(email="mads@nordic.example")
    assert not user.has_usable_password()
    assert Membership.objects.for_merchant(merchant_a).get(user=user).role == "account_manager"
    assert "/password-reset/" in mail.outbox[0].body
    assert AuditLogEntry.objects.for_merchant(merchant_a).filter(action="team.invited").exists()


def test_inviting_a_member_twice_is_refused(merchant_a, alice, anders):
    response = signed_in(alice).post(
        reverse("dashboard:team"), {"email": anders.email, "role": "admin"}
    )
    assert response.status_code == 400
    assert Membership.objects.for_merchant(merchant_a).get(user=anders).role == "account_manager"


def test_an_admin_cannot_invite_an_owner_or_deactivate_one(merchant_a, alice):
    admin = User.objects.create_user("admin@nordic.example", "admin-password-1")
    Membership.objects.create(merchant=merchant_a, user=admin, role="admin")
    client = signed_in(admin)
    response = client.post(
        reverse("dashboard:team"), {"email": "x@nordic.example", "role": "owner"}
    )
    assert response.status_code == 400
    owner = Membership.objects.for_merchant(merchant_a).get(user=alice)
    client.post(reverse("dashboard:team_deactivate", args=[owner.pk]))
    owner.refresh_from_db()
    assert owner.is_active


def test_deactivated_account_manager_loses_access_at_once(merchant_a, alice, anders):
    client = signed_in(anders)
    assert client.get(reverse("dashboard:orders")).status_code == 200
    membership = Membership.objects.for_merchant(merchant_a).get(user=anders)
    signed_in(alice).post(reverse("dashboard:team_deactivate", args=[membership.pk]))
    assert client.get(reverse("dashboard:orders")).status_code == 403


def test_resend_plans_a_new_touchpoint_and_keeps_the_original(merchant_a, alice):
    order = place_order(merchant_a, "R-1")
    original = Touchpoint.objects.for_merchant(merchant_a).get(kind="congratulation")
    response = signed_in(alice).post(
        reverse("dashboard:order_resend", args=[order.pk]), {"message": "congratulation:email"}
    )
    assert response.status_code == 302
    rows = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    assert rows.count() == 2
    copy = rows.exclude(pk=original.pk).get()
    assert copy.cause.startswith("resend:") and copy.payload["resent_from"] == original.pk


def test_note_appears_on_the_order_timeline(merchant_a, anders):
    order = place_order(merchant_a, "N-1")
    client = signed_in(anders)
    client.post(reverse("dashboard:order_note", args=[order.pk]), {"text": "Ringede, alt vel"})
    page = client.get(reverse("dashboard:order_detail", args=[order.pk])).content.decode()
    assert "Ringede, alt vel" in page and "Anders Berg" in page


def test_products_round_trip_through_csv(merchant_a, alice):
    Product.objects.create(
        merchant=merchant_a, sku="SOFA-1", name='=HYPERLINK("evil")', tags=["a", "b"]
    )
    client = signed_in(alice)
    exported = client.get(reverse("dashboard:product_export")).content.decode()
    assert "'=HYPERLINK" in exported  # spreadsheet formula neutralised
    csv_text = exported + "PLAID-1,Wool plaid,textiles,warm|wool,499.00,DKK,,,2,yes\n"
    upload = SimpleUploadedFile("p.csv", csv_text.encode(), "text/csv")
    response = client.post(reverse("dashboard:product_import"), {"file": upload})
    assert response.status_code == 302
    plaid = Product.objects.for_merchant(merchant_a).get(sku="PLAID-1")
    assert plaid.tags == ["warm", "wool"] and plaid.best_seller_rank == 2
    assert Product.objects.for_merchant(merchant_a).get(sku="SOFA-1").name.startswith("=")


def test_csv_with_one_bad_row_imports_nothing(merchant_a, alice):
    csv_text = "sku,name,price\nA-1,Good,10.00\nB-2,,not-a-price\n"
    upload = SimpleUploadedFile("p.csv", csv_text.encode(), "text/csv")
    response = signed_in(alice).post(reverse("dashboard:product_import"), {"file": upload})
    assert response.status_code == 400
    assert "Line 3" in response.content.decode()
    assert not Product.objects.for_merchant(merchant_a).exists()


def test_template_with_unknown_variable_is_refused(merchant_a, alice):
    response = signed_in(alice).post(
        reverse("dashboard:message_template_add"),
        {
            "kind": "congratulation",
            "channel": "sms",
            "locale": "da",
            "body": "Hej {{ customer.password }}",
            "is_active": "on",
        },
    )
    assert response.status_code == 400
    assert not MessageTemplate.objects.for_merchant(merchant_a).exists()


def test_notification_settings_turn_a_channel_off(merchant_a, alice):
    data = {
        "sms_quiet_start": "22:00",
        "sms_quiet_end": "07:30",
        "delivery_days_min": "1",
        "delivery_days_max": "3",
        "notify_delivered_email": "on",  # delivered SMS left unchecked: off
        "notify_out_for_delivery_sms": "on",
    }
    response = signed_in(alice).post(reverse("dashboard:notification_settings"), data)
    assert response.status_code == 302
    setting = ShipmentNotificationSetting.objects.for_merchant(merchant_a).get(
        status="delivered", channel="sms"
    )
    assert setting.enabled is False
    assert merchant_a.messaging_preferences.sms_quiet_end.strftime("%H:%M") == "07:30"


def test_call_rules_are_saved(merchant_a, alice):
    response = signed_in(alice).post(
        reverse("dashboard:settings"),
        {
            "section": "calls",
            "calls-min_order_value": "2000",
            "calls-max_attempts": "2",
            "calls-high_value_threshold": "8000",
            "calls-ambassador_monthly_cap": "1",
        },
    )
    assert response.status_code == 302
    rules = CallSettings.objects.for_merchant(merchant_a).get()
    assert rules.max_attempts == 2 and str(rules.min_order_value) == "2000.00"


def test_shop_integration_secret_is_stored_encrypted_and_never_shown(merchant_a, alice):
    client = signed_in(alice)
    response = client.post(
        reverse("dashboard:api_keys"),
        {"section": "integration", "platform": "shopify", "secret": "shpss_topsecret123"},
    )
    assert response.status_code == 302
    integration = Integration.objects.for_merchant(merchant_a).get(platform="shopify")
    assert integration.secret == "shpss_topsecret123"
    assert "topsecret" not in integration.secret_encrypted
    page = client.get(reverse("dashboard:api_keys")).content.decode()
    assert "topsecret" not in page and "/integrations/shopify/nordic-living/" in page


def test_dashboard_speaks_the_browsers_language(merchant_b, bob):
    client = signed_in(bob)
    german = client.get(reverse("dashboard:home"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Bestellungen" in german and "Anrufliste" in german
    danish = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Log ind i din butik" in danish
