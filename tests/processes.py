"""Real processes for service-backed tests: Celery worker and beat on the test database."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# The project's own Python packages (the apps and the tenancy core); code scans cover all of them.
PROJECT_APPS = (
    "postpurchase",
    "dashboard",
    "orders",
    "tracking",
    "notifications",
    "followups",
    "demo",
)


def test_database_url() -> str:
    """DATABASE_URL of the database pytest-django created for this run."""
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=env.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        DATABASE_URL=test_database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextmanager
def running(args: list[str], *, log_path: Path, env: dict | None = None, ready: str | None = None):
    """Run a process for the duration of the block; wait for `ready` in its log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env or process_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if ready:
            deadline = time.monotonic() + 60
            while ready not in log_path.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{args[2:4]} did not start:\n{log_path.read_text()[-3000:]}"
                    )
                time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def celery_worker(
    log_path: Path, *, concurrency: int = 2, env: dict | None = None, queues: str = ""
):
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "postpurchase",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if queues:
        args.append(f"--queues={queues}")
    return running(args, log_path=log_path, env=env, ready="ready.")


def celery_beat(log_path: Path, *, schedule_file: Path, env: dict | None = None):
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "postpurchase",
        "beat",
        "--loglevel=INFO",
        f"--schedule={schedule_file}",
    ]
    return running(args, log_path=log_path, env=env, ready="beat: Starting")


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
