# Buurtwacht developer commands. Every target creates .venv and installs the project when needed,
# so a fresh machine with only Python 3.11+ and make can run them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LOCALES := bot/locales

.PHONY: demo test run lint typecheck i18n-extract i18n-update i18n-compile bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Compile the gettext catalogues (.po -> .mo); the bot refuses to start without them.
i18n-compile: $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -d $(LOCALES) -D buurtwacht

## Re-extract the message template after changing user-facing texts, then merge it into nl and en.
i18n-extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		--omit-header -o $(LOCALES)/buurtwacht.pot .

## Merge the template into the catalogues; pass nl translations as JSON: make i18n-update NL=file.json
i18n-update: i18n-extract
	$(PY) tools/po_merge.py en
	$(PY) tools/po_merge.py nl $(NL)

## Run the bot against the built-in Telegram emulator with an interactive terminal chat.
demo: i18n-compile
	$(VENV)/bin/buurtwacht demo

## Lint, type-check and run the whole test suite.
test: i18n-compile
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

## Run for real, with the token from the environment and settings from config.toml.
run: i18n-compile
	$(VENV)/bin/buurtwacht run --config config.toml

bench: i18n-compile
	$(PY) bench/fanout.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
	find $(LOCALES) -name '*.mo' -delete
