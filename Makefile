# Two entry points: `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's store: CITYHUB_DATABASE_URL when set, else sqlite:///cityhub.db (DATABASE=... overrides).
DATABASE ?=

.PHONY: demo test lint typecheck unit bench conformance conformance-check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The shared data folder, when present, gives the demo real citizen messages to replay, a
# corpus to train the sentiment model on, labelled messages to train department routing on and
# the city's bus lines for the nearest search by bus;
# without it the demo runs on what ships in the package.
SHARED ?= ../shared/data
MESSAGES := $(wildcard $(SHARED)/citizen/messages_with_support_counts.csv)
CORPUS := $(wildcard $(SHARED)/sentiment/ChnSentiCorp_12k_train_dev.csv)
ROUTING := $(wildcard $(SHARED)/citizen/messages_labelled.csv)
BUSES := $(wildcard $(SHARED)/mobility/shenzhen_bus_lines_stations_pygeo.csv)

demo: $(STAMP)
	$(if $(BUSES),CITYHUB_BUS_NETWORK=$(BUSES)) $(BIN)/cityhub demo $(if $(DATABASE),--database $(DATABASE)) --host $(HOST) --port $(PORT) \
		$(if $(MESSAGES),--messages $(MESSAGES)) $(if $(CORPUS),--sentiment-corpus $(CORPUS)) \
		$(if $(ROUTING),--routing-corpus $(ROUTING))

lint: $(STAMP)
	$(BIN)/ruff check cityhub tests bench
	$(BIN)/ruff format --check cityhub tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# FiLiP (an interoperability test's client) cannot share the suite's environment: its
# python-keycloak needs an aiofiles that ngsildclient refuses. It gets one of its own.
FILIP_VENV = build/filip-venv
$(FILIP_VENV)/.installed:
	$(PY) -m venv $(FILIP_VENV)
	$(FILIP_VENV)/bin/python -m pip install -q "filip==0.8.1"
	touch $@

# One process. `pytest -n 2 --dist loadgroup` runs the suite in two (whole files each, the
# files on the shared MQTT broker together, see tests/conftest.py), but on two cores the
# analyses' process pools then overrun their 30 s wait now and then.
unit: $(STAMP) $(FILIP_VENV)/.installed
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

# The ETSI NGSI-LD conformance suite, every area, against a fresh local cityhub; prints a table
# per area. Needs the suite folder (../shared/conformance by default); results in build/etsi.
CONFORMANCE ?= ../shared/conformance
AREAS ?= ContextInformation CommonBehaviours jsonldContext ContextSource DistributedOperations
# The suite's context-source tests need the HttpCtrl it bundles (libraries/), which records
# requests its stubs answer; the PyPI release of the same version does not.
ETSI_VENV = build/etsi-venv
$(ETSI_VENV)/.installed:
	python3 -m venv $(ETSI_VENV)
	$(ETSI_VENV)/bin/pip install -q -r $(CONFORMANCE)/ngsi-ld-test-suite/requirements.txt
	$(ETSI_VENV)/bin/pip install -q $(CONFORMANCE)/ngsi-ld-test-suite/libraries/robotframework-httpctrl
	touch $@

conformance: $(STAMP) $(ETSI_VENV)/.installed
	for area in $(AREAS); do \
		printf "%-24s" $$area; CITYHUB=scripts/cityhub-etsi OUT=build/etsi/$$area \
			bash $(CONFORMANCE)/run-etsi.sh TP/NGSI-LD/$$area | tail -n 1; \
	done

# CI's guard: ContextInformation whole, failing below CONFORMANCE_MIN passed tests (the area
# passes 514 of 540 when this was set; the floor leaves room for the suite's timing-dependent
# tests, not for a regression of any size).
CONFORMANCE_MIN ?= 505
conformance-check: $(STAMP) $(ETSI_VENV)/.installed
	@total=$$(CITYHUB=scripts/cityhub-etsi OUT=build/etsi/ContextInformation \
		bash $(CONFORMANCE)/run-etsi.sh TP/NGSI-LD/ContextInformation | tail -n 1); \
	echo "$$total"; \
	passed=$$(echo "$$total" | sed -E 's/.*pass= *([0-9]+).*/\1/'); \
	[ "$$passed" -ge $(CONFORMANCE_MIN) ] 2>/dev/null || \
		{ echo "ContextInformation: $$passed passed, fewer than $(CONFORMANCE_MIN)"; exit 1; }

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache cityhub.db*
