# LWMECPS Gym — the two commands: `make test` (set up + whole suite) and `make up` (issue 3).
# Everything installs into .venv on first use; nothing else needs to be installed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
DEPS   := $(VENV)/.deps-stamp
LINKS  := $(VENV)/.links-stamp
SOURCES := $(shell find platform envs serve configs -name '*.py' -o -name '*.yaml' -o -path '*/static/*' -type f 2>/dev/null)
PYTEST_ARGS ?=
# Two pytest workers, a whole file each (its module fixtures, e.g. a running service, set up once):
# the suite waits on services and Ray much of the time, so a second file runs in those waits.
PYTEST_WORKERS ?= -n 2 --dist loadfile

export OMP_NUM_THREADS ?= 1

.PHONY: install test up bench fuzz lock clean

# Dependencies: torch first (the CPU build on disk; an unpinned torch pulls a multi-GB CUDA build),
# then the project with ray[rllib,serve,tune,default]==2.60.0 and the test tools.
# Every version comes from constraints.txt (what the tests last passed with; `make lock` rewrites it).
$(DEPS): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q torch==2.13.0 -c constraints.txt
	$(PIP) install -q -e '.[test]' -c constraints.txt --config-settings editable_mode=strict
	touch $@

# The strict editable install is a link tree: a new module needs the install re-run.
# Numba's on-disk cache is dropped too: it keys a kernel by its own file, not by the kernels it
# inlines from other files (envs/simulator.py), so a changed layout would otherwise run stale.
$(LINKS): $(DEPS) setup.py $(SOURCES)
	$(PIP) install -q --no-deps -e . --config-settings editable_mode=strict
	find build platform envs serve -name '*.nb[ic]' -delete 2>/dev/null || true
	touch $@

install: $(LINKS)

test: install
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The platform on this machine: MongoDB (embedded), Ray + dashboard, the API on :8000. Ctrl-C stops it.
up: install
	$(VENV)/bin/lwmecps up

bench: install
	$(VENV)/bin/lwmecps bench report

fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(VENV)/bin/python -m pytest tests/serve/test_fuzz.py

# Pin what .venv has now (after a change of pyproject.toml and a green `make test`).
lock: install
	{ sed -n '1,2p' constraints.txt; $(PIP) freeze --exclude-editable | grep -iv '^lwmecps' | sed 's/+cpu$$//'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf build *.egg-info .pytest_cache
