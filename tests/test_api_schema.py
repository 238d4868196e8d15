"""The OpenAPI 3 schema at /api/schema/ is valid and documents the contract; /api/docs/ serves it."""

import pytest
import yaml
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = {
    "/api/v1/orders/": {"get", "post"},
    "/api/v1/orders/batch/": {"post"},
    "/api/v1/orders/{order_id}/": {"get"},
    "/api/v1/orders/{order_id}/shipments/": {"post"},
    "/api/v1/shipments/{shipment_id}/events/": {"post"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema


def test_schema_documents_every_contract_endpoint_with_bearer_auth(schema):
    for path, methods in CONTRACT_PATHS.items():
        assert methods <= set(schema["paths"][path]), path
        for method in methods:
            assert {"ApiKey": []} in schema["paths"][path][method]["security"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    statuses = schema["components"]["schemas"]["ShipmentStatusEnum"]["enum"]
    assert "returned_to_sender" in statuses and "label_created" in statuses


def test_schema_is_also_served_as_json(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Postpurchase API"


def test_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


def test_docs_start_up_script_is_a_same_origin_file_not_inline(client):
    html = client.get("/api/docs/").content.decode()
    assert "<script>" not in html  # the CSP (script-src 'self') would block it
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
