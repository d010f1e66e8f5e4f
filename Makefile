# DealerCRM: `make run` starts the embedded app with demo data; `make test` runs every check CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help run test deps dev-deps messages clean

help:
	@echo "make run    start DealerCRM with demo data (web app + Celery worker with beat) on http://127.0.0.1:8000/"
	@echo "make test   lint, checks, the test suite on SQLite and PostgreSQL, real Celery worker and browser tests"

$(PY):
	@scripts/make-venv.sh "$(PYTHON)" "$(VENV)"

# Reinstall only when a requirements file changed since the last install (the stamps live in the venv).
$(VENV)/.requirements.stamp: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.txt requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.requirements.stamp

deps: $(VENV)/.requirements.stamp
dev-deps: $(VENV)/.requirements-dev.stamp

messages: deps
	@PY=$(PY) scripts/compile-messages.sh

run: deps messages
	$(PY) manage.py migrate --noinput
	@echo "Loading the demo data (the first time takes a few minutes; later runs add nothing twice)"
	LOG_LEVEL=WARNING $(PY) manage.py seed_demo --quiet-logins
	$(PY) manage.py run_embedded

test: dev-deps
	@PY=$(PY) scripts/test.sh

clean:
	rm -rf test-artifacts var/celery var/celerybeat-schedule*
