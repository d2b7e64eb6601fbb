# NeuroCards. `make demo` runs the product offline; `make test` runs the tests. Both set up everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# The demo always runs on its own SQLite file, the ORM broker and debug settings, whatever .env says.
DEMO_ENV := DJANGO_DEBUG=true DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 REDIS_URL=

.PHONY: demo test lint run venv catalogs check setup bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

catalogs: venv
	$(MANAGE) compilecatalogs

# The system checks once per run of make (`manage.py check`: its warnings, such as neurocards.W001 "Telegram is
# not configured", are printed once, and an error stops here); every manage.py command after it skips them.
check: venv
	$(MANAGE) check

# Idempotent: translations, migrations, schedules, the Support role and the default credit packs.
setup: catalogs check
	$(MANAGE) migrate --noinput --skip-checks
	$(MANAGE) setup_schedules --skip-checks
	$(MANAGE) setup_roles --skip-checks
	$(MANAGE) setup_packs --skip-checks

demo: venv
	mkdir -p var
	$(DEMO_ENV) $(MAKE) --no-print-directory setup
	$(DEMO_ENV) $(MANAGE) seed_examples --skip-checks
	$(DEMO_ENV) $(MANAGE) demo --skip-checks

# The checks first, in seconds: style (ruff, pyproject.toml) and the one-way layers between the apps
# (import-linter's contracts, pyproject.toml); then the tests.
test: venv lint
	DJANGO_DEBUG=true $(MANAGE) compilecatalogs
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# A real deployment: uvicorn (ASGI, several workers) and qcluster; Ctrl-C stops both.
run: venv
	./scripts/run

bench: venv
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) var/demo.sqlite3 .pytest_cache
