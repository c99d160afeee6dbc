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
CHROMIUM ?= /usr/bin/chromium
export CLIPVIZ_CHROMIUM := $(CHROMIUM)

.PHONY: demo test test-fast lab models bench clean chromium web-assets html slides exercises translate

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | (grep -v "$(PIP_NOISE)" || true)
	# CLIP_benchmark: its metric code is the tests' reference and its template lists a bank;
	# without its dependencies (transformers, pycocoevalcap), which those parts never import
	$(PY) -m pip install -q --disable-pip-version-check --no-deps 'clip_benchmark>=1.6' 2>&1 | (grep -v "$(PIP_NOISE)" || true)
	touch $@

demo: $(INSTALLED)
	$(PY) -m clipviz demo --out reports/demo

models: $(INSTALLED)  ## train (or find cached) the embedded default models the notebooks use
	$(PY) -m clipviz pretrained all
	$(PY) -m clipviz pretrained sweep

test: $(INSTALLED) chromium
	# the embedded models first: a notebook test then never trains one inside a cell
	$(PY) -m clipviz pretrained notebooks
	$(PY) -m pytest tests/ --ignore=tests/browser -q --durations=5
	# nbmake runs copies of the notebooks (English, and Korean in ko/) and keeps their outputs and
	# widget state in build/executed/, where the slides and pages of the browser tests are made from
	rm -rf build/executed && mkdir -p build/executed/ko && cp notebooks/*.ipynb build/executed/ \
		&& cp notebooks/ko/*.ipynb build/executed/ko/
	$(PY) -m pytest --nbmake build/executed/ --overwrite -q --durations=4 \
		--nbmake-timeout=$$($(PY) -c "from clipviz.teaching.classroom import CELL_TIMEOUT; print(CELL_TIMEOUT)")
	$(PY) -m clipviz classroom assets
	$(PY) -m pytest tests/browser -q --durations=4

test-fast: $(INSTALLED)  ## the unit tests only: no model training, notebooks or browser
	$(PY) -m pytest tests/ --ignore=tests/browser -q -x

# The browser tests drive Debian's Chromium; installed here when missing and apt is usable.
chromium:
	@test -x $(CHROMIUM) || { \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		else echo "Chromium is missing at $(CHROMIUM) and cannot be installed here (needs apt and root):"; \
			echo "install it, or set CHROMIUM=/path/to/chromium"; exit 1; fi; }
	@test -x $(CHROMIUM) || { echo "Chromium install failed: $(CHROMIUM) is still missing"; exit 1; }
	@# JupyterLab draws the Korean notebooks' text in the system's fonts: a Hangul one where apt can add it
	@test -n "$$(fc-list :lang=ko 2>/dev/null)" || { \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-nanum >/dev/null \
				|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-nanum >/dev/null; }; \
		else echo "note: no Hangul font for Chromium (install fonts-nanum): the Korean notebooks' screenshots show boxes"; fi; }

lab: $(INSTALLED)  ## JupyterLab on the notebooks: the way clipviz is used day to day
	$(VENV)/bin/jupyter lab notebooks/

web-assets: $(INSTALLED)  ## reveal.js, require.js and the widget renderer, from the npm registry
	$(PY) -m clipviz classroom assets

html: web-assets  ## every notebook, English and Korean, executed and exported to reports/html/ (+ index.html)
	$(PY) -m clipviz pretrained notebooks
	$(PY) -m clipviz classroom html

slides: web-assets  ## reveal.js slides of every notebook (both languages) in reports/slides/, viewable offline
	$(PY) -m clipviz pretrained notebooks
	$(PY) -m clipviz classroom slides

exercises: $(INSTALLED)  ## student versions without solutions in exercises/ (Korean: exercises/ko/)
	$(PY) -m clipviz classroom exercises

translate: $(INSTALLED)  ## notebooks/ko/ from the English notebooks and notebooks/ko/text/; lists what to translate
	$(PY) -m clipviz classroom translate

bench: $(INSTALLED)  ## speed and accuracy figures → benchmarks/results/*.json
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]' 2>&1 | (grep -v "$(PIP_NOISE)" || true)
	$(PY) benchmarks/bench_world.py
	$(PY) benchmarks/bench_train.py
	$(PY) benchmarks/profile_step.py
	$(PY) benchmarks/bench_zeroshot.py
	$(PY) benchmarks/bench_time_to_accuracy.py
	$(PY) benchmarks/bench_heldout.py
	$(PY) benchmarks/bench_init_loss.py --train 3

clean:
	rm -rf reports/ exercises/ build/ .pytest_cache
