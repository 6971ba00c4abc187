# journeylib: `make help` lists the targets. Needs only python3 (3.11+) and access to PyPI.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.journeylib-installed
# A report needs journeylib alone; the tests add the dev and Spark extras (STAMP).
REPORT_STAMP := $(VENV)/.journeylib-report
DATA := data/shop/events.parquet
WEEK ?=
BACKEND ?=
JOBS ?=
PIP_FLAGS := --disable-pip-version-check $(if $(CI),--progress-bar off,)
# Quiet kernels and Jupyter tools: no debugger or platform-dirs warnings on start-up.
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: help install data report test lint format lab bench bench-report bench-scale bench-tool bench-coverage clean

help: ## List the targets, one line each
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev,spark]'
	@touch $@ $(REPORT_STAMP)

$(REPORT_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e .
	@touch $@

install: $(STAMP) ## Create .venv if missing; install journeylib with its dev and Spark extras
	@$(BIN)/python journeylib/nbclean.py --install

$(DATA): | $(REPORT_STAMP)
	$(BIN)/python -m journeylib.synth

data: $(DATA) ## Generate the default synthetic shop in data/shop/ if missing

report: $(REPORT_STAMP) $(DATA) ## Render every notebook to reports/<week>/ (WEEK=2024-W23, BACKEND=spark, JOBS=1)
	$(BIN)/journeylib report $(if $(WEEK),--week $(WEEK),) $(if $(BACKEND),--backend $(BACKEND),) \
		$(if $(JOBS),--jobs $(JOBS),)

test: $(STAMP) ## ruff check, ruff format --check, then the whole pytest suite (notebooks included)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff check and ruff format --check, without the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Rewrite the code with ruff format and ruff check --fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(REPORT_STAMP) $(DATA) ## Open JupyterLab on notebooks/ (git commits them without outputs)
	@$(BIN)/python journeylib/nbclean.py --install
	$(BIN)/jupyter lab --notebook-dir=notebooks \
		--ContentsManager.pre_save_hook=journeylib.nbclean.pre_save

bench: $(STAMP) $(DATA) ## Time engine, funnel, transitions, CLV, then the report suite (default data, 10M events)
	$(BIN)/python -m benchmarks.engine
	$(BIN)/python -m benchmarks.funnel
	$(BIN)/python -m benchmarks.journey
	$(BIN)/python -m benchmarks.clv
	$(BIN)/python -m benchmarks.report

bench-report: $(STAMP) $(DATA) ## Time only the report suite (python -m benchmarks.report)
	$(BIN)/python -m benchmarks.report

# The path-analytics tool the journey map is compared with, each version in a virtual environment of its
# own (3.3.0 needs pandas 1.5, numpy 1.26 and pyarrow 15); not a dependency of journeylib.
TOOL_VENVS := .venv-rete3 .venv-rete5
.venv-rete3/bin/python:
	$(PYTHON) -m venv .venv-rete3
	.venv-rete3/bin/pip install $(PIP_FLAGS) -q 'retentioneering==3.3.0' 'numpy==1.26.4' 'pyarrow==15.0.2'
.venv-rete5/bin/python:
	$(PYTHON) -m venv .venv-rete5
	.venv-rete5/bin/pip install $(PIP_FLAGS) -q 'retentioneering==5.2.4'

bench-tool: $(STAMP) $(addsuffix /bin/python,$(TOOL_VENVS)) ## Transitions beside retentioneering 3.3.0 and 5.2.4 on the same logs
	$(BIN)/python -m benchmarks.journey $(foreach v,$(TOOL_VENVS),--tool-python $(v)/bin/python)

bench-scale: $(STAMP) ## 100M events out of core on DuckDB vs hand SQL (EVENTS=1e7 for a smaller run)
	$(BIN)/python -m benchmarks.scale $(if $(EVENTS),--events $(EVENTS),)

bench-coverage: $(STAMP) ## Coverage of the CLV intervals on 200 synthetic shops (SHOPS=20 for a quick run, JOBS=2)
	nice $(BIN)/python benchmarks/clv_coverage.py $(if $(SHOPS),--shops $(SHOPS),) \
		$(if $(JOBS),--jobs $(JOBS),)

clean: ## Remove caches and build artefacts (keeps .venv, data/ and reports/)
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
		-type d -prune -exec rm -rf {} +
