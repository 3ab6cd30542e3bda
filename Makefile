# Headway — set-up, run and test. The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
# Django 6 needs Python >= 3.12. Use the first interpreter that really runs (pyenv shims may not).
PYTHON ?= $(shell for c in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 python3; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$c; break; fi; done)

VENDOR := static/vendor
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/alpine.min.js $(VENDOR)/sortable.min.js $(VENDOR)/echarts.min.js

.PHONY: help install demo serve test test-quick lint format bench clean

help:
	@echo "make demo   set everything up, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test   set everything up and run the whole suite (lint, types, SQLite, PostgreSQL, browser, API fuzz)"
	@echo "make bench  run the benchmarks and write docs/benchmarks.md"

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Headway needs Python 3.12 or newer (python3.12 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR_FILES): node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/alpinejs/dist/cdn.min.js $(VENDOR)/alpine.min.js
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/sortable.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js

install: $(VENV)/.installed $(VENDOR_FILES)

demo: install
	$(VENV)/bin/headway demo
	$(VENV)/bin/headway serve

serve: install
	$(VENV)/bin/headway serve

test: install
	bash scripts/test-all.sh

test-quick: install
	$(VENV)/bin/pytest --ds=config.settings.test -x -q -m "not e2e and not slow and not postgres"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py && $(PY) bench/strategy.py && $(PY) bench/ideas.py && $(PY) bench/insights.py && $(PY) bench/planner.py && $(PY) bench/prioritization.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/staticfiles
