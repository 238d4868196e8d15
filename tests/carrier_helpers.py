"""Carrier polling in tests: a fake carrier API, a connected account, a shipped order."""

from contextlib import contextmanager

from orders.services import shipment_create
from tests.dashboard_world import place_order
from tests.fake_carriers import fake_carriers
from tracking.carrier_links import carrier_key
from tracking.carriers.services_accounts import carrier_account_connect

CREDENTIALS = {
    "dhl": {"consumer_key": "dhl-api-key-nordic"},
    "gls": {"client_id": "gls-client-nordic", "client_secret": "gls-secret-nordic"},
    "ups": {"client_id": "ups-client-nordic", "client_secret": "ups-secret-nordic"},
    "usps": {"client_id": "usps-client-nordic", "client_secret": "usps-secret-nordic"},
    "fedex": {"track_api_key": "fedex-track-nordic", "track_secret_key": "fedex-secret-nordic"},
}

NUMBERS = {
    "dhl": "00340434292135100124",
    "gls": "60483186262",
    "ups": "1ZA82D672031716786",
    "usps": "9400111899223197428490",
    "fedex": "794644790138",
}


@contextmanager
def carriers_faked(settings):
    """The fake carrier API, with every karrio carrier of this process pointed at it."""
    with fake_carriers() as fake:
        settings.CARRIER_API_BASE_URL = fake.url
        yield fake


def connect(merchant, carrier: str, **credentials):
    return carrier_account_connect(
        merchant=merchant, carrier=carrier, credentials=credentials or CREDENTIALS[carrier]
    )


def shipped(merchant, carrier: str, *, external_id="1042", tracking_number=None):
    order = place_order(merchant, external_id)
    return shipment_create(
        merchant=merchant,
        order=order,
        data={
            "carrier": carrier,
            "tracking_number": tracking_number or NUMBERS[carrier_key(carrier)],
        },
    )
