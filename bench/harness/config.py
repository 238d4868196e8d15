"""What a bench run does and how big, from the environment: BENCH_SCALE, BENCH_LARGE_ORDERS,
BENCH_WEB_WORKERS, BENCH_CELERY_CONCURRENCY and BENCH_ONLY (the section selector)."""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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
        "repeats": 3,  # single ingestion and dispatch: the median of this many runs
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
        "repeats": 1,
        "budget_s": 25,
    },
}
SCALE_NAME = os.environ.get("BENCH_SCALE", "full")
CONF = dict(SCALES[SCALE_NAME])
if os.environ.get("BENCH_LARGE_ORDERS"):
    CONF["large_orders"] = int(os.environ["BENCH_LARGE_ORDERS"])
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "1"))  # > 1: gunicorn's gthread workers
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
    "single_orders_per_s": 500,
    "dispatch_per_s": 800,
    "congratulation_p99_s": 5,
    "sms_p99_s": 10,
    "growth": 1.5,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
