"""The carrier of a tracking number the shop sent without one."""

import pytest

from tracking.carriers.detection import detect_carrier, detect_carrier_key


@pytest.mark.parametrize(
    "number, carrier",
    [
        ("1ZA82D672031716786", "ups"),
        ("1z a82d 6720 3171 6786", "ups"),  # as typed: spaces, lower case
        ("9400111899223197428490", "usps"),
        ("EC123456789US", "usps"),
        ("794644790138123", "fedex"),
        ("00340434292135100124", "dhl"),
        ("JJD000390007727471586", "dhl"),
        ("1234567890", "dhl"),
        ("CA123456785DK", "postnord"),
        ("RR123456785SE", "postnord"),
        ("00370712345678901234", "postnord"),
        ("60483186262", "gls"),
        ("00057151270005", "dao"),
    ],
)
def test_number_formats_name_their_carrier(number, carrier):
    assert detect_carrier_key(number) == carrier


@pytest.mark.parametrize(
    "number",
    [
        "794644790138",  # 12 digits: FedEx Express or GLS with its check digit
        "ABC",
        "",
        "12345",
        "00123456789012345678",  # an SSCC of no carrier we know
    ],
)
def test_an_unknown_or_ambiguous_number_is_not_guessed(number):
    assert detect_carrier_key(number) is None


def test_the_name_is_the_one_buyers_see():
    assert detect_carrier("CA123456785DK") == "PostNord"
    assert detect_carrier("nonsense") == ""


# --- through the API ---


def _order(api, order_payload) -> int:
    return api.post("/api/v1/orders/", order_payload, format="json").json()["id"]


@pytest.mark.services
@pytest.mark.django_db
def test_a_shipment_with_only_a_tracking_number_gets_its_carrier(api_a, merchant_a, order_payload):
    from orders.models import Shipment

    order_id = _order(api_a, order_payload)
    response = api_a.post(
        f"/api/v1/orders/{order_id}/shipments/", {"tracking_number": "60483186262"}, format="json"
    )
    assert response.status_code == 201
    shipment = Shipment.objects.for_merchant(merchant_a).get(pk=response.json()["id"])
    assert shipment.carrier == "GLS"
    assert shipment.carrier_tracker.carrier == "gls"  # polled once an account is connected


@pytest.mark.services
@pytest.mark.django_db
def test_a_number_that_does_not_tell_its_carrier_needs_one(api_a, merchant_a, order_payload):
    from orders.models import Shipment

    order_id = _order(api_a, order_payload)
    response = api_a.post(
        f"/api/v1/orders/{order_id}/shipments/", {"tracking_number": "GLS1"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["carrier"]
    assert not Shipment.objects.for_merchant(merchant_a).exists()


@pytest.mark.services
@pytest.mark.django_db
def test_the_tracking_page_links_to_the_detected_carriers_own_page(
    api_a, client, merchant_a, order_payload
):
    order = api_a.post("/api/v1/orders/", order_payload, format="json").json()
    api_a.post(
        f"/api/v1/orders/{order['id']}/shipments/",
        {"tracking_number": "CA123456785DK"},
        format="json",
    )
    page = client.get(order["tracking_url"].split("testserver")[-1]).content.decode()
    assert "https://tracking.postnord.com/dk/?id=CA123456785DK" in page
