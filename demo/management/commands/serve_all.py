"""Run the web server, a Celery worker and Celery beat together, for `make run`.

One supervisor, three children. Each child runs in its own process group so a
Ctrl-C reaches only the supervisor, which then stops every child in order and
waits for it. If a child dies on its own, the supervisor says so and stops the
others: a half-running demo (pages up, nothing sent) is worse than none.

Why not honcho (a Procfile runner), weighed for #18.7: it prefixes output and stops
everyone on Ctrl-C or when one process exits, as this does, but (as of 2.0) it runs
each line through a shell and stops a process by SIGTERM to its whole process group,
which reaches the Celery worker's pool processes mid-task instead of letting the
worker finish them (here the worker alone is signalled). It has no notion of "ready",
so the summary of what to open could not be printed after web, worker and beat are
all up, as the last thing on the screen; and it would add a runtime dependency to
every install for the demo alone. What stays here is the part honcho would not do.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

STOP_TIMEOUT = 15  # seconds a child gets to finish its work before SIGKILL


try:  # Linux: lets a child ask for SIGTERM when the supervisor is killed outright.
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None
PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    """Runs in the child before exec: own process group, and die with the supervisor."""
    os.setsid()
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    args: list[str]
    # Celery stops its own pool processes; signalling its whole group would kill them
    # mid-task. runserver's autoreloader does not pass signals on, so it gets the group.
    signal_group: bool = False
    ready_marker: bytes = b""  # a line containing it means the child is up
    proc: subprocess.Popen | None = None
    ready: threading.Event = field(default_factory=threading.Event, repr=False)
    pump: threading.Thread | None = field(default=None, repr=False)

    def start(self, *, env: dict, out) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_setup,  # only async-signal-safe calls, nothing imported
        )
        self.pump = threading.Thread(target=self._pump, args=(out,), daemon=True)
        self.pump.start()

    def _pump(self, out) -> None:
        prefix = f"{self.name:>6} | ".encode()
        for line in iter(self.proc.stdout.readline, b""):
            if self.ready_marker and self.ready_marker in line:
                self.ready.set()
            out.write(prefix + line)
            out.flush()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                if self.signal_group:
                    os.killpg(self.proc.pid, signum)
                else:
                    os.kill(self.proc.pid, signum)

    def kill_leftovers(self) -> None:
        """SIGKILL anything still in the child's process group (e.g. orphaned pool processes)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False


class Command(BaseCommand):
    help = "Serve the web app with a Celery worker and Celery beat; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--reload", action="store_true", help="Restart the web server on code changes."
        )
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument("--no-beat", action="store_true")

    def handle(self, *args, **options):
        host, _, port = options["addrport"].rpartition(":")
        host = host or "127.0.0.1"
        if not port.isdigit():
            raise CommandError("Give the address as HOST:PORT, e.g. 127.0.0.1:8000")
        self._check_port_free(host, int(port))

        children = self._children(host, port, options)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        stop = threading.Event()
        reason = {}

        def on_signal(signum, frame):
            reason.setdefault("signal", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        out = sys.stdout.buffer
        for child in children:
            child.start(env=env, out=out)
        self.stdout.write(
            "Started "
            + ", ".join(f"{c.name} (pid {c.proc.pid})" for c in children)
            + f"; database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            + f", broker: {settings.CELERY_BROKER_URL.split('://')[0]}"
        )

        announced = False
        exit_code = 0
        while not stop.wait(0.5):
            dead = next((c for c in children if not c.running), None)
            if dead is not None:
                self.stderr.write(
                    f"\n{dead.name} exited with code {dead.proc.returncode}; stopping the others."
                )
                exit_code = 1
                break
            if (
                not announced
                and all(c.ready.is_set() for c in children if c.ready_marker)
                and self._port_open(host, int(port))
            ):
                announced = True
                self._announce(host, port)

        if reason:
            self.stdout.write(f"\nReceived {reason['signal']}; stopping…")
        self._stop(children)
        if exit_code:
            raise SystemExit(exit_code)
        self.stdout.write("All stopped.")

    def _children(self, host: str, port: str, options) -> list[Child]:
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        web = [python, manage, "runserver", f"{host}:{port}"]
        if not options["reload"]:
            web.append("--noreload")
        children = [Child("web", web, signal_group=True)]
        celery = [python, "-m", "celery", "-A", "postpurchase"]
        if not options["no_worker"]:
            children.append(
                Child(
                    "worker",
                    [
                        *celery,
                        "worker",
                        "--loglevel=INFO",
                        f"--concurrency={options['concurrency']}",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    ready_marker=b" ready.",
                )
            )
        if not options["no_beat"]:
            children.append(
                Child(
                    "beat",
                    [
                        *celery,
                        "beat",
                        "--loglevel=INFO",
                        f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
                    ],
                    ready_marker=b"beat: Starting",
                )
            )
        return children

    def _stop(self, children: list[Child]) -> None:
        # Beat first (no new work), then the worker (finishes what it holds), then web.
        for child in reversed(children):
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in reversed(children):
            if child.proc is None:
                continue
            if not child.wait(max(0.1, deadline - time.monotonic())):
                self.stderr.write(f"{child.name} did not stop in {STOP_TIMEOUT}s; killing it.")
                child.signal(signal.SIGKILL)
                child.wait(5)
            child.kill_leftovers()
            if child.pump is not None:
                child.pump.join(timeout=2)

    def _announce(self, host: str, port: str) -> None:
        from demo.summary import demo_summary, new_key_take

        base = f"http://{host}:{port}"
        self.stdout.write(self.style.SUCCESS(f"\nPostpurchase is running on {base}/"))
        summary = demo_summary(base_url=base, api_key=new_key_take())
        if summary:
            self.stdout.write(summary)
        self.stdout.write("Press Ctrl-C to stop web, worker and beat.\n")

    @staticmethod
    def _port_open(host: str, port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            return sock.connect_ex((host, port)) == 0

    def _check_port_free(self, host: str, port: int) -> None:
        if self._port_open(host, port):
            raise CommandError(
                f"Something is already listening on {host}:{port}. "
                "Stop it, or give another address: manage.py serve_all 127.0.0.1:8001"
            )
