# Developer entry points. `make test` and `make demo` set everything up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup test test-pure lint db-stop clean demo screenshots pot

help:
	@echo "make demo     set up, then Odoo + this addon on the Graph emulator (ARGS=--once: scripted run; ARGS=--reset)"
	@echo "make test     set up (venv, Odoo 18, private PostgreSQL, Chromium) and run every test"
	@echo "make setup    only the set-up (idempotent; ODOO_VERSION=19.0: Odoo 19 beside 18.0, see docs/odoo19.md)"
	@echo "make test-pure  only the pure tests (services, Graph emulator), no Odoo"
	@echo "make lint     ruff + pylint-odoo through pre-commit"
	@echo "make screenshots  retake docs/screenshots/ with headless Chromium (on the running demo, else a fresh one)"
	@echo "make bench    set up, then this addon vs the built-in microsoft_calendar on the emulator (ARGS=--sizes 1000,5000)"
	@echo "make soak     the property-based sync suite with 5,000+ examples in its own database, then its figures (SOAK_EXAMPLES=300: a bounded part)"
	@echo "make pot     regenerate i18n/outlook_calendar_sync.pot (after make test)"
	@echo "make db-stop  stop the private PostgreSQL cluster"

setup:
	@dev/setup.sh

test: setup
	@dev/test.sh

test-pure: setup
	@dev/test.sh --pure-only

lint: setup
	@PATH="$(CURDIR)/.venv/bin:$$PATH" pre-commit run --all-files

demo: setup
	@.venv/bin/python dev/demo.py $(ARGS)

screenshots: setup
	@.venv/bin/python dev/screenshots.py $(ARGS)

.PHONY: bench
bench: setup
	@.venv/bin/python dev/bench.py $(ARGS)

.PHONY: soak
soak: setup
	@dev/soak.sh

pot: setup
	@dev/pot.sh

db-stop:
	@dev/pg.sh stop

clean: db-stop
	rm -rf .dev
