# Liquibond developer commands. Needs only Python 3.11 and make: uv is bootstrapped into
# .tools/ and every dependency is installed, pinned by uv.lock, into .venv/.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: install demo serve test test-web lint format bench clean web web-api contracts

# The web app (frontend/) needs Node.js 20.19+; without it the server runs and `/` says so.
NODE_OK := $(shell node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null && echo yes)
WEB_BUILT := src/liquibond/web/static/index.html
WEB_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-groups
	@touch $@

install: .venv/.synced ## Install Liquibond and its pinned dependencies

demo: install ## Run the demo at http://127.0.0.1:8000 (embedded SQLite, demo users)
ifeq ($(NODE_OK),yes)
	@$(MAKE) --no-print-directory $(WEB_BUILT)
else
	@echo "Node.js 20.19+ not found: the API runs, the web app is not built (see README)."
endif
	$(UV) run --frozen liquibond demo

serve: install ## Run the server with the configured settings
	$(UV) run --frozen liquibond serve

# Two workers halve the suite's time on a two-core machine; tests share nothing between them
# (each worker has its own PostgreSQL database and SQLite files).
PYTEST_WORKERS ?= 2

test: install ## Run the whole test suite (Python, then the web app's unit and browser tests)
	$(UV) run --frozen pytest -n $(PYTEST_WORKERS) --dist worksteal
	@$(MAKE) --no-print-directory test-web

test-web: install ## The web app: generated client current, types, unit tests, build, browser tests
ifeq ($(NODE_OK),yes)
	@$(MAKE) --no-print-directory frontend/node_modules/.installed
	cd frontend && npm run --silent check:api && npx tsc -p . && npx vitest run
	@$(MAKE) --no-print-directory $(WEB_BUILT)
	cd frontend && node --test --test-reporter=spec e2e/
else ifeq ($(LIQUIBOND_TEST_REQUIRE_SERVICES),1)
	@echo "Node.js 20.19+ is required for the web app's tests" >&2; exit 1
else
	@echo "SKIPPED: the web app's tests need Node.js 20.19+"
endif

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

$(WEB_BUILT): frontend/node_modules/.installed $(WEB_SOURCES)
	cd frontend && npm run build

web: install frontend/node_modules/.installed $(WEB_BUILT) ## Build the web app into the package

web-api: install frontend/node_modules/.installed ## Regenerate the web app's API client from the server
	$(UV) run --frozen liquibond openapi > frontend/openapi.json
	cd frontend && npm run --silent gen:api

lint: install ## ruff, mypy (strict on the platform and pure cores), import-linter, contract artifacts
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports
	$(UV) run --frozen python contracts/build.py --check

contracts: install ## Compile the Vyper contracts into src/liquibond/chain/artifacts/ (commit the result)
	$(UV) run --frozen python contracts/build.py

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: install ## Run every benchmark in bench/ and print its figures
	@for script in bench/*.py; do \
		case $$script in *_peer.py|*/_*) continue;; esac; \
		echo "== $$script"; $(UV) run --frozen python $$script || exit 1; \
	done

clean:
	rm -rf .venv .tools var .pytest_cache .mypy_cache .ruff_cache frontend/node_modules src/liquibond/web/static
