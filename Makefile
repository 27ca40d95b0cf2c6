# Two commands do all the set-up on a machine that has only python3:
#   make run   - install, migrate an SQLite file, load the demo and serve on 127.0.0.1:8000
#   make test  - install with the test extras, then lint, type-check, check layers and test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test check lint format typecheck layers pytest bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/consulta config init
	$(BIN)/consulta db upgrade
	$(BIN)/consulta demo load
	@echo
	@echo "Consulta is starting on http://127.0.0.1:8000 with the Arcadia demo data."
	@echo "Next steps, in another terminal:"
	@echo "  curl http://127.0.0.1:8000/healthz"
	@echo "  TOKEN=\$$($(BIN)/consulta tokens create --role organiser --participant 1)"
	@echo "  curl -H \"Authorization: Bearer \$$TOKEN\" 'http://127.0.0.1:8000/api/v1/recommendations?theme=birth'"
	@echo "  open http://127.0.0.1:8000/dashboard and sign in with that token,"
	@echo "  http://127.0.0.1:8000/docs for the API, and $(BIN)/consulta --help for the CLI."
	@echo
	$(BIN)/consulta serve

test: $(VENV)/.installed-test check pytest

check: lint typecheck layers

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy core surveys

layers: $(VENV)/.installed-test
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

# Extract every message, merge it into the six catalogs and compile them (core/locale).
translations: $(VENV)/.installed-test
	$(BIN)/python -m core.translations all

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
