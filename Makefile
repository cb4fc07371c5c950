# Two commands for a fresh machine: `make run` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check
STAMP  := $(VENV)/.rnnkit-installed
BENCH_STAMP := $(VENV)/.rnnkit-bench-installed

.PHONY: run test test-slow bench lint setup clean data

setup: $(STAMP)

# torch first (the CPU build on local disk), then everything else with torch pinned.
$(STAMP): pyproject.toml requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install -c constraints.txt -r requirements.txt -r requirements-dev.txt
	$(PIP) install -c constraints.txt --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/rnnkit tour

test: $(STAMP)
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m "slow or bench"

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PIP) install -c constraints.txt -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run_all.py

# Debian packages with real data (LibreOffice catalogs, Fashion-MNIST), unpacked into ~/.cache/rnnkit
data:
	scripts/fetch_debian_data.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
