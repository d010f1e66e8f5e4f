"""Run the embedded DealerCRM: the web app and a Celery worker with embedded beat, stopped together.

``make run`` calls this after migrating and loading the demo data. The worker uses whatever broker the
settings give (the file-system broker under var/ by default), so scheduled jobs really fire without any
server installed. Ctrl-C (SIGINT) or SIGTERM stops both children by their pids.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, demo_logins

STOP_TIMEOUT = 20  # seconds a child gets to finish its current request or task before it is killed


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it if the launcher itself dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        except OSError:
            pass


class Command(BaseCommand):
    help = "Run the web app and a Celery worker with embedded beat until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="Address to bind (env HOST).")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="Port (env PORT).")
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="gunicorn sync worker processes (env WEB_CONCURRENCY).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Run the web app only.")

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        self._check_port_free(host, port)
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        exit_code = 0
        try:
            if not options["no_worker"]:
                self._spawn("celery worker", self._worker_command())
            self._spawn("web", self._web_command(host, port, options["web_workers"]))
            if self._wait_until_listening(host, port):
                self._print_banner(host, port)
            exit_code = self._supervise()
        finally:
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if exit_code:
            raise CommandError(f"stopped because a child process exited with code {exit_code}")

    # --- children ---------------------------------------------------------------------------

    def _worker_command(self) -> list[str]:
        schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
        schedule.parent.mkdir(parents=True, exist_ok=True)
        return [
            sys.executable, "-m", "celery", "-A", "dealercrm", "worker", "-B",
            "-P", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "info", "-s", str(schedule),
        ]  # fmt: skip

    def _web_command(self, host: str, port: int, workers: int) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "dealercrm.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(max(1, workers)), "--worker-class", "sync",
            "--timeout", "120", "--access-logfile", "-", "--no-control-socket",
        ]  # fmt: skip

    def _spawn(self, name: str, command: list[str]) -> None:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, preexec_fn=_die_with_parent)
        self.children.append((name, process))
        self.stdout.write(f"started {name} (pid {process.pid})")

    def _supervise(self) -> int:
        """Wait for Ctrl-C/SIGTERM; if a child dies on its own, stop the other and report it."""
        while not self.stopping:
            for name, process in self.children:
                code = process.poll()
                if code is not None:
                    time.sleep(0.5)  # a Ctrl-C reaches the children too: let our own handler see it first
                    if self.stopping:
                        return 0
                    self.stderr.write(f"{name} (pid {process.pid}) exited with code {code}; stopping DealerCRM.")
                    return code or 1
            time.sleep(0.5)
        return 0

    def _stop_children(self) -> None:
        for _name, process in self.children:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} (pid {process.pid}) did not stop in {STOP_TIMEOUT} s; killing it.")
                process.kill()
                process.wait()
        if self.children:
            self.stdout.write("DealerCRM stopped.")

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    # --- helpers ----------------------------------------------------------------------------

    def _check_port_free(self, host: str, port: int) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host.strip("[]"), port))
            except OSError as exc:
                raise CommandError(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT=… to use another port")

    def _wait_until_listening(self, host: str, port: int, timeout: float = 60) -> bool:
        target = "127.0.0.1" if host in ("0.0.0.0", "") else host.strip("[]")  # noqa: S104
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            if any(process.poll() is not None for _name, process in self.children):
                return False
            try:
                with socket.create_connection((target, port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.3)
        return False

    def _print_banner(self, host: str, port: int) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"
        lines = ["", "=" * 72, f"  DealerCRM is running: http://{shown}:{port}/", ""]
        lines.append(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, store in demo_logins():
            lines.append(f"    {username:<16} {role:<17} {store}")
        lines += ["", "  Press Ctrl-C to stop the web app and the Celery worker.", "=" * 72, ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
