# Two commands on a fresh machine:
#   make run    Haven with demo data on SQLite at http://127.0.0.1:$(PORT)
#   make test   the whole test suite (lint, unit, browser)
# and the production processes on this machine (SQLite, or DATABASE_URL):
#   make serve  gunicorn, the task worker and the scheduler (Procfile, honcho)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Test processes run side by side (pytest-xdist): one per CPU.
TEST_PROCESSES ?= auto
export HAVEN_SQLITE_PATH ?= $(CURDIR)/var/haven.sqlite3

.PHONY: run serve test lint format install messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo_data
	@echo ""
	@echo "Haven is running at http://127.0.0.1:$(PORT)/"
	@echo "Demo accounts (password haven-demo): specialist, supervisor, manager, analyst, admin"
	@echo "Public pages (no account): http://127.0.0.1:$(PORT)/public/resources/ and /public/alerts/"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start --port $(PORT)

# The Procfile's processes, as production runs them: gunicorn (deploy/gunicorn.conf.py),
# `manage.py db_worker` and `manage.py run_schedule`, on $(PORT).
serve: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(PORT)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES)

messages: install
	cd haven && ../$(BIN)/python ../manage.py makemessages -l es --no-location --no-obsolete
	cd haven && ../$(BIN)/python ../manage.py compilemessages

clean:
	rm -rf $(VENV) var
