"""`make run`'s supervisor on the embedded defaults: SQLite and the filesystem broker.

Runs the real commands in subprocesses, as a person would: migrate, load_demo,
serve_all; then Ctrl-C (SIGINT) must leave no process behind.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.processes import ROOT, wait_for

pytestmark = pytest.mark.timeout(180)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory):
    """Environment of a fresh clone: no DATABASE_URL or REDIS_URL, var/ of its own."""
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="postpurchase.settings",
        DJANGO_DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


class ServeAll:
    def __init__(self, env, log_path):
        self.port = _free_port()
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve_all", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pids(self) -> dict[str, int]:
        found = wait_for(lambda: re.search(r"Started (.*);", self.output), timeout=30)
        return {name: int(pid) for name, pid in re.findall(r"(\w+) \(pid (\d+)\)", found[1])}

    def get(self, path: str, **headers) -> int:
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def serve_all(embedded_env, tmp_path):
    server = ServeAll(embedded_env, tmp_path / "serve_all.log")
    yield server
    for pid in server.child_pids().values():
        if _group_alive(pid):
            os.killpg(pid, signal.SIGKILL)
    server.stop()


def test_serve_all_serves_sends_and_stops_everything_on_ctrl_c(serve_all):
    pids = serve_all.child_pids()
    assert set(pids) == {"web", "worker", "beat"}
    wait_for(lambda: "Postpurchase is running" in serve_all.output, timeout=60)
    assert serve_all.get("/healthz") == 200
    assert serve_all.get("/api/docs/") == 200
    # The worker sends the demo's fresh congratulation through the console backend.
    wait_for(lambda: "To: emma.thompson@example.co.uk" in serve_all.output, timeout=60)

    serve_all.proc.send_signal(signal.SIGINT)
    assert serve_all.proc.wait(timeout=40) == 0
    assert "All stopped." in serve_all.output
    for name, pid in pids.items():
        assert not _group_alive(pid), f"{name} (or one of its processes) is still running"
    assert "database is locked" not in serve_all.output
    assert "Traceback" not in serve_all.output


def test_serve_all_stops_the_others_when_a_child_dies(serve_all):
    pids = serve_all.child_pids()
    wait_for(lambda: "Postpurchase is running" in serve_all.output, timeout=60)
    os.kill(pids["beat"], signal.SIGKILL)
    assert serve_all.proc.wait(timeout=40) == 1
    assert "beat exited with code -9; stopping the others." in serve_all.output
    deadline = time.monotonic() + 10
    while any(_group_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_group_alive(pid) for pid in pids.values())


def test_summary_with_the_new_api_key_is_printed_once_everything_is_up(embedded_env, tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "load_demo", "--new-api-key"],
        cwd=ROOT,
        env=embedded_env,
        check=True,
        capture_output=True,
        text=True,
    )
    raw_key = re.search(r"API key\s+(pp_\S+)", done.stdout)[1]
    server = ServeAll(embedded_env, tmp_path / "serve_all.log")
    try:
        wait_for(lambda: "Press Ctrl-C" in server.output, timeout=60)
        output = server.output
    finally:
        for pid in server.child_pids().values():
            if _group_alive(pid):
                os.killpg(pid, signal.SIGKILL)
        server.stop()
    summary = output[output.index("Postpurchase is running") :]
    assert output.index("beat: Starting") < output.index("Postpurchase is running")
    assert " ready." in output[: output.index("Postpurchase is running")]
    assert f"API key        {raw_key}" in summary
    assert f"http://127.0.0.1:{server.port}/t/nordic-living/" in summary
    assert "Delivery attempt failed" in summary and "Returned to sender" in summary


def _embedded_shell(env, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]  # after the shell's own "… imported" line


def test_tracking_pages_and_visits_work_without_redis(serve_all, embedded_env):
    """The embedded set-up (SQLite, file cache, no Redis): a miss, a cached hit, visits."""
    wait_for(lambda: "Postpurchase is running" in serve_all.output, timeout=60)
    count_visits = "from tracking.models import TrackingVisit as V; print(V.objects.unscoped(reason='test').count())"
    token = _embedded_shell(
        embedded_env,
        "from orders.models import Order; "
        "print(Order.objects.unscoped(reason='test').order_by('id').first().tracking_token)",
    )
    before = int(_embedded_shell(embedded_env, count_visits))
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
    assert [serve_all.get(f"/t/{token}/", **{"User-Agent": phone}) for _ in range(2)] == [200, 200]
    wait_for(lambda: int(_embedded_shell(embedded_env, count_visits)) == before + 2, timeout=30)
    assert "Traceback" not in serve_all.output
