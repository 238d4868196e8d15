"""Alice (owner of Nordic Living) connects and removes carrier accounts; nobody else can."""

import pytest
from django.test import Client
from django.utils import timezone

from postpurchase.models import AuditLogEntry, Membership, User
from tests.carrier_helpers import connect, shipped
from tracking.carriers.models import CarrierAccount, CarrierTracker
from tracking.carriers.polling import due_tracker_ids

pytestmark = [pytest.mark.services, pytest.mark.django_db]

PAGE = "/dashboard/carriers/"
GLS_FORM = {
    "carrier": "gls",
    "gls-client_id": "gls-client-nordic",
    "gls-client_secret": "gls-secret-nordic-9f2c",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_owner_connects_gls_and_its_credentials_are_stored_encrypted(alice, merchant_a):
    response = signed_in(alice).post(PAGE, GLS_FORM)
    assert response.status_code == 302
    account = CarrierAccount.objects.for_merchant(merchant_a).get(carrier="gls")
    assert account.credentials == {
        "client_id": "gls-client-nordic",
        "client_secret": "gls-secret-nordic-9f2c",
    }
    assert "gls-secret-nordic-9f2c" not in account.credentials_encrypted
    assert (
        AuditLogEntry.objects.for_merchant(merchant_a)
        .filter(action="carrier_account.connected", target="GLS")
        .exists()
    )


def test_the_page_shows_the_key_hint_never_the_secret(alice, merchant_a):
    connect(merchant_a, "gls", client_id="gls-client-nordic", client_secret="s3cret-value")
    page = signed_in(alice).get(PAGE).content.decode()
    assert "…rdic" in page  # the client id's last characters
    assert "s3cret-value" not in page and "gls-client-nordic" not in page


def test_missing_credential_is_400_with_the_field_message_and_nothing_stored(alice, merchant_a):
    response = signed_in(alice).post(PAGE, {**GLS_FORM, "gls-client_secret": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not CarrierAccount.objects.for_merchant(merchant_a).exists()


def test_unknown_carrier_is_400_and_nothing_stored(alice, merchant_a):
    response = signed_in(alice).post(PAGE, {"carrier": "postnord"})
    assert response.status_code == 400
    assert not CarrierAccount.objects.for_merchant(merchant_a).exists()


def test_connecting_again_replaces_the_credentials(alice, merchant_a):
    client = signed_in(alice)
    client.post(PAGE, GLS_FORM)
    client.post(PAGE, {**GLS_FORM, "gls-client_secret": "rotated-secret"})
    account = CarrierAccount.objects.for_merchant(merchant_a).get()
    assert account.credentials["client_secret"] == "rotated-secret"


def test_owner_removes_an_account_and_its_parcels_stop_being_polled(alice, merchant_a):
    account = connect(merchant_a, "gls")
    shipped(merchant_a, "GLS")
    assert due_tracker_ids(now=timezone.now(), limit=10)
    response = signed_in(alice).post(f"{PAGE}{account.pk}/remove/")
    assert response.status_code == 302
    assert not CarrierAccount.objects.for_merchant(merchant_a).exists()
    assert CarrierTracker.objects.for_merchant(merchant_a).exists()  # kept for a new account
    assert due_tracker_ids(now=timezone.now(), limit=10) == []


@pytest.mark.parametrize("role", ["admin", "account_manager"])
def test_only_the_owner_may_see_or_change_carrier_accounts(merchant_a, role):
    user = User.objects.create_user(f"{role}@nordic.example", "pw-123456789")
    Membership.objects.create(merchant=merchant_a, user=user, role=role)
    account = connect(merchant_a, "gls")
    client = signed_in(user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, GLS_FORM).status_code == 403
    assert client.post(f"{PAGE}{account.pk}/remove/").status_code == 403
    assert CarrierAccount.objects.for_merchant(merchant_a).get().credentials["client_id"] == (
        "gls-client-nordic"
    )


def test_merchant_b_cannot_remove_merchant_a_account(bob, merchant_a):
    account = connect(merchant_a, "gls")
    response = signed_in(bob).post(f"{PAGE}{account.pk}/remove/")
    assert response.status_code == 404
    assert CarrierAccount.objects.for_merchant(merchant_a).filter(pk=account.pk).exists()


def test_merchant_b_page_shows_nothing_of_merchant_a(bob, merchant_a, merchant_b):
    connect(merchant_a, "gls", client_id="a-client-SOFA", client_secret="a-secret")
    page = signed_in(bob).get(PAGE).content.decode()
    assert "SOFA" not in page
    assert page.count("Not connected") == 5


def test_merchant_b_connecting_leaves_merchant_a_account_alone(bob, merchant_a, merchant_b):
    connect(merchant_a, "gls")
    signed_in(bob).post(PAGE, {**GLS_FORM, "gls-client_id": "bob-client"})
    assert CarrierAccount.objects.for_merchant(merchant_a).get().credentials["client_id"] == (
        "gls-client-nordic"
    )
    assert CarrierAccount.objects.for_merchant(merchant_b).get().credentials["client_id"] == (
        "bob-client"
    )


def test_signed_out_visitor_is_sent_to_sign_in():
    response = Client().get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_audit_log_names_the_carrier_change_in_the_owners_words(alice, merchant_a):
    client = signed_in(alice)
    client.post(PAGE, GLS_FORM)
    page = client.get("/dashboard/audit/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert ">Fragtkonto forbundet</td>" in page  # the code itself only in the cell's title
