"""Every API operation in /api/schema/, fuzzed by schemathesis with a valid key.

Schemathesis reads the OpenAPI schema the app serves, generates requests for
each operation (valid and invalid bodies, odd strings, huge numbers, missing
fields) and sends them in-process through the WSGI app. No answer may be a 500,
and every documented answer must match its own schema.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.guarantees import record

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
]
_outcomes: dict[str, dict[int, int]] = {}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: requests must not close the test's DB connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _record_outcomes():
    yield
    tried = sum(sum(by_status.values()) for by_status in _outcomes.values())
    statuses: dict[int, int] = {}
    for by_status in _outcomes.values():
        for status, n in by_status.items():
            statuses[status] = statuses.get(status, 0) + n
    record(
        "inputs",
        f"schemathesis: {len(_outcomes)} API operations",
        tried=tried,
        outcome=", ".join(f"{s}×{n}" for s, n in sorted(statuses.items())),
    )


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_operation_never_errors_and_keeps_its_schema(case, api_a):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {api_a.raw_key}"}, checks=CHECKS
    )
    by_status = _outcomes.setdefault(case.operation.label, {})
    by_status[response.status_code] = by_status.get(response.status_code, 0) + 1
