"""The world a bench run measures: its own database and Redis DB, the shops, their data and
the processes (gunicorn, Celery worker and beat, the fake provider) that serve them."""

import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import requests

from bench.harness.config import (
    CELERY_CONCURRENCY,
    CONF,
    ROOT,
    SCALE_NAME,
    WEB_THREADS,
    WEB_WORKERS,
    log,
)
from bench.harness.processes import Processes, free_port


class World:
    """One run's database, Redis DB, temporary directory, shops and processes; the sections
    (bench/sections/) read and drive it, and write their figures into `results`."""

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
        # SMS quiet hours (21:00-08:00 in the shop's zone) would hold the timeliness section's
        # texts until morning: the bench measures the pipeline, at any hour.
        from notifications.models import MessagingPreferences

        midnight = datetime.min.time()
        MessagingPreferences.objects.update_or_create(
            merchant=self.merchant,
            defaults={"sms_quiet_start": midnight, "sms_quiet_end": midnight},
        )
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
                *(
                    [f"--threads={WEB_THREADS}", "--worker-class=gthread"]
                    if WEB_THREADS > 1
                    else []
                ),
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
