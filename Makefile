PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST_ARGS ?=
XDIST ?= -n auto
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-e2e fuzz fault bench lint format messages check-deploy install clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

# ical.js, one of the parsers the calendar tests read our files with (skipped without npm).
CALENDAR_PARSERS := tests/calendars/node_modules/.package-lock.json
$(CALENDAR_PARSERS): tests/calendars/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/calendars --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the ical.js calendar tests will be skipped"; fi

install: $(BIN)/activate $(CALENDAR_PARSERS)

# The site, a task worker and the scheduler together (honcho, Procfile); one Ctrl-C stops all.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" RUN_ADDR=$(HOST):$(PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/pytest $(XDIST) -m e2e $(PYTEST_ARGS)

fuzz: install
	RUN_API_FUZZ=1 $(BIN)/pytest $(XDIST) -m fuzz $(PYTEST_ARGS)

fault: install
	RUN_FAULT_TESTS=1 $(BIN)/pytest -p no:xdist -m fault $(PYTEST_ARGS)

bench: install
	$(PY) bench/prepare.py $(BENCH_ARGS)
	$(PY) bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	$(PY) manage.py makemessages -l ru --no-location --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(60))') ALLOWED_HOSTS=example.com \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
