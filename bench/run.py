"""`make bench`: how fast Postpurchase is, as ratios against baselines measured in the same run.

Unattended: creates its own PostgreSQL database (bench_pp_<pid>, dropped at the end),
uses Redis DB 13 (or REDIS_URL), starts gunicorn, a Celery worker and beat and a fake
email/SMS provider on free 127.0.0.1 ports, prints one table and writes
bench/results.json. BENCH_SCALE=small runs a reduced version for development;
BENCH_LARGE_ORDERS sets the size of the large scale step (default 1,000,000).
"""

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALES = {
    "full": {
        "wrk_seconds": 10,
        "single_seconds": 12,
        "batches": 6,
        "dispatch_count": 3000,
        "timely_orders": 1000,
        "timely_rate": 25.0,
        "timely_shipments": 300,
        "small_orders": 10_000,
        "large_orders": 1_000_000,
        "samples": 40,
        "budget_s": 60,  # per section: stop starting new work after this many seconds
    },
    "small": {
        "wrk_seconds": 4,
        "single_seconds": 4,
        "batches": 2,
        "dispatch_count": 600,
        "timely_orders": 120,
        "timely_rate": 20.0,
        "timely_shipments": 40,
        "small_orders": 10_000,
        "large_orders": 100_000,
        "samples": 15,
        "budget_s": 25,
    },
}
SCALE_NAME = os.environ.get("BENCH_SCALE", "full")
CONF = dict(SCALES[SCALE_NAME])
if os.environ.get("BENCH_LARGE_ORDERS"):
    CONF["large_orders"] = int(os.environ["BENCH_LARGE_ORDERS"])
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "4"))
# BENCH_ONLY=tracking,dispatch runs just those sections (for development; the table shows the rest as missing).
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
CLIENTS = 32


def wanted(section: str) -> bool:
    return not ONLY or section in ONLY


# A buyer's phone: the tracking page records a visit for people, not for bots.
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
BATCH_SIZE = 1000

GOALS = {
    "tracking_ratio": 0.8,
    "tracking_p99_ms": 50,
    "batch_orders_per_s": 2000,
    "single_orders_per_s": 300,
    "dispatch_per_s": 500,
    "congratulation_p99_s": 5,
    "sms_p99_s": 10,
    "growth": 1.5,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def rounded(value, digits=1):
    return None if value is None else round(value, digits)


# --- processes -------------------------------------------------------------------------


class Processes:
    """Child processes in their own sessions, stopped (with their children) at the end."""

    def __init__(self, log_dir: Path, env: dict):
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], *, ready=None, timeout: float = 60):
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as out:
            proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = proc
        deadline = time.monotonic() + timeout
        while ready is not None:
            if isinstance(ready, str):
                if ready in log_path.read_text(errors="replace"):
                    break
            elif ready():
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} did not start:\n{tail}")
            time.sleep(0.2)
        return proc

    def stop(self, name: str) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


# --- load generation -------------------------------------------------------------------


def ensure_wrk() -> str | None:
    """wrk, installed from Debian if missing and possible; None means the Python fallback."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("installing wrk (apt-get install -y wrk)")
        with contextlib.suppress(Exception):
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"],
                capture_output=True,
                timeout=180,
                check=False,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, *, seconds: int, connections: int = CLIENTS, script: Path | None = None):
    args = [
        WRK,
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"User-Agent: {BROWSER}",
    ]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    result = {"tool": "wrk", "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.MULTILINE)
        result[f"p{pct}_ms"] = _ms(match.group(1)) if match else None
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["errors"] = int(match.group(1)) if match else 0
    match = re.search(r"(\d+) requests in", out)
    result["requests"] = int(match.group(1)) if match else None
    return result


def run_python_load(url: str, *, seconds: int, connections: int = CLIENTS):
    """Fallback when wrk is unavailable: keep-alive clients on threads (client-bound on 2 cores)."""
    import http.client

    parsed = urlparse(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        mine, bad = [], 0
        path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"User-Agent": BROWSER})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "tool": "python-threads",
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "errors": errors[0],
        "requests": len(latencies),
    }


def load(url: str, *, seconds: int):
    if WRK:
        return run_wrk(url, seconds=seconds)
    return run_python_load(url, seconds=seconds)


# --- payloads --------------------------------------------------------------------------

_serial = [0]
_serial_lock = threading.Lock()


def next_serial() -> int:
    with _serial_lock:
        _serial[0] += 1
        return _serial[0]


def phone_for(serial: int) -> str:
    """A valid Danish mobile number, unique per serial below 10 million."""
    import phonenumbers

    n = serial % 10_000_000
    for prefix in ("2", "3", "4", "5", "6", "7", "8", "9"):
        candidate = f"+45{prefix}{n:07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
    return "+4520123456"


def order_payload(external_id: str, serial: int) -> dict:
    """A realistic order: a new customer with both consents, 3 items."""
    return {
        "external_id": external_id,
        "number": f"#{external_id}",
        "placed_at": datetime.now(UTC).isoformat(),
        "currency": "DKK",
        "total": "3897.00",
        "locale": "da",
        "customer": {
            "email": f"buyer{serial}@bench.example",
            "phone": phone_for(serial),
            "first_name": "Anna",
            "last_name": f"Holm {serial}",
            "consent": {"email": True, "sms": True},
        },
        "shipping_address": {
            "line1": "Strandvejen 12",
            "city": "Aarhus",
            "postal_code": "8000",
            "country": "DK",
        },
        "items": [
            {
                "sku": f"SKU-{n}",
                "name": f"Sofa Hygge model {n}",
                "quantity": 1,
                "unit_price": "1299.00",
                "image_url": f"https://shop.example.com/img/{n}.jpg",
                "product_url": f"https://shop.example.com/p/{n}",
            }
            for n in range(3)
        ],
    }


# --- the run ---------------------------------------------------------------------------


class Bench:
    def __init__(self):
        self.pid = os.getpid()
        self.db_name = f"bench_pp_{self.pid}"
        base = urlparse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x")
        self.pg = {
            "host": base.hostname or "127.0.0.1",
            "port": base.port or 5432,
            "user": base.username or "postgres",
            "password": base.password or None,
        }
        auth = self.pg["user"] + (f":{self.pg['password']}" if self.pg["password"] else "")
        self.database_url = f"postgres://{auth}@{self.pg['host']}:{self.pg['port']}/{self.db_name}"
        self.redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
        self.tmp = Path(tempfile.mkdtemp(prefix="pp-bench-"))
        self.provider_port = free_port()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.provider_url = f"http://127.0.0.1:{self.provider_port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "VAR_DIR": str(self.tmp / "var"),
            "BENCH_PROVIDER_URL": self.provider_url,
            "PUBLIC_BASE_URL": self.base_url,
            "PYTHONUNBUFFERED": "1",
            "DB_CONN_MAX_AGE": "600",
        }
        (self.tmp / "logs").mkdir(parents=True)
        self.procs = Processes(self.tmp / "logs", self.env)
        self.results: dict = {
            "bench_scale": SCALE_NAME,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "note": "shared with other workloads; compare ratios, not absolutes",
            },
            "config": {
                **CONF,
                "web_workers": WEB_WORKERS,
                "celery_concurrency": CELERY_CONCURRENCY,
            },
        }

    # setup / teardown

    @contextlib.contextmanager
    def admin(self):
        conn = psycopg2.connect(dbname="postgres", **self.pg)
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        try:
            yield conn
        finally:
            conn.close()

    def setup(self):
        with self.admin() as conn, conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.db_name}"')
        os.environ.update({k: v for k, v in self.env.items() if isinstance(v, str)})
        import django

        django.setup()
        import logging

        from django.core.management import call_command

        from postpurchase.celery import app

        app.loader.import_default_modules()  # register tasks, as a worker would
        logging.getLogger("django.request").setLevel(logging.ERROR)  # 404 probes are expected

        log(f"database {self.db_name}, redis {self.redis_url}, logs in {self.tmp / 'logs'}")
        call_command("migrate", verbosity=0)
        self.redis().flushdb()
        self.create_merchants()

    def teardown(self):
        self.procs.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(Exception), self.admin() as conn, conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            self.redis().flushdb()
        if os.environ.get("BENCH_KEEP_LOGS") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url)

    def create_merchants(self):
        from postpurchase.models import User
        from postpurchase.services import api_key_create, merchant_create

        self.merchant = merchant_create(
            name="Nordic Living",
            slug="nordic-living",
            timezone_name="Europe/Copenhagen",
            owner_email="alice@nordic.example",
            locale="da",
        )
        self.owner = User.objects.get(email="alice@nordic.example")
        _, self.api_key = api_key_create(merchant=self.merchant, name="bench")
        # The scale section times this shop's pages: only generated data, never the orders,
        # sends and visits that the load sections write (they would grow its period ~5x).
        self.measured = merchant_create(
            name="Measured shop",
            slug="measured-shop",
            timezone_name="Europe/Copenhagen",
            owner_email="owner@measured.example",
            locale="da",
        )
        self.measured_owner = User.objects.get(email="owner@measured.example")
        self.fillers = [
            merchant_create(name=f"Filler {n}", slug=f"filler-{n}", timezone_name="Europe/Berlin")
            for n in range(20)
        ]

    def start_web(self):
        self.procs.start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "postpurchase.wsgi:application",
                f"--workers={WEB_WORKERS}",
                f"--bind=127.0.0.1:{self.web_port}",
                "--timeout=300",
                "--backlog=2048",
                "--log-level=warning",
            ],
            ready=lambda: self._http_ok(f"{self.base_url}/healthz"),
        )

    def start_provider(self):
        self.procs.start(
            "provider",
            [sys.executable, str(ROOT / "bench" / "fake_provider.py"), str(self.provider_port)],
            ready="ready",
        )

    def start_worker(self, concurrency: int = CELERY_CONCURRENCY):
        from bench.tasks import COUNTER_KEY

        r = self.redis()
        r.delete(COUNTER_KEY)
        self.procs.start(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "postpurchase",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
        )
        # Ready when it has run a task end to end.
        from postpurchase.celery import app

        deadline = time.monotonic() + 60
        app.send_task("bench.tasks.noop")
        while int(r.get(COUNTER_KEY) or 0) < 1:
            if time.monotonic() > deadline:
                raise RuntimeError("celery worker did not start")
            time.sleep(0.2)
        r.delete(COUNTER_KEY)

    def start_beat(self):
        self.procs.start(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "postpurchase",
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.tmp / 'beat-schedule'}",
            ],
            ready="beat: Starting",
        )

    @staticmethod
    def _http_ok(url: str) -> bool:
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def api(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.api_key}"
        return session

    def purge_queue(self):
        from postpurchase.celery import app

        with contextlib.suppress(Exception):
            app.control.purge()

    def cancel_due_sends(self) -> int:
        """Park leftover due email/SMS so one section's backlog does not leak into the next."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE notifications_touchpoint SET status = 'cancelled' "
                "WHERE status IN ('scheduled', 'sending') AND channel IN ('email', 'sms')"
            )
            return cursor.rowcount

    # sections

    def section(self, name, fn):
        log(f"{name} …")
        started = time.monotonic()
        try:
            self.results[name] = fn()
        except Exception as exc:  # a broken section must not hide the others
            import traceback

            traceback.print_exc()
            first_line = (str(exc).splitlines() or [""])[0][:120]
            self.results[name] = {"error": f"{type(exc).__name__}: {first_line}"}
        self.results[name]["seconds"] = round(time.monotonic() - started, 1)
        log(f"{name} done in {self.results[name]['seconds']} s")

    def tracking_page(self):
        from orders.models import Order

        # Another shop's order: the visits wrk makes (tens of thousands on one order) must
        # not end up in the measured merchant's figures that the scale section times.
        order = Order.objects.for_merchant(self.fillers[0]).order_by("-placed_at").first()
        url = f"{self.base_url}/t/{order.tracking_token}/"
        first = requests.get(url, timeout=30)
        if first.status_code != 200:
            return {"available": False, "note": f"GET /t/<token>/ answered {first.status_code}"}
        size = len(first.content)
        app = load(url, seconds=CONF["wrk_seconds"])
        baseline = load(
            f"{self.base_url}/bench/static-page/?size={size}", seconds=CONF["wrk_seconds"]
        )
        return {
            "available": True,
            "bytes": size,
            "app": app,
            "baseline": baseline,
            "ratio": app["rps"] / baseline["rps"] if baseline["rps"] else None,
        }

    def ingestion(self):
        from django.db import connection

        from orders.models import Order

        # Single orders: wrk with a Lua script that makes every request a new order.
        template = json.dumps(order_payload("__ID__", 0)).replace("buyer0@", "buyer__ID__@")
        script = self.tmp / "single.lua"
        script.write_text(
            "local counter = 0\n"
            "local threads = {}\n"
            "function setup(thread) thread:set('tid', #threads + 1); "
            "table.insert(threads, thread) end\n"
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {self.api_key}"\n'
            f"local template = [==[{template}]==]\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            '  local id = "w" .. tid .. "x" .. counter\n'
            '  return wrk.format(nil, "/api/v1/orders/", nil, (template:gsub("__ID__", id)))\n'
            "end\n"
        )
        single: dict
        if WRK:
            started = time.monotonic()
            out = run_wrk(
                f"{self.base_url}/api/v1/orders/",
                seconds=CONF["single_seconds"],
                connections=16,
                script=script,
            )
            elapsed = time.monotonic() - started
            created = Order.objects.for_merchant(self.merchant).filter(external_id__startswith="w")
            count = created.count()
            single = {
                "tool": "wrk (16 connections)",
                "orders": count,
                "orders_per_s": count / CONF["single_seconds"],
                "p50_ms": out["p50_ms"],
                "p99_ms": out["p99_ms"],
                "errors": out["errors"],
                "wall_s": round(elapsed, 1),
            }
        else:
            single = self._python_single_ingest(CONF["single_seconds"])

        # Batches of 1000 from two clients (one per web worker).
        batches = [
            [order_payload(f"b{b}-{i}", next_serial() + 100_000) for i in range(BATCH_SIZE)]
            for b in range(CONF["batches"])
        ]
        statuses: list[int] = []
        lock = threading.Lock()

        def send(batch):
            response = self.api().post(
                f"{self.base_url}/api/v1/orders/batch/", json={"orders": batch}, timeout=300
            )
            response.raise_for_status()
            with lock:
                statuses.extend(r["status"] for r in response.json()["results"])

        started = time.monotonic()

        def send_within_budget(batch):
            if time.monotonic() - started < CONF["budget_s"]:
                send(batch)

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(send_within_budget, batches))
        batch_elapsed = time.monotonic() - started
        batch = {
            "orders": statuses.count(201),
            "orders_per_s": statuses.count(201) / batch_elapsed,
            "non_201": len(statuses) - statuses.count(201),
        }

        # Raw psycopg2: the same rows (customer, order, 3 items, 2 touchpoints) per batch.
        raw_batches = [
            [order_payload(f"r{b}-{i}", next_serial() + 200_000) for i in range(BATCH_SIZE)]
            for b in range(max(1, len(statuses) // BATCH_SIZE))
        ]
        conn = psycopg2.connect(dbname=self.db_name, **self.pg)
        started = time.monotonic()
        for raw in raw_batches:
            raw_insert(conn, self.merchant.pk, raw)
        raw_elapsed = time.monotonic() - started
        conn.close()
        raw_rate = len(raw_batches) * BATCH_SIZE / raw_elapsed

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM notifications_touchpoint t JOIN orders_order o "
                "ON o.id = t.order_id WHERE o.external_id LIKE 'b%%' AND o.merchant_id = %s",
                [self.merchant.pk],
            )
            batch_touchpoints = cursor.fetchone()[0]
        return {
            "single": single,
            "batch": {**batch, "touchpoints": batch_touchpoints},
            "raw_psycopg2": {"orders_per_s": raw_rate},
            "single_ratio": single["orders_per_s"] / raw_rate,
            "batch_ratio": batch["orders_per_s"] / raw_rate,
        }

    def _python_single_ingest(self, seconds: int) -> dict:
        latencies, codes = [], []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client(n):
            session = self.api()
            while time.monotonic() < deadline:
                serial = next_serial()
                start = time.perf_counter()
                response = session.post(
                    f"{self.base_url}/api/v1/orders/",
                    json=order_payload(f"p{n}x{serial}", serial),
                    timeout=60,
                )
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    codes.append(response.status_code)

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(client, range(16)))
        return {
            "tool": "python-threads (16)",
            "orders": codes.count(201),
            "orders_per_s": codes.count(201) / seconds,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "errors": len(codes) - codes.count(201),
        }

    def dispatch(self):
        from django.conf import settings
        from django.db import connection

        from bench import datagen
        from bench.tasks import COUNTER_KEY
        from notifications.models import Touchpoint
        from postpurchase.celery import app

        count = CONF["dispatch_count"]
        self.purge_queue()
        self.cancel_due_sends()
        # `count` congratulation emails due now, on orders of real customers.
        count = datagen._insert(
            Touchpoint,
            count,
            {
                "merchant_id": "o.merchant_id",
                "order_id": "o.id",
                "kind": "'congratulation'",
                "channel": "'email'",
                "cause": "'bench-dispatch'",
                "status": "'scheduled'",
                "due_at": "now() - interval '1 second'",
                "callback_code": "md5(random()::text || o.id)",
                "created_at": "now()",
                "updated_at": "now()",
            },
            source="FROM (SELECT id, merchant_id FROM orders_order WHERE merchant_id = %s "
            "ORDER BY id DESC LIMIT %s) AS o",
            params=[self.merchant.pk, count],
        )
        requests.get(f"{self.provider_url}/_reset", timeout=5)
        self.start_worker()
        task = settings.CELERY_BEAT_SCHEDULE["dispatch-touchpoints"]["task"]
        started = time.time()
        deadline = time.monotonic() + CONF["budget_s"]
        done = 0
        while time.monotonic() < deadline:
            # What beat does every minute, once a second, so the pass rate is not the limit.
            app.send_task(task)
            time.sleep(1)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*), max(extract(epoch FROM sent_at)) "
                    "FROM notifications_touchpoint "
                    "WHERE cause = 'bench-dispatch' AND status IN ('sent', 'delivered')",
                )
                done, last = cursor.fetchone()
            if done >= count:
                break
        elapsed = (float(last) - started) if done else None
        received = len(requests.get(f"{self.provider_url}/_received", timeout=10).json()["email"])
        app_rate = done / elapsed if elapsed else 0.0

        # Baseline: bare no-op tasks on the same broker and worker.
        self.purge_queue()
        r = self.redis()
        r.delete(COUNTER_KEY)
        started = time.monotonic()
        for _ in range(count):
            app.send_task("bench.tasks.noop")
        deadline = time.monotonic() + CONF["budget_s"]
        while int(r.get(COUNTER_KEY) or 0) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        noop_elapsed = time.monotonic() - started
        noop_done = int(r.get(COUNTER_KEY) or 0)
        self.procs.stop("worker")
        return {
            "due": count,
            "delivered": done,
            "provider_received": received,
            "per_s": app_rate,
            "noop_per_s": noop_done / noop_elapsed,
            "ratio": app_rate / (noop_done / noop_elapsed) if noop_done else None,
        }

    def timeliness(self):
        from django.db import connection

        self.purge_queue()
        self.cancel_due_sends()
        with connection.cursor() as cursor:  # no stale sessions hold row locks
            cursor.execute("SELECT 1")
        requests.get(f"{self.provider_url}/_reset", timeout=5)
        self.start_worker()
        self.start_beat()
        orders, rate = CONF["timely_orders"], CONF["timely_rate"]
        accepted: dict[str, float] = {}
        order_ids: dict[str, int] = {}
        failures = [0]
        local = threading.local()

        def session():
            if not hasattr(local, "session"):
                local.session = self.api()
            return local.session

        def post_order(n):
            serial = next_serial() + 300_000
            payload = order_payload(f"t{n}", serial)
            # Latency counts from sending the request, so it includes the API's own time.
            sent = time.time()
            response = session().post(f"{self.base_url}/api/v1/orders/", json=payload, timeout=60)
            if response.status_code == 201:
                accepted[payload["customer"]["email"]] = sent
                order_ids[payload["customer"]["phone"]] = response.json()["id"]
            else:
                failures[0] += 1

        steady(post_order, orders, rate, CONF["budget_s"])
        # Shipment events on a subset: create the shipments, then send the scans steadily.
        phones = list(order_ids)[: CONF["timely_shipments"]]
        shipment_of: dict[str, int] = {}
        shipments_started = time.monotonic()
        for phone in phones:
            if time.monotonic() - shipments_started > CONF["budget_s"] / 2:
                break  # a slow server: measure the events of the shipments made so far
            response = session().post(
                f"{self.base_url}/api/v1/orders/{order_ids[phone]}/shipments/",
                json={"carrier": "gls", "tracking_number": f"T{order_ids[phone]}"},
                timeout=60,
            )
            if response.status_code == 201:
                shipment_of[phone] = response.json()["id"]
        event_accepted: dict[str, float] = {}

        def post_event(n):
            phone = list(shipment_of)[n]
            sent = time.time()
            response = session().post(
                f"{self.base_url}/api/v1/shipments/{shipment_of[phone]}/events/",
                # out_for_delivery: the status that texts the buyer by default.
                json={"status": "out_for_delivery", "occurred_at": datetime.now(UTC).isoformat()},
                timeout=60,
            )
            if response.status_code == 201:
                event_accepted[phone] = sent
            else:
                failures[0] += 1

        steady(post_event, len(shipment_of), rate, CONF["budget_s"] / 2)
        # Wait for the stragglers (beat runs the dispatcher every minute).
        deadline = time.monotonic() + max(20, CONF["budget_s"] * 0.75)
        while time.monotonic() < deadline:
            got = requests.get(f"{self.provider_url}/_received", timeout=10).json()
            emails = first_arrivals(got["email"], accepted)
            sms = first_arrivals(got["sms"], event_accepted)
            if len(emails) >= len(accepted) and len(sms) >= len(event_accepted):
                break
            time.sleep(1)
        self.procs.stop("beat")
        self.procs.stop("worker")
        congrat = [emails[k] - accepted[k] for k in emails]
        sms_lat = [sms[k] - event_accepted[k] for k in sms]
        return {
            "orders": len(accepted),
            "rate_per_s": rate,
            "congratulation": summary(congrat, len(accepted)),
            "shipment_events": len(event_accepted),
            "sms": summary(sms_lat, len(event_accepted)),
            "failed_requests": failures[0],
        }

    def scale(self):
        from orders.models import Order

        # The measured merchant's working set stays the same (recent orders); data grows
        # around it: other merchants' orders and its own years of history.
        sizes = {"small": self.scale_small}
        large = max(CONF["large_orders"], CONF["small_orders"])
        log(f"scale: growing to {large:,} orders")
        started = time.monotonic()
        self.generate(
            large - Order.objects.unscoped(reason="bench: counts every merchant's orders").count(),
            history_only=True,
        )
        generate_s = time.monotonic() - started
        sizes["large"] = self.measure_scale()
        sizes["large"]["generate_s"] = round(generate_s, 1)
        growth = {}
        for key in ("tracking_p50_ms", "dispatch_pass_ms", "calls_p50_ms", "metrics_p50_ms"):
            a, b = sizes["small"].get(key), sizes["large"].get(key)
            growth[key] = (b / a) if a and b else None
        return {**sizes, "growth": growth}

    def generate(self, count: int, history_only: bool = False) -> None:
        from django.db import transaction

        from bench import datagen

        if count <= 0:
            return
        with transaction.atomic():
            if history_only:
                own = count // 5  # a fifth is the merchant's own old history
                datagen.generate_orders(
                    merchant_ids=[self.measured.pk],
                    count=own,
                    days_ago_min=400,
                    days_ago_max=1500,
                    label=f"h{uuid.uuid4().hex[:6]}",
                    parallel=True,
                )
                rest = count - own
            else:
                recent = min(count, 2000)
                # The same recent month for the shop the load sections use (dispatch sends
                # to its orders), so each shop has `recent` orders.
                datagen.generate_orders(
                    merchant_ids=[self.measured.pk, self.merchant.pk],
                    count=2 * recent,
                    days_ago_min=0.01,
                    days_ago_max=30,
                    label=f"n{uuid.uuid4().hex[:6]}",
                    parallel=True,
                )
                rest = count - 2 * recent
            datagen.generate_orders(
                merchant_ids=[m.pk for m in self.fillers],
                count=rest,
                days_ago_min=0.01,
                days_ago_max=1500,
                label=f"f{uuid.uuid4().hex[:6]}",
                parallel=True,
            )
        datagen.analyze()

    def measure_scale(self) -> dict:
        from django.conf import settings
        from django.core.cache import cache
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from orders.models import Order
        from postpurchase.celery import app

        self.cancel_due_sends()
        with contextlib.suppress(Exception):
            cache.clear()
        out: dict = {
            "orders": Order.objects.unscoped(reason="bench: counts every merchant's orders").count()
        }
        samples = CONF["samples"]
        plans: dict[str, list] = {}

        # Tracking page: a cache miss each time (a different recent order per request).
        tokens = list(
            Order.objects.for_merchant(self.measured)
            .filter(external_id__startswith="n")
            .order_by("-placed_at")
            .values_list("tracking_token", flat=True)[: samples + 2]
        )
        client = Client(HTTP_USER_AGENT=BROWSER)
        if tokens and client.get(f"/t/{tokens[0]}/").status_code == 200:
            times = []
            for token in tokens[1:-1]:
                started = time.perf_counter()
                client.get(f"/t/{token}/")
                times.append((time.perf_counter() - started) * 1000)
            out["tracking_p50_ms"] = statistics.median(times)
            with CaptureQueriesContext(connection) as ctx, sql_time() as spent:
                client.get(f"/t/{tokens[-1]}/")
            out["tracking_sql_ms"] = round(sum(spent) * 1000, 2)
            plans["tracking"] = explain_all(ctx.captured_queries)
        else:
            out["tracking_p50_ms"] = None

        # The dispatcher's pass with nothing due, exactly the task beat runs.
        task = app.tasks[settings.CELERY_BEAT_SCHEDULE["dispatch-touchpoints"]["task"]]
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            task.run()
            times.append((time.perf_counter() - started) * 1000)
        out["dispatch_pass_ms"] = statistics.median(times)
        with CaptureQueriesContext(connection) as ctx:
            task.run()
        plans["dispatch"] = explain_all(ctx.captured_queries)

        # Dashboard pages of the measured merchant, signed in as its owner.
        client.force_login(self.measured_owner)
        for key, candidates in (
            ("calls", ["/calls/"]),
            ("metrics", ["/dashboard/metrics/", "/dashboard/"]),
        ):
            path = next((p for p in candidates if client.get(p).status_code == 200), None)
            if path is None:
                out[f"{key}_p50_ms"] = None
                continue
            times = []
            for _ in range(max(5, samples // 3)):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            out[f"{key}_p50_ms"] = statistics.median(times)
            out[f"{key}_path"] = path
            # The database's share of a request (median of 5): tells growth in SQL from a
            # machine that got busier between the two steps.
            sql = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as ctx, sql_time() as spent:
                    client.get(path)
                sql.append(sum(spent) * 1000)
            out[f"{key}_sql_ms"] = round(statistics.median(sql), 2)
            plans[key] = explain_all(ctx.captured_queries)
        out["queries"] = {key: len(value) for key, value in plans.items()}
        out["seq_scans"] = {
            key: sorted({t for q in value for t in q["seq_scans"]}) for key, value in plans.items()
        }
        out["plans"] = plans
        return out

    def run(self):
        started = time.monotonic()
        self.setup()
        try:
            self.start_provider()
            self.start_web()
            self.generate(CONF["small_orders"])
            if wanted("scale"):
                log(f"scale: measuring at {CONF['small_orders']:,} orders")
                self.scale_small = self.measure_scale()
            for name, fn in (
                ("tracking", self.tracking_page),
                ("ingestion", self.ingestion),
                ("dispatch", self.dispatch),
                ("timeliness", self.timeliness),
            ):
                if wanted(name):
                    self.section(name, fn)
            self.procs.stop("gunicorn")
            if wanted("scale"):
                self.section("scale", self.scale)
        finally:
            self.results["total_seconds"] = round(time.monotonic() - started, 1)
            self.results["load_generator"] = "wrk" if WRK else "python-threads (wrk unavailable)"
            self.teardown()
        return self.results


def raw_insert(conn, merchant_id: int, payloads: list[dict]) -> None:
    """The floor for ingestion: the same rows written with execute_values, one transaction."""
    from bench.datagen import insert_rows
    from notifications.models import Touchpoint
    from orders.models import Customer, LineItem, Order

    now = datetime.now(UTC)
    with conn, conn.cursor() as cur:
        customers = insert_rows(
            cur,
            Customer,
            [
                {
                    "merchant_id": merchant_id,
                    "email": p["customer"]["email"],
                    "phone": p["customer"]["phone"],
                    "first_name": p["customer"]["first_name"],
                    "last_name": p["customer"]["last_name"],
                    "locale": p["locale"],
                    "consent_email": True,
                    "consent_sms": True,
                    "consent_call": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in payloads
            ],
            returning=True,
        )
        orders = insert_rows(
            cur,
            Order,
            [
                {
                    "merchant_id": merchant_id,
                    "customer_id": customer[0],
                    "external_id": p["external_id"],
                    "number": p["number"],
                    "placed_at": p["placed_at"],
                    "currency": p["currency"],
                    "total": p["total"],
                    "locale": p["locale"],
                    "shipping_line1": p["shipping_address"]["line1"],
                    "shipping_city": p["shipping_address"]["city"],
                    "shipping_postal_code": p["shipping_address"]["postal_code"],
                    "shipping_country": p["shipping_address"]["country"],
                    "tracking_token": uuid.uuid4().hex,
                    "created_at": now,
                    "updated_at": now,
                }
                for p, customer in zip(payloads, customers, strict=True)
            ],
            returning=True,
        )
        insert_rows(
            cur,
            LineItem,
            [
                {"order_id": order[0], "position": position, **item}
                for p, order in zip(payloads, orders, strict=True)
                for position, item in enumerate(p["items"])
            ],
            page=3000,
        )
        insert_rows(
            cur,
            Touchpoint,
            [
                {
                    "merchant_id": merchant_id,
                    "order_id": order[0],
                    "kind": kind,
                    "channel": channel,
                    "cause": "order",
                    "status": "cancelled",  # never sent: the raw floor only measures writes
                    "due_at": now,
                    "callback_code": uuid.uuid4().hex,
                    "created_at": now,
                    "updated_at": now,
                }
                for order in orders
                for kind, channel in (("congratulation", "email"), ("followup_call", "call"))
            ],
            page=2000,
        )


def steady(fn, count: int, rate: float, budget_s: float | None = None) -> int:
    """Call fn(n) for n < count at a steady `rate` per second, from a small thread pool.

    Stops starting new calls after `budget_s`, so a slow server cannot stretch the run.
    Returns how many were started.
    """
    if count <= 0:
        return 0
    started = time.monotonic()
    n = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n in range(count):
            if budget_s is not None and time.monotonic() - started > budget_s:
                break
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fn, n)
        else:
            n = count
    return n


def first_arrivals(arrivals: list, accepted: dict[str, float]) -> dict[str, float]:
    """The first provider arrival for each recipient at or after its request was accepted."""
    first: dict[str, float] = {}
    for at, to in arrivals:
        if to in accepted and at >= accepted[to] and to not in first:
            first[to] = at
    return first


def summary(latencies: list[float], expected: int) -> dict:
    missing = expected - len(latencies)
    # Missing deliveries count as infinitely late, so p99 cannot hide them.
    padded = latencies + [float("inf")] * missing
    return {
        "p50_s": rounded(percentile(padded, 50), 3),
        "p99_s": rounded(percentile(padded, 99), 3),
        "max_s": rounded(max(latencies), 3) if latencies else None,
        "missing": missing,
    }


@contextlib.contextmanager
def sql_time():
    """Seconds spent in each query run inside the block (round trips included)."""
    from django.db import connection

    spent: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        yield spent


def explain_all(captured: list[dict]) -> list[dict]:
    """EXPLAIN each captured SELECT and list sequential scans of tables over 5,000 rows."""
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            try:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            except Exception:  # noqa: S112 - a query that cannot be explained is skipped
                continue
            plan = cursor.fetchone()[0][0]["Plan"]
            scans = []
            for node in walk(plan):
                if node.get("Node Type") == "Seq Scan" and node.get("Plan Rows", 0) > 5000:
                    scans.append(node["Relation Name"])
            plans.append({"sql": sql[:300], "seq_scans": scans, "cost": plan.get("Total Cost")})
    return plans


def walk(node):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


# --- report ----------------------------------------------------------------------------


def fmt(value, unit="", digits=0):
    if value is None:
        return "n/a"
    if value == float("inf"):
        return "never"
    return f"{value:,.{digits}f}{unit}"


def not_measured(section: str, result: dict, label: str = "") -> tuple:
    if not wanted(section):
        return (label or section, "not run (BENCH_ONLY)", "", "", "")
    why = result.get("note") or result.get("error", "")
    return (label or section, "not available" if result.get("note") else "error", "", "", why)


def table(results: dict) -> str:
    rows = [("measure", "Postpurchase", "baseline", "ratio", "goal")]
    tr = results.get("tracking", {})
    if tr.get("available"):
        rows.append(
            (
                "tracking page rps (32 clients)",
                fmt(tr["app"]["rps"]),
                fmt(tr["baseline"]["rps"]) + " static tmpl",
                fmt(tr["ratio"], digits=2),
                "ratio ≥ 0.8",
            )
        )
        rows.append(
            (
                "tracking page p50 / p99",
                f"{fmt(tr['app']['p50_ms'], ' ms', 1)} / {fmt(tr['app']['p99_ms'], ' ms', 1)}",
                f"{fmt(tr['baseline']['p50_ms'], ' ms', 1)} / "
                f"{fmt(tr['baseline']['p99_ms'], ' ms', 1)}",
                "",
                "p99 < 50 ms",
            )
        )
    else:
        rows.append(not_measured("tracking", tr, "tracking page"))
    ing = results.get("ingestion", {})
    if "single" in ing:
        raw = ing["raw_psycopg2"]["orders_per_s"]
        rows.append(
            (
                "ingest single orders/s",
                fmt(ing["single"]["orders_per_s"]),
                fmt(raw) + " raw SQL",
                fmt(ing["single_ratio"], digits=3),
                "≥ 300/s",
            )
        )
        rows.append(
            (
                "ingest batch orders/s",
                fmt(ing["batch"]["orders_per_s"]),
                fmt(raw) + " raw SQL",
                fmt(ing["batch_ratio"], digits=3),
                "≥ 2,000/s",
            )
        )
    else:
        rows.append(not_measured("ingestion", ing))
    dis = results.get("dispatch", {})
    if "per_s" in dis:
        rows.append(
            (
                "dispatch delivered/s",
                fmt(dis["per_s"]),
                fmt(dis["noop_per_s"]) + " no-op",
                fmt(dis["ratio"], digits=2),
                "≥ 500/s",
            )
        )
    else:
        rows.append(not_measured("dispatch", dis))
    tim = results.get("timeliness", {})
    if "congratulation" in tim:
        for key, label, goal in (
            ("congratulation", "order → congratulation p50/p99", "p99 < 5 s"),
            ("sms", "scan → SMS p50/p99", "p99 < 10 s"),
        ):
            s = tim[key]
            rows.append(
                (
                    label,
                    f"{fmt(s['p50_s'], ' s', 2)} / {fmt(s['p99_s'], ' s', 2)}",
                    f"{s['missing']} missing",
                    "",
                    goal,
                )
            )
    else:
        rows.append(not_measured("timeliness", tim))
    sc = results.get("scale", {})
    if "growth" in sc:
        for key, label in (
            ("tracking_p50_ms", "tracking page (miss)"),
            ("dispatch_pass_ms", "dispatcher pass, nothing due"),
            ("calls_p50_ms", "call queue page"),
            ("metrics_p50_ms", "metrics page"),
        ):
            sql_key = key.replace("_p50_ms", "_sql_ms")
            sql = (
                f"SQL {fmt(sc['small'].get(sql_key), ' ms', 1)} → "
                f"{fmt(sc['large'].get(sql_key), ' ms', 1)}"
                if sql_key != key and sql_key in sc["small"]
                else ""
            )
            rows.append(
                (
                    f"{label} @ {sc['small']['orders']:,} → {sc['large']['orders']:,}",
                    f"{fmt(sc['small'].get(key), ' ms', 1)} → {fmt(sc['large'].get(key), ' ms', 1)}",
                    sql,
                    fmt(sc["growth"].get(key), "×", 2),
                    "growth < 1.5×",
                )
            )
        scans = {k: v for k, v in sc["large"].get("seq_scans", {}).items() if v}
        rows.append(("seq scans on big tables", json.dumps(scans) if scans else "none", "", "", ""))
        generated = sc["large"]["orders"] - sc["small"]["orders"]
        seconds = sc["large"].get("generate_s")
        if seconds:
            rows.append(
                (
                    "scale data generation",
                    f"{generated:,} orders in {seconds:.0f} s ({generated / seconds:,.0f}/s)",
                    "",
                    "",
                    "",
                )
            )
    else:
        rows.append(not_measured("scale", sc))
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


WRK = None


def main() -> int:
    global WRK
    WRK = ensure_wrk()
    if not WRK:
        log("wrk unavailable: using the Python thread load generator (client-bound)")
    bench = Bench()
    results = bench.run()
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(
        f"\nPostpurchase bench ({SCALE_NAME}, {os.cpu_count()} cores, load generator: "
        f"{results['load_generator']}, {results['total_seconds']} s)\n"
    )
    print(table(results))
    print("\nDetails, plans and raw numbers: bench/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
