"""HTTP load: wrk when it can be had, else keep-alive clients on Python threads."""

import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.harness.config import BROWSER, CLIENTS, log
from bench.harness.stats import percentile

# The wrk binary once `use_wrk()` has looked for it; None means the Python fallback.
WRK = None


def use_wrk() -> str | None:
    global WRK
    WRK = ensure_wrk()
    return WRK


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
