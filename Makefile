# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
# Both create .venv and install everything into it once; later runs reuse it.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# pip prints one warning per missing local index folder on some machines: noise, filtered out
PIP_NOISE := is ignored: it is neither a file nor a directory

.PHONY: demo test test-fast lab models bench clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | (grep -v "$(PIP_NOISE)" || true)
	touch $@

demo: $(INSTALLED)
	$(PY) -m clipviz demo --out reports/demo

models: $(INSTALLED)  ## train (or find cached) the embedded default models the notebooks use
	$(PY) -m clipviz pretrained all

test: $(INSTALLED)
	$(PY) -m pytest tests/ -q --durations=5
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
		$(PY) -m clipviz pretrained notebooks && $(PY) -m pytest --nbmake notebooks/ -q; \
	else echo "no notebooks yet: notebook tests not run"; fi

test-fast: $(INSTALLED)
	$(PY) -m pytest tests/ -q -x

lab: $(INSTALLED)  ## JupyterLab on the notebooks: the way clipviz is used day to day
	$(VENV)/bin/jupyter lab notebooks/

bench: $(INSTALLED)  ## speed figures → benchmarks/results/*.json
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]' 2>&1 | (grep -v "$(PIP_NOISE)" || true)
	$(PY) benchmarks/bench_world.py
	$(PY) benchmarks/bench_train.py
	$(PY) benchmarks/bench_zeroshot.py

clean:
	rm -rf reports/ .pytest_cache
