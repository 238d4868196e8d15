"""`make bench`: how fast Postpurchase is, as ratios against baselines measured in the same run.

Unattended: creates its own PostgreSQL database (bench_pp_<pid>, dropped at the end),
uses Redis DB 13 (or REDIS_URL), starts gunicorn, a Celery worker and beat and a fake
email/SMS provider on free 127.0.0.1 ports, prints one table and writes
bench/results.json. BENCH_SCALE=small runs a reduced version for development;
BENCH_LARGE_ORDERS sets the size of the large scale step (default 1,000,000).

This file only runs the sections in order: each lives in bench/sections/ (tracking,
ingestion, dispatch, timeliness, scale), the database, data and processes they share in
bench/harness/world.py, the printed table in bench/harness/report.py.
"""

import json
import os
import sys
import time
from pathlib import Path

# Run as a script (`python bench/run.py`): the repository root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import loadgen
from bench.harness.config import CONF, ROOT, SCALE_NAME, log, wanted
from bench.harness.report import table
from bench.harness.world import World
from bench.sections import dispatch, ingestion, scale, timeliness, tracking


def section(world: World, name: str, fn) -> None:
    log(f"{name} …")
    started = time.monotonic()
    try:
        world.results[name] = fn(world)
    except Exception as exc:  # a broken section must not hide the others
        import traceback

        traceback.print_exc()
        first_line = (str(exc).splitlines() or [""])[0][:120]
        world.results[name] = {"error": f"{type(exc).__name__}: {first_line}"}
    world.results[name]["seconds"] = round(time.monotonic() - started, 1)
    log(f"{name} done in {world.results[name]['seconds']} s")


def run(world: World) -> dict:
    started = time.monotonic()
    world.setup()
    try:
        world.start_provider()
        world.start_web()
        world.generate(CONF["small_orders"])
        if wanted("scale"):
            log(f"scale: measuring at {CONF['small_orders']:,} orders")
            world.scale_small = scale.measure(world)
        for name, fn in (
            ("tracking", tracking.run),
            ("ingestion", ingestion.run),
            ("dispatch", dispatch.run),
            ("timeliness", timeliness.run),
        ):
            if wanted(name):
                section(world, name, fn)
        world.procs.stop("gunicorn")
        if wanted("scale"):
            section(world, "scale", scale.run)
    finally:
        world.results["total_seconds"] = round(time.monotonic() - started, 1)
        world.results["load_generator"] = (
            "wrk" if loadgen.WRK else "python-threads (wrk unavailable)"
        )
        world.teardown()
    return world.results


def main() -> int:
    if not loadgen.use_wrk():
        log("wrk unavailable: using the Python thread load generator (client-bound)")
    results = run(World())
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
