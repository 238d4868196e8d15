"""The fault-injection suite: real web, worker, beat, Redis and PostgreSQL processes.

It takes a few minutes, so `make test` skips it; it runs when asked for by path
(`pytest tests/reliability`, as `.ci/run` does) or with RUN_RELIABILITY=1.
Figures are settings: RELIABILITY_MESSAGES (1000), RELIABILITY_KILLS (6),
RELIABILITY_REDIS_OUTAGE_SECONDS (20).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from postpurchase.services import api_key_create
from tests.processes import celery_beat, celery_worker, process_env, running, wait_for
from tests.reliability.fake_provider import FakeProvider

HERE = Path(__file__).resolve().parent


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def pytest_collection_modifyitems(config, items):
    asked = os.environ.get("RUN_RELIABILITY") == "1" or any(
        "reliability" in str(arg) for arg in config.args
    )
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.reliability)
        item.add_marker(pytest.mark.services)
        if not asked:
            item.add_marker(
                pytest.mark.skip(reason="fault injection: run `pytest tests/reliability`")
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server on a free port: this suite stops it, never the shared one."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def up():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(up, timeout=10, interval=0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def provider():
    fake = FakeProvider().start()
    yield fake
    fake.stop()


class Stack:
    """Starts the app's processes against the test database, private Redis and fake provider."""

    def __init__(self, tmp_path: Path, redis: RedisServer, provider: FakeProvider, **env):
        self.tmp_path = tmp_path
        self.env = process_env(
            DJANGO_SETTINGS_MODULE="tests.reliability.settings",
            REDIS_URL=redis.url,
            FAKE_PROVIDER_URL=provider.url,
            TOUCHPOINT_STUCK_AFTER_SECONDS=3,
            TOUCHPOINT_TICK_SECONDS=1,
            SHIPMENT_UPDATE_COALESCE_SECONDS=0,
            VAR_DIR=tmp_path / "var",
            **env,
        )
        self.web_url = ""
        self._n = 0

    def log(self, name: str) -> Path:
        self._n += 1
        return self.tmp_path / f"{self._n:02d}-{name}.log"

    def worker(self, *, concurrency: int = 2):
        return celery_worker(self.log("worker"), concurrency=concurrency, env=self.env)

    def beat(self):
        return celery_beat(
            self.log("beat"),
            schedule_file=self.tmp_path / f"beat-{secrets.token_hex(4)}",
            env=self.env,
        )

    @contextmanager
    def web(self):
        port = free_port()
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "postpurchase.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "120",
        ]
        with running(args, log_path=self.log("web"), env=self.env, ready="Booting worker") as proc:
            self.web_url = f"http://127.0.0.1:{port}"
            wait_for(lambda: _healthy(self.web_url), timeout=30)
            yield proc


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def stack(tmp_path, redis_server, provider):
    def make(**env) -> Stack:
        return Stack(tmp_path, redis_server, provider, **env)

    return make


@pytest.fixture
def api_key(merchant_a) -> str:
    _, raw = api_key_create(merchant=merchant_a, name="reliability")
    return raw


def order_payload(n: int, *, run: str = "r") -> dict:
    return {
        "external_id": f"{run}-{n}",
        "number": f"#{run}-{n}",
        "placed_at": "2026-11-23T09:00:00Z",
        "currency": "DKK",
        "total": "499.00",
        "locale": "da",
        "customer": {
            "email": f"buyer{n}@example.com",
            "first_name": "Buyer",
            "last_name": str(n),
            "consent": {"email": True, "sms": False},
        },
        "items": [{"sku": "CHAIR-1", "name": "Chair", "quantity": 1, "unit_price": "499.00"}],
    }


def post_orders(web_url: str, key: str, count: int, *, run: str = "r", batch: int = 200) -> float:
    """Create `count` orders through the batch API; returns the slowest request's seconds."""
    slowest = 0.0
    headers = {"Authorization": f"Bearer {key}"}
    for start in range(0, count, batch):
        orders = [order_payload(n, run=run) for n in range(start, min(count, start + batch))]
        began = time.monotonic()
        response = requests.post(
            f"{web_url}/api/v1/orders/batch/", json={"orders": orders}, headers=headers, timeout=120
        )
        slowest = max(slowest, time.monotonic() - began)
        assert response.status_code == 200, response.text[:500]
        assert {r["status"] for r in response.json()["results"]} == {201}
    return slowest


def sigkill_group(proc: subprocess.Popen) -> None:
    """Kill a process and its pool children at once, as the OOM killer or a host crash would."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
