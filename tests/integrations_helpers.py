"""Helpers for integration tests: sign like the platforms do, apply what was stored."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

from orders.integrations.services import inbound_delivery_process, inbound_due_ids

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(platform: str, name: str) -> dict:
    return json.loads((FIXTURES / platform / f"{name}.json").read_text())


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def apply_pending() -> list[str]:
    """Run the beat dispatcher's pass in-process until nothing is due."""
    outcomes = []
    for _ in range(10):
        ids = inbound_due_ids()
        if not ids:
            break
        outcomes += [inbound_delivery_process(delivery_id=pk) for pk in ids]
    return outcomes
