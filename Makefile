# Liquibond developer commands. Needs only Python 3.11 and make: uv is bootstrapped into
# .tools/ and every dependency is installed, pinned by uv.lock, into .venv/.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: install demo serve test test-fast lint format bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-groups
	@touch $@

install: .venv/.synced ## Install Liquibond and its pinned dependencies

demo: install ## Run the demo at http://127.0.0.1:8000 (embedded SQLite, demo users)
	$(UV) run --frozen liquibond demo

serve: install ## Run the server with the configured settings
	$(UV) run --frozen liquibond serve

test: install ## Run the whole test suite
	$(UV) run --frozen pytest

lint: install ## ruff, mypy (strict on the platform and pure cores), import-linter
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: install ## Run every benchmark in bench/ and print its figures
	@for script in bench/*.py; do \
		case $$script in *_peer.py|*/_*) continue;; esac; \
		echo "== $$script"; $(UV) run --frozen python $$script || exit 1; \
	done

clean:
	rm -rf .venv .tools var .pytest_cache .mypy_cache .ruff_cache
