# Frequenta: `make up` brings the system up with a demo gym, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROTOS := $(shell find proto -name '*.proto')
GEN    := gen
GEN_STAMP := $(GEN)/.stamp

.PHONY: help venv proto up down status init seed token test test-unit lint lock clean bench wrk \
	web chromium screenshots

help:
	@echo "make up      install, generate stubs, initialise the database, start every process"
	@echo "make down    stop what 'make up' started"
	@echo "make seed    write the simulated demo gym through the REST API (docs/simulator.md)"
	@echo "make token   print an access token of the first admin (TOKEN=\$$(make -s token))"
	@echo "make test    every test (unit, integration, end-to-end) against the real servers"
	@echo "make bench   performance figures on the local servers (bench/)"
	@echo "make proto   regenerate the gRPC stubs into $(GEN)/"
	@echo "make lock    re-pin requirements.lock from pyproject.toml"
	@echo "make notebook  run the churn notebook on the demo gym into $(NOTEBOOK_OUT)/"
	@echo "make screenshots  the retention workspace's pages into docs/images/ (docs/painel.md)"

venv: $(STAMP)

# The virtualenv, installed from the pinned lock; gen/ is put on its path by a .pth file.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	echo "$(CURDIR)/$(GEN)" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/frequenta_gen.pth"
	touch $@

proto: $(GEN_STAMP)

$(GEN_STAMP): $(PROTOS) $(STAMP)
	rm -rf $(GEN) && mkdir -p $(GEN)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m grpc_tools.protoc -I proto \
		--python_out=$(GEN) --grpc_python_out=$(GEN) \
		--mypy_out=$(GEN) --mypy_grpc_out=$(GEN) $(PROTOS)
	touch $@

init: proto
	$(PY) -m frequenta_ops.preflight
	$(PY) -m frequenta_db init

# The demo gym (docs/simulator.md): `make up` seeds it only into a gym with no members, then
# trains the first churn model through the retrain worker while none serves (docs/model.md).
SEED_ARGS   ?= --members 3000 --months 15 --seed 42
GATEWAY_URL ?= http://127.0.0.1:$${FREQUENTA_GATEWAY_PORT:-8000}

up: init web
	$(PY) -m frequenta_ops.launcher up $(if $(REPLICAS),--replicas $(REPLICAS))
	$(PY) -m frequenta_sim seed --if-empty --api $(GATEWAY_URL) $(SEED_ARGS)
	$(PY) -m frequenta_churn train --if-none
	@echo "REST calls need a token (README, 'Authentication and roles'): the first admin's is"
	@echo "  TOKEN=\$$(make -s token); curl -H \"Authorization: Bearer \$$TOKEN\" $(GATEWAY_URL)/alunos"
	@echo "  or: curl -X POST $(GATEWAY_URL)/auth/token -d username=<login> -d password=<password>"
	@echo "The retention workspace (docs/painel.md): $(GATEWAY_URL)/painel"

token: venv
	@$(PY) -m frequenta_sim token --api $(GATEWAY_URL)

seed: venv
	$(PY) -m frequenta_sim seed --api $(GATEWAY_URL) $(SEED_ARGS)

down:
	@if [ -x $(PY) ]; then $(PY) -m frequenta_ops.launcher down; else echo "nothing to stop"; fi

status: venv
	$(PY) -m frequenta_ops.launcher status

test: proto lint web chromium
	$(PY) -m frequenta_ops.preflight
	$(PY) -m pytest

# Bulk ingestion end to end (POST to events published) for 100,000 and 1,000,000 rows, next
# to the raw COPY rate of as many rows, in one table (docs/bulk-imports.md, "Throughput").
# Then the relay: 100,000 waiting check-in events published, in events/s, and how soon a lone
# one goes out (docs/events.md, "Throughput"). Then churn's projection consuming 5,500 waiting
# events one transaction each and in delivery batches (docs/http-load.md, "The check-in's event
# downstream"). Then churn: 100,000 members scored in one batch,
# the projection read behind the at-risk list, a retraining of the demo gym end to end,
# GetChurnRisk and the list over gRPC and REST (p50/p90/p99), in one table (docs/model.md,
# "Performance").
# Last, HTTP load with wrk, 64 connections: POST check-in, GET frequencia and risco-churn cached
# and uncached, next to the machine's ceilings (a constant, one gRPC call, one Redis GET), in one
# table with the goals (docs/http-load.md). HTTP_LOAD_ARGS passes options (--uncached-env ...).
HTTP_LOAD_ARGS ?=
bench: proto wrk
	$(PY) -m frequenta_ops.preflight
	$(PY) bench/bulk_ingest.py --scenarios 100000x1,100000x10
	$(PY) bench/relay.py --events 100000
	$(PY) bench/projection.py --events 5000
	$(PY) bench/churn_serving.py --score-members 100000 --calls 1000
	$(PY) bench/http_load.py $(HTTP_LOAD_ARGS)

# $(call apt_install,PACKAGE,COMMAND): the distribution's PACKAGE when COMMAND is missing.
define apt_install
	@command -v $(2) >/dev/null 2>&1 || { \
		echo "installing $(1) (apt-get install -y $(1))"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get install -y $(1) || { $$SUDO apt-get update && $$SUDO apt-get install -y $(1); }; }
endef

# wrk, the HTTP load tool of bench/http_load.py, from the distribution's packages when missing.
wrk:
	$(call apt_install,wrk,wrk)

# The retention workspace's one front-end dependency, Chart.js, pinned in package-lock.json:
# installed by npm (from the distribution when missing) and copied where the gateway serves it.
WEB        := gateway/frequenta_gateway/painel
WEB_VENDOR := $(WEB)/static/vendor/chart.umd.js
web: $(WEB_VENDOR)

$(WEB_VENDOR): $(WEB)/package.json $(WEB)/package-lock.json
	$(call apt_install,npm,npm)
	npm ci --prefix $(WEB) --ignore-scripts --no-audit --no-fund
	mkdir -p $(dir $@) && cp $(WEB)/node_modules/chart.js/dist/chart.umd.js $@

# Headless Chromium of the browser tests (tests/e2e/test_e2e_painel.py), from the distribution:
# Playwright drives /usr/bin/chromium and never downloads a browser.
chromium:
	$(call apt_install,chromium,chromium)

# The pages of docs/painel.md, shot by the browser test on a simulated gym (committed docs).
screenshots: proto web chromium
	FREQUENTA_SCREENSHOTS_DIR=$(CURDIR)/docs/images $(PY) -m pytest tests/e2e/test_e2e_painel.py -q

test-unit: proto
	$(PY) -m pytest tests/unit

# The churn notebook (notebooks/churn_model.ipynb) on the demo gym (3,000 members, 15 months),
# executed on the venv's own kernel into $(NOTEBOOK_OUT)/ with its figures as PNG files; the
# committed notebook stays without outputs. `make test` runs it small (tests/notebooks/).
.PHONY: notebook
NOTEBOOK_OUT  ?= build/notebooks
NOTEBOOK_ARGS ?=
notebook: venv
	$(PY) notebooks/run_notebook.py notebooks/churn_model.ipynb \
		--output $(NOTEBOOK_OUT)/churn_model.ipynb \
		-p figures_dir="$(abspath $(NOTEBOOK_OUT))/figures" $(NOTEBOOK_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

lock: venv
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --allow-unsafe -o requirements.lock pyproject.toml

clean: down
	rm -rf $(GEN) $(VENV) .run
