# The course's single entry point: every command in the README is a target here.
# `make help` lists them. Set-up happens once; afterwards everything works offline.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The course's environment: every package, exact and with its hashes (`make lock` remakes it).
LOCK   := requirements.lock
# `make lock` runs uv, a well-kept resolver, from a small environment of its own (setting up needs only pip).
UV_VERSION := 0.13.9
LOCK_TOOL  := $(HOME)/.cache/mnist-course/lock-tool
# pip installs the lock; `make setup INSTALLER=uv` installs the same hash-checked lock with uv (on PATH), much faster.
INSTALLER  ?= pip

export TF_CPP_MIN_LOG_LEVEL := 3
# `make test` runs pytest in this many processes (pytest-xdist): one more than our two cores, so that while
# one waits (a kernel starting, the browser) the others compute. Each holds TensorFlow and MNIST:
# `make test TEST_WORKERS=1` on a small laptop. Measurements behind these settings: bench/settings.md.
TEST_WORKERS ?= 3

.DEFAULT_GOAL := help
CONDA_ENV := mnist-course

.PHONY: help setup lock data run test test-pad test-compat colab lint lab examples student html browser axe bench bench-memory bench-grading grade class-env hub hub-stop hub-restart hub-proxy hub-experiments test-hub hub-load bench-hub test-grading nbgrader nbgrader-env test-nbgrader clean clean-all conda-setup conda-lab

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: the course needs Python 3.11 or newer; run e.g. 'make setup PYTHON=python3.11'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
ifeq ($(INSTALLER),uv)
	uv pip install --quiet --python $(BIN)/python --require-hashes -r $(LOCK)
else
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
endif
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m helpers.kernel install
	@touch $@

setup: $(STAMP) data ## Create .venv from the lock (hash-checked), install the helpers, register the kernel, fetch MNIST

lock: ## Remake requirements.lock and hub/requirements.lock from pyproject.toml (keeps versions; `make lock UPGRADE=--upgrade` takes the newest)
	@test -x $(LOCK_TOOL)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOL) && $(LOCK_TOOL)/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	@cp $(LOCK) $(LOCK).new 2>/dev/null || true  # uv keeps the versions of its output file where it can
	printf 'setuptools>=68\n' | $(LOCK_TOOL)/bin/uv pip compile pyproject.toml - --extra course --extra test \
	  --universal --fork-strategy fewest --python-version 3.11 --generate-hashes \
	  --no-emit-package mnist-course-helpers --custom-compile-command "make lock" --quiet $(UPGRADE) -o $(LOCK).new
	@# Replaced only if it changed, so that an unchanged lock does not make `make setup` rebuild .venv.
	@if cmp -s $(LOCK).new $(LOCK); then rm $(LOCK).new; echo "$(LOCK) is up to date"; else mv $(LOCK).new $(LOCK); echo "$(LOCK) updated: run make setup"; fi
	@# The class's environment: the course's lock and the hub's packages, every course version kept as it is.
	@cp $(HUB_LOCK) $(HUB_LOCK).new 2>/dev/null || true
	printf 'setuptools>=68\n' | $(LOCK_TOOL)/bin/uv pip compile pyproject.toml - --extra course --extra test --extra hub \
	  --constraint $(LOCK) --universal --fork-strategy fewest --python-version 3.11 --generate-hashes \
	  --no-emit-package mnist-course-helpers --custom-compile-command "make lock" --quiet $(UPGRADE) -o $(HUB_LOCK).new
	@if cmp -s $(HUB_LOCK).new $(HUB_LOCK); then rm $(HUB_LOCK).new; echo "$(HUB_LOCK) is up to date"; else mv $(HUB_LOCK).new $(HUB_LOCK); echo "$(HUB_LOCK) updated: run make class-env"; fi

data: $(STAMP) ## Fetch MNIST into data/ and verify it (offline once it is there)
	$(BIN)/python -m helpers

run: setup ## Execute every notebook in order, in place, and refresh the README figure
	$(BIN)/python -m scripts.run_notebooks

# `make test` installs nothing on your system: without Chromium or axe-core it skips (and says so) the site's
# browser test and accessibility audit, which `make browser axe` set up (CI runs them first).
test: setup lint ## Unit tests, every notebook under nbval, the student copies and the site, in one pytest run
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || echo "note: no chromium and chromedriver," \
	  "so the site's browser test and accessibility audit are skipped: \`make browser\` installs them (apt-get)"
	@[ -f $(AXE) ] || echo "note: no axe-core, so the site's accessibility audit is skipped: \`make axe\` installs it (npm)"
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Colab's runtime and the lowest versions the helpers' ranges claim: every notebook, alone, its helpers
# installed by its own first cell. Environments are cached in ~/.cache/mnist-course/compat.
test-compat: setup ## Run every notebook as Colab would (and with the lowest versions allowed): scripts/compat.py
	$(BIN)/python -m scripts.compat

colab: $(STAMP) ## Write each notebook's kernel, set-up cell and Open-in-Colab badge from the repository address
	$(BIN)/python -m scripts.sync_colab
test-pad: setup browser ## Notebook 08's drawing pad in JupyterLab in headless Chromium: mouse, touch, Undo, uploads (~2 min)
	MNIST_COURSE_PAD_TEST=1 $(BIN)/python -m pytest -s tests/test_pad_browser.py

lint: $(STAMP) ## Ruff on helpers, tests, scripts and notebooks; the notebooks' hygiene (scripts/check_notebooks.py)
	$(BIN)/ruff check conftest.py helpers tests scripts notebooks grading hub
	$(BIN)/ruff format --check conftest.py helpers tests scripts notebooks grading hub
	$(BIN)/python -m scripts.check_notebooks

student: $(STAMP) ## Student copies of the notebooks, solutions removed, in student/notebooks
	$(BIN)/python -m scripts.make_student_copies student

html: $(STAMP) ## The course as a static site (the stored notebooks and an index) in site/
	$(BIN)/python -m scripts.build_site site

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

# The site's accessibility audit runs axe-core (npm registry, the version package-lock.json pins) in that browser.
AXE := node_modules/axe-core/axe.min.js

# npm itself comes from Debian (package npm, with Node.js) when missing and allowed, as for `make browser`.
axe: ## Install axe-core for the site's accessibility audit, if missing (npm ci; npm from apt-get if needed)
	@if [ -f $(AXE) ]; then exit 0; fi; \
	if ! command -v npm >/dev/null && command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=no; fi; \
	  if [ "$$sudo" != no ]; then echo "Installing npm with apt-get ..."; \
	    $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq -o DPkg::Lock::Timeout=300 npm >/dev/null || true; fi; \
	fi; \
	if ! command -v npm >/dev/null; then \
	  echo "note: no npm: install Node.js and npm, or the site's accessibility audit is skipped (CI: fails)"; exit 0; fi; \
	echo "Installing axe-core with npm ci ..."; \
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

lab: setup ## Open the course in JupyterLab
	$(BIN)/jupyter lab notebooks

examples: setup ## Remake notebook 08's example pictures in notebooks/examples/ (the same on every run)
	$(BIN)/python -m scripts.make_example_digits

bench: setup ## Time the ways to train against the matmul floor, and each notebook: bench/results.md (as root, also bench-hub)
	$(BIN)/python -m scripts.bench
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) bench-hub; else echo "note: the hub's load sweep needs root: sudo make bench-hub"; fi

bench-memory: setup ## Each core notebook's kernel memory (PSS, RSS, the machine's used), 1 and 5 kernels at once: bench/memory.md
	$(BIN)/python -m hub.memory

# The class's environment (CLASS_ENV, root-owned, read-only to students): the one students' environment of the
# hub's servers and of the grader. Outside /root (0700) and outside the checkout (which holds the solutions):
# venv/ (hub/requirements.lock: the course's lock plus the hub's packages, hash-checked, made from a Python
# outside /root; the helpers installed as a package, not editable; the course kernel), data/ (the verified
# MNIST), course.git (the student copies, which nbgitpuller brings into each home) and experiments/.
CLASS_ENV    ?= /opt/mnist-course
CLASS_PYTHON ?= /usr/bin/python3
HUB_LOCK     := hub/requirements.lock
SUBMISSIONS  ?= submissions
OUT          ?= graded
# FROM_HUB=1: collect from the hub's homes (The Littlest JupyterHub: /home/jupyter-NAME) into SUBMISSIONS first.
HUB_HOMES      ?= /home
GRADE_OPTIONS  := $(if $(FROM_HUB),--from-hub $(HUB_HOMES)) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(MEMORY),--memory $(MEMORY)) $(if $(WORKERS),--workers $(WORKERS))

$(CLASS_ENV)/.installed: pyproject.toml $(HUB_LOCK) $(wildcard helpers/*.py) | data
	@[ "$$(id -u)" = 0 ] || { echo "error: the class environment is root's, read-only to students: run sudo make class-env"; exit 1; }
	@$(CLASS_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: the class environment needs Python 3.11 or newer: make class-env CLASS_PYTHON=..."; exit 1; }
	$(CLASS_PYTHON) -m venv $(CLASS_ENV)/venv
	$(CLASS_ENV)/venv/bin/python -m pip install --quiet --require-hashes -r $(HUB_LOCK)
	$(CLASS_ENV)/venv/bin/python -m pip install --quiet --no-deps --no-build-isolation --force-reinstall .
	rm -rf build
	cd / && $(CLASS_ENV)/venv/bin/python -m helpers.kernel install >/dev/null
	install -d -m 0755 $(CLASS_ENV)/data $(CLASS_ENV)/experiments && install -m 0644 data/mnist.npz $(CLASS_ENV)/data/mnist.npz
	chmod -R go+rX,go-w $(CLASS_ENV)
	@touch $@

class-env: $(CLASS_ENV)/.installed ## The class's environment (root): venv, MNIST and the course's student copies in CLASS_ENV (/opt/mnist-course)
	$(BIN)/python -m hub.course $(CLASS_ENV)

hub-experiments: $(CLASS_ENV)/.installed ## Notebook 06's results, trained once for the class into CLASS_ENV/experiments (root)
	$(BIN)/python -m hub.experiments $(CLASS_ENV)

# The class's hub (hub/, see the README's "Teach a class"): python -m hub runs configurable-http-proxy and
# JupyterHub in the foreground, as root; its state (database, secrets, pid files) is in HUB_STATE, root's only.
HUB_STATE         ?= /var/lib/mnist-course-hub
HUB_PORT          ?= 8000
HUB_API_PORT      ?= 8001
HUB_INTERNAL_PORT ?= 8081
HUB_ADMIN         ?= instructor
HUB_OPTIONS := --class-env $(CLASS_ENV) --state $(HUB_STATE) --port $(HUB_PORT) --api-port $(HUB_API_PORT) \
  --hub-port $(HUB_INTERNAL_PORT) --admin $(HUB_ADMIN)
CHP := node_modules/.bin/configurable-http-proxy

hub-proxy: ## Install configurable-http-proxy for make hub (npm ci: the version package-lock.json pins)
	@[ -x $(CHP) ] || { command -v npm >/dev/null || { echo "error: no npm: install Node.js and npm" \
	  "(apt-get install npm), then run make hub-proxy"; exit 1; }; npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; }

hub: ## Serve the course to a class (root, in the foreground; Ctrl-C or make hub-stop stops it)
	$(PYTHON) -m hub $(HUB_OPTIONS)

hub-stop: ## Stop make hub from another terminal: every student's server, then the hub and the proxy
	$(PYTHON) -m hub stop --state $(HUB_STATE)

hub-restart: ## Restart only the hub (after a change to hub/jupyterhub_config.py); students' servers run on
	$(PYTHON) -m hub restart --state $(HUB_STATE)

# The load test (hub/load.py): simulated students on a hub of its own (DummyAuthenticator, in a network namespace
# where only its loopback exists), its users removed afterwards. NOTEBOOKS: core notebooks by prefix (01 03).
hub-load: setup class-env hub-proxy ## STUDENTS (3) work through the core notebooks on a hub: make hub-load STUDENTS=N SHAPE=at-once|spread (root): hub-load/
	$(BIN)/python -m hub.load run --students $(or $(STUDENTS),3) --shape $(or $(SHAPE),at-once) --class-env $(CLASS_ENV) \
	  $(if $(NOTEBOOKS),--notebooks $(NOTEBOOKS)) $(if $(SPREAD),--spread $(SPREAD))

bench-hub: setup class-env hub-proxy ## The load test's sweep: 1, 2, 5, 10, ... students (or SIZES="1 5 10"), both shapes, until a class is not held: bench/hub.md (root)
	$(BIN)/python -m hub.load sweep --class-env $(CLASS_ENV) $(if $(SIZES),--sizes $(SIZES))

test-hub: setup class-env hub-proxy ## The hub's set-up, isolation and faults, with real users (root; CI runs it)
	MNIST_COURSE_HUB_TEST=1 CLASS_ENV=$(CLASS_ENV) $(BIN)/python -m pytest -p no:xdist tests/test_hub*.py

grade: $(STAMP) $(CLASS_ENV)/.installed ## Grade a class: make grade SUBMISSIONS=DIR OUT=DIR (root; each notebook in a sandbox)
	$(BIN)/python -m grading $(SUBMISSIONS) $(OUT) --env $(CLASS_ENV) $(GRADE_OPTIONS)

bench-grading: $(STAMP) $(CLASS_ENV)/.installed ## Time make grade on STUDENTS (default 30) × the four core notebooks: bench/grading.md (root)
	CLASS_ENV=$(CLASS_ENV) $(BIN)/python -m grading.bench $(STUDENTS)

test-grading: setup class-env ## The grader on hostile submissions, in real sandboxes (root; ~5 min; CI runs it)
	MNIST_COURSE_GRADING_TEST=1 CLASS_ENV=$(CLASS_ENV) $(BIN)/python -m pytest -p no:xdist tests/test_grading_sandbox.py

# nbgrader interop: nbgrader 0.9.6 in an environment of its own (its Jupyter pins are not the course's lock).
NBGRADER_ENV ?= /opt/nbgrader-0.9.6

nbgrader: $(STAMP) ## The course as an nbgrader source course (solutions marked, one-point check cells) in nbgrader/
	$(BIN)/python -m grading.nbgrader_course nbgrader

nbgrader-env: ## nbgrader 0.9.6 in a venv of its own (default /opt/nbgrader-0.9.6; from PyPI, not the course's lock)
	@test -x $(NBGRADER_ENV)/bin/nbgrader || { $(CLASS_PYTHON) -m venv $(NBGRADER_ENV) && \
	  $(NBGRADER_ENV)/bin/python -m pip install --quiet nbgrader==0.9.6; }

test-nbgrader: setup class-env nbgrader-env ## nbgrader's generate_assignment and autograde agree with make grade (root; ~2 min)
	MNIST_COURSE_NBGRADER_TEST=1 NBGRADER_ENV=$(NBGRADER_ENV) CLASS_ENV=$(CLASS_ENV) \
	  $(BIN)/python -m pytest -p no:xdist tests/test_nbgrader.py

conda-setup: ## For conda users: the env mnist-course from environment.yml (the lock), the helpers, kernel, data
	conda env update --name $(CONDA_ENV) --file environment.yml --prune
	conda run --name $(CONDA_ENV) python -m pip install --no-deps --no-build-isolation -e .
	conda run --name $(CONDA_ENV) python -m helpers.kernel install
	conda run --name $(CONDA_ENV) python -m helpers

conda-lab: ## For conda users: open the course in JupyterLab from the conda env
	conda run --name $(CONDA_ENV) --no-capture-output jupyter lab notebooks

clean: ## Remove models, cached experiment results, student copies, the site, the nbgrader course, caches, leftovers of interrupted writes
	rm -rf models data/experiments student site nbgrader hub-load .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find . -name '.*.tmp.*' -type f -not -path './$(VENV)/*' -not -path './.git/*' -delete

clean-all: clean ## Also remove .venv, node_modules and the MNIST cache: the next command sets up from scratch
	rm -rf $(VENV) node_modules data *.egg-info
