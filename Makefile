# RetainAI: `make demo` runs the whole pipeline, `make test` runs the tests.
# Both bootstrap .venv from the lock file on a machine with only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

export PREFECT_HOME := $(CURDIR)/.state/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export PREFECT_LOGGING_LEVEL := WARNING
export MLFLOW_DISABLE_TELEMETRY := true
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false
export DO_NOT_TRACK := true
export TQDM_DISABLE := 1
export DASK_LOGGING__DISTRIBUTED := warning

CHROMIUM := /usr/bin/chromium

.PHONY: setup demo test docs site lint format lock bench clean browser screenshots up down status deploy \
	messages

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/retainai demo $(if $(DATA),--data $(DATA),)

# Debian's Chromium for the browser tests (installed as root; elsewhere those tests skip)
browser:
	@test -x $(CHROMIUM) || [ "$$(id -u)" != 0 ] || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		>/dev/null; } || echo "could not install chromium: the browser tests will skip"

# two workers on two cores; more contend for them and finish later
TEST_WORKERS ?= 2

test: $(STAMP) browser
	mkdir -p $(PREFECT_HOME)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory site
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The documentation site (docs/mkdocs.yml, pages in docs/pages) into .state/site. `docs`
# first rewrites the configuration page from the code; `site` builds what is committed.
# Strict: a broken link or anchor, or a page missing from the navigation, fails the build.
docs: $(STAMP)
	$(BIN)/python docs/gen_config.py
	$(MAKE) --no-print-directory site

site: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -f docs/mkdocs.yml

# the browser tests' screenshots (tests/artifacts), small copies in docs/pages/img for the docs
screenshots: $(STAMP) browser
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest -q tests/browser
	$(BIN)/python tests/browser/shrink.py tests/artifacts docs/pages/img

# The strings to translate (tasks/i18n/babel.cfg; the keywords are those of
# tasks/i18n/extraction.py) into tasks/i18n/messages.pot, then each catalogue updated from it:
# new strings get an empty msgstr to fill in, removed ones are dropped. Entries are sorted by
# msgid without line numbers or extraction date, so catalogues edited on two branches merge
# cleanly.
MESSAGES := tasks/i18n/messages.pot
TRANSLATED := fr

messages: $(STAMP)
	$(BIN)/pybabel -q extract -F tasks/i18n/babel.cfg --no-default-keywords \
		-k _ -k N_ -k gettext:2 -k plural:2,3 -k ngettext:1,2 --sort-output --no-location --no-wrap \
		--project RetainAI -o $(MESSAGES) .
	for lang in $(TRANSLATED); do \
		$(BIN)/pybabel -q update -i $(MESSAGES) -d tasks/i18n/locales -D messages -l $$lang \
			--no-fuzzy-matching --ignore-obsolete --no-wrap || exit 1; \
		po=tasks/i18n/locales/$$lang/LC_MESSAGES/messages.po; \
		sed -i.bak '/^"POT-Creation-Date:/d' $$po && rm $$po.bak; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

bench: $(STAMP)
	$(BIN)/python bench/model_quality.py --data ../shared/data/telco-customer-churn.csv

clean:
	rm -rf .state .tmp

# The production path without Docker: Prefect server, MLflow server, a process worker and the
# API as process groups (logs and records in .state/stack); `make deploy` registers prefect.yaml
up: $(STAMP)
	$(BIN)/retainai stack up

down:
	$(BIN)/retainai stack down

status:
	$(BIN)/retainai stack status

deploy: $(STAMP)
	PREFECT_API_URL=$${PREFECT_API_URL:-http://127.0.0.1:$${RETAINAI_PREFECT_PORT:-4200}/api} \
		$(BIN)/retainai deploy
