# One-command workflows. `make run` and `make test` set up whatever is missing first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed
# The documentation site, strictly: a broken link or anchor, a page missing from disk or a missing
# include fails the build. NO_MKDOCS_2_WARNING quiets Material's banner about MkDocs 2.
MKDOCS_BUILD := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
SERVICES := auth_service customer_service restaurant_service order_service delivery_service gateway_service

.DEFAULT_GOAL := help
.PHONY: browser-deps help setup run images demo operator test conformance-as-released e2e lint lint-tools docs format clean-data clean ferretdb system-deps screenshots bench dispatch-sim dispatch-service bench-console chaos

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: system-deps $(STAMP) ferretdb ## install everything the platform needs (idempotent)

system-deps: ## Debian packages: redis-server, postgresql and patch (each skipped when present or not needed)
	@missing=""; \
	if [ -z "$$REDIS_URL" ] && ! command -v redis-server >/dev/null; then missing="$$missing redis-server"; fi; \
	if [ -z "$$MONGO_URL" ] && ! command -v mongod >/dev/null; then \
		command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
		command -v patch >/dev/null || missing="$$missing patch"; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): requirements.lock common/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e common
	@touch $@

# The site's tools go into the same .venv, pinned apart from the platform's (requirements-docs.lock).
$(DOCS_STAMP): $(STAMP) requirements-docs.lock
	$(BIN)/pip install -q -r requirements-docs.lock
	@touch $@

ferretdb: ## build FerretDB (skipped when MONGO_URL is set or mongod is on PATH)
	@if [ -z "$$MONGO_URL" ] && ! command -v mongod >/dev/null; then \
		$(PYTHON) -m tools.devstack build-ferretdb; \
	fi

IMAGE_REPOSITORY ?= ghcr.io/food-delivery/food-delivery
IMAGE_TAG ?= $(shell sed -n 's/^appVersion: *"*\([^"]*\)"*$$/\1/p' helm/food-delivery/Chart.yaml)

images: ## the six images as the chart names them: $(IMAGE_REPOSITORY)-<service>:$(IMAGE_TAG) (docker, podman or buildah)
	@if command -v docker >/dev/null && docker info >/dev/null 2>&1; then build="docker build"; \
	elif command -v podman >/dev/null; then build="podman build"; \
	elif command -v buildah >/dev/null; then build="buildah bud"; \
	else echo "make images needs a container builder: docker (with a running engine), podman or buildah"; exit 1; fi; \
	for service in $(SERVICES); do \
		name="$(IMAGE_REPOSITORY)-$${service%_service}:$(IMAGE_TAG)"; echo "building $$name"; \
		$$build --build-arg SERVICE=$$service -t "$$name" . || exit 1; \
	done

run: setup ## start the whole platform in the foreground (Ctrl-C stops it)
	$(BIN)/python -m tools.devstack run

operator: setup ## an operator on the running platform (`make run` first): make operator EMAIL=... PASSWORD=... (again: resets it); prints the otpauth:// URI once
	@OPERATOR_PASSWORD="$$PASSWORD" $(BIN)/python -m tools.devstack operator --email "$(EMAIL)"

test: setup browser-deps ## every test suite: unit, integration, end-to-end, real-browser
	$(BIN)/python -m tools.devstack test

browser-deps: ## Debian's Chromium and ChromeDriver for the browser tests (skipped when present; without them those tests skip)
	@if ! command -v chromedriver >/dev/null || ! { command -v chromium || command -v chromium-browser || command -v google-chrome; } >/dev/null; then \
		echo "installing chromium chromium-driver (for the browser tests)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; } \
			|| echo "could not install Chromium: the browser tests will skip"; \
	fi

conformance-as-released: setup ## shows the store conformance suite catching FerretDB as released (succeeds when it fails there)
	@if MONGO_URL= $(BIN)/python -m tools.devstack test store_conformance --as-released; then \
		echo "FerretDB as released passed the conformance suite: the suite proves nothing"; exit 1; \
	else echo "as expected: FerretDB as released breaks MongoDB's guarantees (failures above)"; fi

e2e: setup ## only the Behave features
	$(BIN)/python -m tools.devstack test --only-e2e

lint: setup lint-tools $(DOCS_STAMP) ## ruff, the Helm chart (lint, schema, template for several value sets, validation, template tests), the workflows (actionlint) and the docs site (strict)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/lint_chart.py
	cd helm/tests && ../../$(BIN)/pytest
	.local/bin/actionlint
	$(MKDOCS_BUILD) --quiet

docs: $(DOCS_STAMP) ## the documentation site (mkdocs-material, docs/ and mkdocs.yml) into site/; `.venv/bin/mkdocs serve` while writing
	$(MKDOCS_BUILD)

lint-tools: ## helm and actionlint, pinned in tools/lint-tools/go.mod, built into .local/bin
	@if [ ! -x .local/bin/helm ] || [ ! -x .local/bin/actionlint ]; then \
		cd tools/lint-tools && GOBIN=$(CURDIR)/.local/bin go install helm.sh/helm/v3/cmd/helm github.com/rhysd/actionlint/cmd/actionlint; \
	fi

demo: setup ## demo restaurants, couriers and a customer on the running platform (`make run` first), then a simulator of orders; Ctrl-C stops
	$(BIN)/python tools/demo.py $(DEMO_ARGS)

bench: setup ## benchmarks: starts the platform, measures, prints a table, writes bench/out/ (results.json, latency.png)
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk nginx-light >/dev/null; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/dispatch_sim.py --json bench/out/dispatch_sim.json
	$(BIN)/python bench/dispatch_service.py --orders 150 --couriers 50 --json bench/out/dispatch_service.json

dispatch-sim: setup ## the dispatch simulator alone: nearest against planned routes on a seeded city (bench/dispatch_sim.py)
	$(BIN)/python bench/dispatch_sim.py --json bench/out/dispatch_sim.json

dispatch-service: setup ## planned dispatch's solve times in the running delivery service, 150 orders / 50 couriers (bench/dispatch_service.py)
	$(BIN)/python bench/dispatch_service.py --orders 150 --couriers 50

bench-console: setup ## the operators' console alone: 1,000 couriers every 3 s, 300 live orders, the page in Chromium (bench/out/console.json)
	$(BIN)/python bench/console.py

chaos: setup ## long resilience run: kill and restart Redis, delivery, restaurant under load; check invariants
	$(BIN)/python resilience/chaos.py

screenshots: setup ## headless Chromium screenshots of /docs and a browsable-API page (needs a running `make run`)
	$(BIN)/python tools/screenshots.py

format: setup ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-data: ## remove local data (databases, generated keys, logs)
	rm -rf .data

clean: clean-data ## also remove the virtual environment, built tools and the built docs site
	rm -rf $(VENV) .local tools/ferretdb/vendor site
