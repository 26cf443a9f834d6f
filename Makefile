# The course's single entry point: every command in the README is a target here.
# `make help` lists them. Set-up happens once; afterwards everything works offline.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export TF_CPP_MIN_LOG_LEVEL := 3

.DEFAULT_GOAL := help
CONDA_ENV := mnist-course

.PHONY: help setup data run test lint lab bench clean clean-all conda-setup conda-lab

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: the course needs Python 3.11 or newer; run e.g. 'make setup PYTHON=python3.11'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m helpers.kernel install
	@touch $@

setup: $(STAMP) data ## Create .venv, install the pinned packages and helpers, register the kernel, fetch MNIST

data: $(STAMP) ## Fetch MNIST into data/ and verify it (offline once it is there)
	$(BIN)/python -m helpers

run: setup ## Execute every notebook in order, in place, and refresh the README figure
	$(BIN)/python scripts/run_notebooks.py notebooks/[0-9]*.ipynb

test: setup lint ## Unit tests and every notebook executed by nbval, in one pytest run
	$(BIN)/python -m pytest

lint: $(STAMP) ## Ruff on helpers, tests, scripts and notebooks
	$(BIN)/ruff check helpers tests scripts notebooks
	$(BIN)/ruff format --check helpers tests scripts notebooks

lab: setup ## Open the course in JupyterLab
	$(BIN)/jupyter lab notebooks

bench: setup ## Time training against the matmul floor, and `make test` and each notebook: bench/results.md
	$(BIN)/python scripts/bench.py

conda-setup: ## For conda users: the env mnist-course from environment.yml, its kernel, the data
	conda env update --name $(CONDA_ENV) --file environment.yml --prune
	conda run --name $(CONDA_ENV) python -m helpers.kernel install
	conda run --name $(CONDA_ENV) python -m helpers

conda-lab: ## For conda users: open the course in JupyterLab from the conda env
	conda run --name $(CONDA_ENV) --no-capture-output jupyter lab notebooks

clean: ## Remove trained models and caches (keeps .venv and data)
	rm -rf models .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

clean-all: clean ## Also remove .venv and the MNIST cache: the next command sets up from scratch
	rm -rf $(VENV) data *.egg-info
