# route-risk task runner: what developers run is what CI runs (.ci/run calls `make test`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# Test files that hold property tests (make fuzz).
FUZZ_FILES ?= $(shell grep -l '@given' tests/test_*.py)

# Two workers (the CI machine has 2 cores). worksteal: each worker starts on one half of the
# collection and an idle one takes half of what the other has left, so neither waits at the end
# (measured on 2 cores: 8 min 6 s against 9 min 14 s one file a worker). The long files come
# first in the collection (tests/conftest.py), so the first worker runs them before any stealing
# and their module and session fixtures (the demo-size run of test_cli) are built once.
XDIST := -n 2 --dist worksteal

.PHONY: help venv venv-runtime demo test test-fast test-sweep fuzz test-deps bench bench-quick lint format lock clean notebooks

help:
	@echo "make demo    - create the environment, generate the demo data, run the pipeline, print the map path"
	@echo "make test    - the whole test suite (installs Debian chromium for the browser tests)"
	@echo "make test-fast - unit and small end-to-end tests: no browser, notebooks or demo-size runs"
	@echo "make test-sweep - every option and input changed between nights against a cold run (make test: a third)"
	@echo "make fuzz    - property tests with random seeds and 10x the examples (pin finds with @example)"
	@echo "make bench   - benchmarks against peer tools (long); bench-quick for a smoke run"
	@echo "make lint    - ruff check + format check + mypy (part of make test)"
	@echo "make lock    - re-resolve requirements.lock and requirements-runtime.lock from pyproject.toml"
	@echo "make venv-runtime - .venv with the runtime dependencies only (a server's nightly job)"

# The environment is created from the lock file with uv (pinned): one resolver everywhere
# and a fresh environment in seconds, which keeps `make demo` inside its time budget.
# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI), every Python
# process - each CLI test, notebook kernel and xdist worker - would otherwise compile pandas,
# geopandas, matplotlib ... from source again (3.9 s instead of 1.5 s to import the pipeline).
# The packages' own test folders (a third of their modules, never imported) are left out:
# 25 s instead of 34 s on 2 cores.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip sync -q --python $(PY) requirements.lock
	$(PY) -m compileall -q -j 0 -x '/tests?/' "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
	$(UV) pip install -q --python $(PY) --no-deps -e .
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/route-risk demo --out out/demo

# Browser tests drive Debian's Chromium (no browser download: test machines are offline).
test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium + chromium-driver for the browser tests"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium chromium-driver; }

# The package's own bytecode is compiled before each test run (its sources change between runs).
# mypy (one core, about 30 s without its cache, as in CI) checks the types beside the tests
# rather than before them: the two test workers leave a core idle for part of the run.
test: $(STAMP) test-deps
	$(VENV)/bin/ruff check pipeline tests bench tools
	$(VENV)/bin/ruff format --check pipeline tests bench tools
	@$(PY) -m compileall -q pipeline >/dev/null
	@echo "$(VENV)/bin/mypy pipeline (beside the tests; its report follows them)"
	@$(VENV)/bin/mypy pipeline > $(VENV)/mypy.out 2>&1 & types_pid=$$!; \
	  $(PY) -m pytest $(XDIST) --hypothesis-profile=ci $(PYTEST_ARGS); tests=$$?; \
	  wait $$types_pid; types=$$?; cat $(VENV)/mypy.out; \
	  if [ $$types -ne 0 ]; then echo "mypy failed"; fi; \
	  if [ $$tests -ne 0 ]; then exit $$tests; fi; exit $$types

test-fast: $(STAMP)
	@$(PY) -m compileall -q pipeline >/dev/null
	$(PY) -m pytest $(XDIST) --hypothesis-profile=ci -m "not browser and not slow and not notebook" $(PYTEST_ARGS)

# Every option and input changed between nights against a cold run (make test sweeps a third).
test-sweep: $(STAMP)
	@$(PY) -m compileall -q pipeline >/dev/null
	ROUTE_RISK_SWEEP=all $(PY) -m pytest $(XDIST) tests/test_cache_keys.py tests/test_cache_keys_found.py $(PYTEST_ARGS)

# Property tests with random seeds and ten times their CI examples: pin what it finds with @example.
fuzz: $(STAMP)
	@$(PY) -m compileall -q pipeline >/dev/null
	ROUTE_RISK_FUZZ_SCALE=10 $(PY) -m pytest $(XDIST) --hypothesis-profile=explore --hypothesis-show-statistics \
	  -m "not browser and not notebook" $(FUZZ_FILES) $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) tools/make_notebooks.py

bench: $(STAMP)
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f; done

bench-quick: $(STAMP)
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f --quick; done

lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline tests bench tools
	$(VENV)/bin/ruff format --check pipeline tests bench tools
	$(VENV)/bin/mypy pipeline

format: $(STAMP)
	$(VENV)/bin/ruff format pipeline tests bench tools

# Two locks: requirements.lock (runtime + test + bench: development and CI) and
# requirements-runtime.lock (the runtime alone, at the same versions: a production host's
# nightly job needs neither the browser driver nor the peer tools of the benchmarks).
lock: $(STAMP)
	$(UV) pip compile -q pyproject.toml --extra test --extra bench --python-version 3.11 -o requirements.lock
	$(UV) pip compile -q pyproject.toml --python-version 3.11 -c requirements.lock -o requirements-runtime.lock

# A runtime-only environment (a server running the nightly job): `make venv-runtime`.
# `make venv`/`make test` afterwards sync it to the full lock again.
venv-runtime: pyproject.toml requirements-runtime.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip sync -q --python $(PY) requirements-runtime.lock
	$(PY) -m compileall -q -j 0 -x '/tests?/' "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
	$(UV) pip install -q --python $(PY) --no-deps -e .
	rm -f $(STAMP)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis test-artifacts
