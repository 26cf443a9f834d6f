# The course's single entry point: every command in the README is a target here.
# `make help` lists them. Set-up happens once; afterwards everything works offline.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export TF_CPP_MIN_LOG_LEVEL := 3

.DEFAULT_GOAL := help
CONDA_ENV := mnist-course

.PHONY: help setup data run test test-pad lint lab examples student html browser bench clean clean-all conda-setup conda-lab

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

test: setup lint browser ## Unit tests, every notebook under nbval, the student copies and the site, in one pytest run
	$(BIN)/python -m pytest

test-pad: setup browser ## Notebook 07's drawing pad in JupyterLab in headless Chromium: mouse, touch, Undo, uploads (~2 min)
	MNIST_COURSE_PAD_TEST=1 $(BIN)/python -m pytest -s tests/test_pad_browser.py

lint: $(STAMP) ## Ruff on helpers, tests, scripts and notebooks; the notebooks' hygiene (scripts/check_notebooks.py)
	$(BIN)/ruff check helpers tests scripts notebooks
	$(BIN)/ruff format --check helpers tests scripts notebooks
	$(BIN)/python scripts/check_notebooks.py notebooks/[0-9]*.ipynb

student: $(STAMP) ## Student copies of the notebooks, solutions removed, in student/notebooks
	$(BIN)/python scripts/make_student_copies.py student

html: $(STAMP) ## The course as a static site (the stored notebooks and an index) in site/
	$(BIN)/python scripts/build_site.py site

# The site's browser test needs Debian's chromium and chromium-driver. Installed with apt-get when
# missing and allowed (root or passwordless sudo, as in CI); otherwise the test is skipped (CI: fails).
browser: ## Install headless Chromium and chromedriver for the site test, if missing (apt-get)
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "note: no apt-get: install chromium and chromedriver yourself, or the browser test is skipped"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
	  echo "note: chromium/chromedriver missing and no root: the browser test is skipped"; exit 0; fi; \
	echo "Installing chromium and chromium-driver with apt-get ..."; \
	$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium chromium-driver >/dev/null \
	  || echo "warning: apt-get could not install chromium and chromium-driver; the browser test is skipped"

lab: setup ## Open the course in JupyterLab
	$(BIN)/jupyter lab notebooks

examples: setup ## Remake notebook 07's example pictures in notebooks/examples/ (the same on every run)
	$(BIN)/python scripts/make_example_digits.py

bench: setup ## Time training against the matmul floor, and `make test` and each notebook: bench/results.md
	$(BIN)/python scripts/bench.py

conda-setup: ## For conda users: the env mnist-course from environment.yml, its kernel, the data
	conda env update --name $(CONDA_ENV) --file environment.yml --prune
	conda run --name $(CONDA_ENV) python -m helpers.kernel install
	conda run --name $(CONDA_ENV) python -m helpers

conda-lab: ## For conda users: open the course in JupyterLab from the conda env
	conda run --name $(CONDA_ENV) --no-capture-output jupyter lab notebooks

clean: ## Remove models, cached experiment results, student copies, the site, caches, leftovers of interrupted writes
	rm -rf models data/experiments student site .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find . -name '.*.tmp.*' -type f -not -path './$(VENV)/*' -not -path './.git/*' -delete

clean-all: clean ## Also remove .venv and the MNIST cache: the next command sets up from scratch
	rm -rf $(VENV) data *.egg-info
