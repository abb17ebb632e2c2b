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
export TOKENIZERS_PARALLELISM=false MPLBACKEND=Agg

.PHONY: help setup reproduce test lab notebooks clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(VENV)/.installed  ## create .venv: minilab (editable) + test deps

# re-installs when pyproject.toml or constraints.txt change; torch first, so
# the pinned CPU wheel is what every later package resolves against
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

reproduce: setup  ## regenerate every figure and table from results/runs
	$(PY) -m minilab reproduce

test: setup  ## run the test suite
	$(PY) -m pytest -q

lab: setup  ## open the notebooks in JupyterLab
	$(VENV)/bin/jupyter lab notebooks/

notebooks: setup  ## rewrite notebooks/*.ipynb from the .py sources
	$(PY) -m minilab.notebooks sync

clean:  ## remove build/ (executed notebooks, converted inputs)
	rm -rf build/
