"""A real Celery worker (and beat) for tests: subprocesses on Redis, working on the test database.

``celery_worker_proc`` (session) starts ``celery -A dealercrm worker -P solo -Q <unique queue>`` once the
test database exists, pointed at it by DATABASE_URL, and stops it at the end of the session; tasks reach
it through a separate Celery app bound to the test broker (``celery_worker_proc.run(...)``).
``celery_beat_proc`` (per test) adds ``celery -A dealercrm beat`` with HEARTBEAT_SECONDS=1.

Tests that use them must be marked ``celery_worker`` and ``django_db(transaction=True,
serialized_rollback=True)``: the worker is another process and sees only committed rows; and a
transactional test without serialized_rollback re-creates content types on flush, which makes the next
serialized test in the session fail with duplicate keys. They need PostgreSQL (an in-memory SQLite test database
is invisible to other processes) and Redis: ``DATABASE_URL=postgresql://…`` for pytest and Redis at
``DEALERCRM_TEST_REDIS_URL`` or ``REDIS_URL``. Without them the tests skip, except under CI=true, where
a skip is a failure. ``make test`` runs them in their own step with both.

Another app's worker tests can live in this folder and share its worker, or import the fixtures into
their own conftest or test module (``from tests.celery.conftest import celery_worker_proc  # noqa: F401``),
which starts one more worker, on a queue of its own, for the tests there. (Listing this module in
``pytest_plugins`` does not work: pytest refuses to register a conftest twice.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connections

READY_TIMEOUT = 60  # seconds for a worker to start and answer its first task
STOP_TIMEOUT = 15


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip, or under CI=true fail: CI runs these tests with PostgreSQL and Redis, so a skip hides a fault."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: a skipped Celery worker test counts as a failure)", pytrace=False)
    pytest.skip(reason)


def _test_broker_url() -> str:
    return os.environ.get("DEALERCRM_TEST_REDIS_URL") or os.environ.get("REDIS_URL") or ""


def database_url(db: dict) -> str:
    """A DATABASE_URL (as settings.py parses it) for a Django PostgreSQL settings dict."""
    auth = ""
    if db.get("USER"):
        auth = quote(db["USER"], safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        auth += "@"
    host = db.get("HOST") or "localhost"
    host = quote(host, safe="") if host.startswith("/") else host  # a socket folder, percent-encoded
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


def _die_with_parent() -> None:
    """Own process group (so a Ctrl-C in pytest does not race our shutdown) and die if pytest dies."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class CeleryProcess:
    """A Celery worker or beat subprocess, its environment and its log."""

    process: subprocess.Popen
    log_path: Path
    env: dict

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self, last_lines: int = 60) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-last_lines:])


@dataclass
class CeleryWorkerProcess(CeleryProcess):
    """The session's worker: ``run()`` sends a task by name to its queue and waits for the result."""

    queue: str
    broker_url: str
    app: Celery

    def send(self, name: str, args=(), kwargs=None):
        """Send task ``name`` (e.g. ``"accounts.tasks.deliver_notification"``) to this worker; an AsyncResult."""
        return self.app.send_task(name, args=list(args), kwargs=kwargs or {}, queue=self.queue)

    def run(self, name: str, args=(), kwargs=None, timeout: float = 30):
        """Send a task and wait for its return value; fail with the worker's log if it does not come."""
        return self.wait(self.send(name, args, kwargs), timeout=timeout)

    def wait(self, result, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while not result.ready():
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited with code {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"task {result.id} got no result within {timeout} s; worker log:\n{self.log()}")
            time.sleep(0.1)
        return result.get(timeout=1, propagate=True)

    def drain(self, timeout: float = 30) -> None:
        """Wait until every message already in the queue has been handled (the solo pool works in order)."""
        self.run("celery.accumulate", args=("drained",), timeout=timeout)


@pytest.fixture(scope="session")
def _celery_prerequisites() -> str:
    """Checked before the test database is created, so a skip costs nothing."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip_or_fail(
            "the Celery worker tests need PostgreSQL (a worker process cannot see the in-memory SQLite test "
            "database): run them with DATABASE_URL=postgresql://… as `make test` does"
        )
    broker_url = _test_broker_url()
    if not broker_url.startswith(("redis://", "rediss://")):
        skip_or_fail("the Celery worker tests need Redis: set DEALERCRM_TEST_REDIS_URL or REDIS_URL=redis://…")
    import redis

    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {broker_url} does not answer: {exc}")
    return broker_url


@pytest.fixture(scope="session")
def celery_worker_proc(_celery_prerequisites, django_db_setup, django_db_blocker, tmp_path_factory):
    """A real worker on a queue of its own, working on the test database; stopped at the session's end."""
    broker_url = _celery_prerequisites
    queue = f"test-{uuid.uuid4().hex[:12]}"
    workdir = tmp_path_factory.mktemp("celery-worker")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "DATABASE_URL": database_url(connections["default"].settings_dict),  # the test database, after setup
        "DB_CONN_MAX_AGE": "0",  # hold no connection between tasks: tests truncate tables in between
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,  # beat, started with this env, sends here too
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEALERCRM_VAR_DIR": str(workdir / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "dealercrm", "worker", "-P", "solo", "-Q", queue,
        "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    log_path = workdir / "worker.log"
    app = Celery("dealercrm-tests", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    worker = CeleryWorkerProcess(
        process=process, log_path=log_path, env=env, queue=queue, broker_url=broker_url, app=app
    )
    try:
        worker.drain(timeout=READY_TIMEOUT)  # answers a first task: started, consuming, results readable
        yield worker
    finally:
        _stop(process)  # before django_db_setup's teardown drops the database the worker is connected to
        app.close()
        _forget_queue(broker_url, queue)


def _forget_queue(broker_url: str, queue: str) -> None:
    """Remove this run's queue and bindings from a Redis that other runs may share."""
    import redis

    try:
        client = redis.Redis.from_url(broker_url, socket_connect_timeout=3)
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass


@pytest.fixture
def celery_beat_proc(celery_worker_proc, transactional_db, tmp_path):
    """``celery beat`` with HEARTBEAT_SECONDS=1, sending to the session worker's queue; stopped after the test.

    Depends on ``transactional_db`` so that it stops, and the queue drains, before the tables are emptied.
    """
    env = {**celery_worker_proc.env, "HEARTBEAT_SECONDS": "1"}
    command = [
        sys.executable, "-m", "celery", "-A", "dealercrm", "beat", "-l", "info",
        "-s", str(tmp_path / "celerybeat-schedule"), "--pidfile", str(tmp_path / "beat.pid"),
    ]  # fmt: skip
    log_path = tmp_path / "beat.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    beat = CeleryProcess(process=process, log_path=log_path, env=env)
    try:
        yield beat
    finally:
        _stop(process)
        celery_worker_proc.drain()  # the heartbeats beat already sent run now, not in the next test
