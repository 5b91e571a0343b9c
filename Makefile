# The entry point. `make article` builds everything on the embedded default (profile `small`, Brown
# corpus, offline); `make test` runs the test suite. Each stage writes files the next one reads, and the
# rules below name those files, so Make redoes only what an edit touched.
#
#   make article PROFILE=paper              the original's sizes on text8 (a GPU; downloads text8 once)
#   make article PROFILE=paper CORPUS=brown the original's sizes on the embedded corpus
#   TEXT8=/path/to/text8.zip make article PROFILE=paper   use a local copy of text8
#   make article MODELS=gru,lstm,mycell     the models to train: each key names a file in build/units/
#   make article PROFILE=tiny STEPS=50 LR=0.003   a quick study in its own run directory (runs/tiny-steps50-lr0.003)
#   make article SEEDS=3                    every model trained with seeds 1..3, in runs/small-seeds3

PROFILE ?= small
CORPUS ?=
MODEL ?=
# The run's models (unit files, default: the profile's own) and a quick study's training settings
# (default: the profile's own; UNITS is the width of every model, SEED the seed of weights and batches).
MODELS ?=
STEPS ?=
UNITS ?=
LR ?=
SEED ?=
# How many times each model trains (1 to 10; default: the profile's own), with training seeds SEED,
# SEED + 1, ...: every measurement is made on each, and the page runs the first seed's weights.
SEEDS ?=
# STRICT=1: a claim of the article that the run does not support stops the render (build/render/claims.py).
STRICT ?=
export PROFILE CORPUS MODELS STEPS UNITS LR SEED SEEDS

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Make's plan, from the variables as Make sees them (command line or environment; Make 4.3 does not pass
# command-line variables to $(shell) by itself, so each is handed over): the run directory, then the model
# keys. build/make_plan.py needs only the standard library, so this works before .venv exists; an unknown
# profile, corpus, model or setting stops Make here, before any rule runs.
RUN_SETTINGS := --profile '$(PROFILE)' --corpus '$(CORPUS)' --models '$(MODELS)' --steps '$(STEPS)' \
	--units '$(UNITS)' --lr '$(LR)' --seed '$(SEED)' --seeds '$(SEEDS)'
PLAN := $(shell MEMORIZATION_RUNS='$(MEMORIZATION_RUNS)' \
	$(PYTHON) -m build.make_plan plan $(RUN_SETTINGS) --model '$(MODEL)')
ifneq ($(.SHELLSTATUS),0)
$(error $(or $(PLAN),cannot plan: $(PYTHON) -m build.make_plan failed))
endif
RUN := $(firstword $(PLAN))
KEYS := $(wordlist 2,$(words $(PLAN)),$(PLAN))
ifeq ($(strip $(RUN)),)
$(error no run directory for PROFILE=$(PROFILE))
endif
# Every stage gets the run's settings as arguments, whichever way Make was given them.
STAGE := $(shell $(PYTHON) -m build.make_plan stage $(RUN_SETTINGS))
# Training the paper profile on a CPU takes days: YES=1 says go ahead anyway.
TRAIN_FLAGS := $(if $(YES),--yes)
# How many models train at once: all of the run's when the profile gives each training one CPU thread
# (small: side by side they make more steps per second than one at a time on every core), else one.
TRAIN_JOBS := $(shell $(PYTHON) -m build.make_plan train-jobs $(RUN_SETTINGS))
# Every training seed's copy of the models, as folders under the run: <model> for the first seed (a
# one-seed run's layout), seed<k>/<model> for the others.
SEED_DIRS := $(shell $(PYTHON) -m build.make_plan seed-dirs $(RUN_SETTINGS))
SEEDED := $(KEYS) $(foreach d,$(SEED_DIRS),$(addprefix $(d)/,$(KEYS)))
# What is measured on every seed's model and gathered into results.json: a further measurement per model
# is its file here and its pattern rule below.
MEASUREMENTS := eval.json context.json truncated.json during.json
# A pattern rule's stem as a stage's options: gru -> --model gru; seed2/gru -> --model gru --training-seed 2.
MODEL_ARGS = --model $(notdir $(1))$(if $(findstring /,$(1)), --training-seed $(patsubst seed%/,%,$(dir $(1))))

INSTALLED := $(VENV)/.installed node_modules/.installed
# The test tools (the `dev` extra), which `make article` does not install.
DEV_INSTALLED := $(VENV)/.dev-installed
# What every model's training reads besides its own unit file (and its kernels, if any).
UNIT_SOURCES := build/model.py build/init.py build/alphabet.py build/units/__init__.py

.PHONY: help article install test lint bench bench-browser clean clean-runs distclean retrain serve deploy \
	constraints preview
.DELETE_ON_ERROR:
# Pattern-rule outputs are "intermediate" to Make, which would delete them after the build: keep them.
.PRECIOUS: $(RUN)/%/model.pt $(RUN)/%/eval.json $(RUN)/%/context.json $(RUN)/%/truncated.json $(RUN)/%/during.json \
	$(RUN)/%/export.json

EXPORTS := $(foreach m,$(KEYS),$(RUN)/$(m)/export.json)
SITE := $(or $(MEMORIZATION_SITE),site)

# One build at a time in a site and in a run folder: a goal that may write either locks both
# (<site>/.lock, <run>/.lock) for as long as this Make runs, and a second build is refused at once with a
# line naming the first (build/build_lock.py). Makes started by this one (retrain, preview) share its
# locks through MEMORIZATION_BUILD_OWNER. A plan (make -n, make -q) changes nothing and locks nothing.
UNLOCKED_GOALS := help lint test install constraints bench bench-browser
PLANNING := $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))
ifneq ($(if $(MAKECMDGOALS),$(filter-out $(UNLOCKED_GOALS) %.installed,$(MAKECMDGOALS)),article),)
ifeq ($(PLANNING),)
LOCKED_BY := $(shell $(PYTHON) -m build.build_lock take --owner $$PPID '$(SITE)/.lock' '$(RUN)/.lock')
ifneq ($(.SHELLSTATUS),0)
$(error $(or $(LOCKED_BY),cannot lock $(SITE) and $(RUN): $(PYTHON) -m build.build_lock failed))
endif
export MEMORIZATION_BUILD_OWNER := $(LOCKED_BY)
endif
endif

article: $(SITE)/index.html
	@echo "article: profile $(PROFILE)$(if $(CORPUS), on $(CORPUS)) -> $(SITE)/index.html ($(RUN)/results.json)"
	@$(PY) -c "import json, sys; r = json.load(open('$(RUN)/results.json')); b = r['baseline']; \
	s = json.load(open('$(SITE)/data/manifest.json'))['run']; \
	s == '$(notdir $(RUN))' or sys.exit(f'error: $(SITE) holds run {s!r}, not $(RUN): run make article again'); \
	[print(f\"  {m['name']:<12} test cross entropy {m['test']['cross_entropy']:.4f}  accuracy {m['test']['accuracy']:.2%}  as the original counted {m['test']['as_original']['accuracy']:.2%}\") for m in r['models']]; \
	print(f\"  {'no context':<12} test cross entropy {b['cross_entropy']:.4f}  accuracy {b['accuracy']:.2%}\")"
	@$(PY) -m build.render.claims $(SITE)$(if $(filter-out 0,$(STRICT)),, || true)

# One line per target; tests/test_make.py checks that every .PHONY target is here.
help:
	@echo "make article        build site/index.html: dataset, training, evaluation, export, figures, page"
	@echo "                    (PROFILE=small|tiny|paper-shapes|paper, CORPUS=brown|text8, YES=1 for days on a CPU;"
	@echo "                    runs/<profile>/ keeps the models, site/ always holds the run named;"
	@echo "                    MODELS=gru,lstm,mycell: files of build/units/; STEPS= UNITS= LR= SEED=: a quick study;"
	@echo "                    SEEDS=n: every model trained n times (seeds SEED..SEED+n-1), measured on each;"
	@echo "                    STRICT=1: a claim of the article this run does not support is an error)"
	@echo "make serve          the built site on http://localhost:8000/ (PORT= to change)"
	@echo "make preview        serve the site, rebuild it on every save under article/ and reload the page (PORT=)"
	@echo "make deploy         build this run's site, then push it to the gh-pages branch of origin"
	@echo "make retrain        delete one model's run and build again: make retrain MODEL=gru"
	@echo "make test           ruff and the whole test suite (installs the test tools)"
	@echo "make lint           ruff only"
	@echo "make install        the build's and the test tools' installs (.venv/, node_modules/)"
	@echo "make constraints    regenerate constraints.txt (the pinned versions) from a clean install"
	@echo "make bench          training step timings (bench/train_step.py)"
	@echo "make bench-browser  keystroke latency, live connectivity and page weight in Chromium"
	@echo "make clean          delete generated files (site/, dist/, caches of tests); keeps runs/ and cache/"
	@echo "make clean-runs     delete this profile's run (runs/<profile>/: trained models, results)"
	@echo "make distclean      clean, and delete runs/, cache/, .venv/ and node_modules/"
	@echo "make help           this list"

install: $(INSTALLED) $(DEV_INSTALLED)

# `make article` installs only what the build needs; `make test` adds the `dev` extra (test tools).
# constraints.txt pins every package, pip and the build backend included (`make constraints` renews it).
CONSTRAINTS := constraints.txt
PIP_INSTALL := $(PY) -m pip install --quiet --constraint $(CONSTRAINTS)

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) --build-constraint $(CONSTRAINTS) -e .
	touch $@

$(DEV_INSTALLED): $(VENV)/.installed
	$(PIP_INSTALL) --build-constraint $(CONSTRAINTS) -e '.[dev]'
	touch $@

# A clean venv with the build and test dependencies and the build backend, frozen. torch's local label
# (+cpu) is dropped so that the same pin admits the CPU and the CUDA wheel of that version.
constraints:
	@set -e; venv=$$(mktemp -d); trap 'rm -rf "$$venv"' EXIT; \
	$(PYTHON) -m venv "$$venv"; \
	"$$venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$venv/bin/python" -m pip install --quiet hatchling -e '.[dev]'; \
	{ echo "# Every package of the build and test installs, pinned: regenerate with \`make constraints\`."; \
	  "$$venv/bin/python" -m pip freeze --all --exclude-editable | sed -E 's/^(torch==[^+]+)\+.*/\1/'; \
	} > $(CONSTRAINTS)
	@echo "$(CONSTRAINTS): $$(grep -c '==' $(CONSTRAINTS)) packages pinned"

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(RUN)/dataset.json: $(INSTALLED) build/corpus.py build/text.py build/dataset.py build/original_sort.py \
		build/profiles.py
	$(PY) -m build.dataset $(STAGE)

# A model depends on its own unit file (build/units/<key>.py) and kernels (build/kernels/<key>.py), so
# adding or editing one unit retrains only the models that use it.
.SECONDEXPANSION:
$(RUN)/%/model.pt: $(RUN)/dataset.json build/train.py build/training_state.py build/fused.py $(UNIT_SOURCES) \
		build/units/$$(notdir $$*).py $$(wildcard build/kernels/$$(notdir $$*).py)
	$(PY) -m build.train $(STAGE) $(call MODEL_ARGS,$*)$(if $(TRAIN_FLAGS), $(TRAIN_FLAGS))$(if \
		$(filter-out 1,$(TRAIN_JOBS)), --progress lines)

# When the models train side by side (TRAIN_JOBS > 1: one CPU thread per process, which every stage that
# runs a model keeps, build/cpu.py), Make runs that many jobs at once: a model's evaluation, context and
# export start as soon as its own training ends, on the core it freed, while the others still train, and
# the baseline as soon as the dataset is there. Each stage's numbers stay those of its thread count,
# whatever runs beside it.
ifneq ($(TRAIN_JOBS),1)
MAKEFLAGS += -j$(TRAIN_JOBS)
endif

$(RUN)/%/eval.json: $(RUN)/%/model.pt build/evaluate.py build/connectivity.py \
		$(wildcard article/reference/connectivity_*.json)
	$(PY) -m build.evaluate $(STAGE) $(call MODEL_ARGS,$*)

# How far back the model looks over the test split (build/lookback.py): redone when the model or the
# dataset changes, never for an edit of the article.
$(RUN)/%/context.json: $(RUN)/%/model.pt $(RUN)/dataset.json build/lookback.py build/bootstrap.py
	$(PY) -m build.lookback $(STAGE) $(call MODEL_ARGS,$*)

# How much of that context the model uses: its loss with the context cut at fixed distances
# (build/truncated.py). Redone, like the context, only when the model or the dataset changes.
$(RUN)/%/truncated.json: $(RUN)/%/model.pt $(RUN)/dataset.json build/truncated.py build/bootstrap.py
	$(PY) -m build.truncated $(STAGE) $(call MODEL_ARGS,$*)

# The validation cross entropy and the share before the word of each kept step and the final model
# (build/during.py): how the share grows with skill.
$(RUN)/%/during.json: $(RUN)/%/model.pt $(RUN)/dataset.json build/during.py build/lookback.py build/bootstrap.py
	$(PY) -m build.during $(STAGE) $(call MODEL_ARGS,$*)

# The two ONNX graphs of a model (autocomplete.onnx, connectivity.onnx) and their sizes.
$(RUN)/%/export.json: $(RUN)/%/model.pt $(wildcard exporter/*.py)
	$(PY) -m exporter.export $(STAGE) --model $*

ARTICLE := $(filter-out article/README.md,$(wildcard article/*.md))
STATIC := $(shell find article/static article/templates -type f)

# Passages of article/*.md -> site/data/passages/<id>.json (only changed ones recomputed), vocab, the
# other figures' data (results, curves, published reference, vanishing gradient), manifest.
# Which run the site holds: the file is rewritten, while Make reads this Makefile, only when the run
# changes (another PROFILE, CORPUS or runs folder), and being newer than the site it then makes precompute
# and render redo the whole site from this run. Goals that build no site leave it alone.
SITE_RUN := $(SITE)/.run
# Which models the run's results list: rewritten only when the list changes (MODELS=...), and then newer
# than results.json, which is redone for the new list. A run without it (made by the stages' Python API)
# gets one dated 1970, so its up-to-date results stay up to date.
RUN_MODELS := $(RUN)/.models
# A site whose manifest names another run (a build of another run stopped half-way) gets the file
# rewritten too, so that it is remade from this run.
ifneq ($(if $(MAKECMDGOALS),$(filter-out clean clean-runs distclean help lint test install,$(MAKECMDGOALS)),article),)
$(shell mkdir -p '$(SITE)' && { [ "$$(cat '$(SITE_RUN)' 2>/dev/null)" = '$(RUN)' ] && \
	$(PYTHON) -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("run") != sys.argv[2])' \
		'$(SITE)/data/manifest.json' '$(notdir $(RUN))' 2>/dev/null || echo '$(RUN)' > '$(SITE_RUN)'; })
$(shell mkdir -p '$(RUN)' && { [ -e '$(RUN_MODELS)' ] || { echo '$(KEYS)' > '$(RUN_MODELS)' && touch -d @0 '$(RUN_MODELS)'; }; \
	[ "$$(cat '$(RUN_MODELS)')" = '$(KEYS)' ] || echo '$(KEYS)' > '$(RUN_MODELS)'; })
endif

$(SITE)/data/manifest.json: $(SITE_RUN) $(ARTICLE) $(EXPORTS) $(RUN)/results.json $(wildcard article/reference/*) \
		build/fences.py build/passages.py build/precompute.py build/connectivity.py build/figure_data.py \
		build/figure_kinds.py build/site_layout.py build/passage_steps.py
	$(PY) -m build.precompute $(STAGE)
	@touch $@  # newer than site/.run even when nothing in it changed

# The page: Markdown + templates -> site/index.html, scripts and vendored onnxruntime-web (reads files
# only; trains and exports nothing). Everything only the page uses lives in build/render/.
$(SITE)/index.html: $(SITE_RUN) $(ARTICLE) article/references.bib $(STATIC) $(SITE)/data/manifest.json \
		$(wildcard build/render/*) build/fences.py build/passages.py build/text.py build/figure_kinds.py \
		build/site_layout.py
	$(PY) -m build.render $(STAGE)$(if $(filter-out 0,$(STRICT)), --strict)
	@touch $@

# The built site on http://localhost:$(PORT)/ (opening site/index.html from disk works as well), sent
# with the cross-origin isolation headers that let the models run on several threads (build/serve.py).
PORT ?= 8000
serve: article
	$(PY) -m build.serve $(PORT) --bind 127.0.0.1 --directory $(SITE)

# The same, rebuilt through Make (`make $(SITE)/index.html`) on every save under article/, with the open
# page reloaded (build/preview.py). The variables go as arguments, whichever way Make was given them.
preview: article
	$(PY) -m build.preview $(STAGE) --port $(PORT) --site '$(SITE)'

# Publish site/ to the gh-pages branch of `origin` (GitHub Pages; .nojekyll keeps every file served).
# `article` first, so what is published is the site of this run, and the commit message names it.
deploy: article
	$(VENV)/bin/ghp-import --no-jekyll --push --force \
		--message "Site from $$(git rev-parse --short HEAD), run $(RUN) (profile $(PROFILE)$(if $(CORPUS), on $(CORPUS)))" $(SITE)

$(RUN)/baseline.json: $(RUN)/dataset.json build/evaluate.py
	$(PY) -m build.evaluate $(STAGE) --baseline

$(RUN)/results.json: $(foreach m,$(SEEDED),$(addprefix $(RUN)/$(m)/,$(MEASUREMENTS))) $(RUN)/baseline.json \
		$(RUN_MODELS) build/results.py
	$(PY) -m build.results $(STAGE)

$(RUN_MODELS):
	@mkdir -p '$(RUN)' && echo '$(KEYS)' > $@

# Training resumes from checkpoints and refuses ones made differently; to train a model afresh:
#   make retrain MODEL=gru
# (MODEL is checked against the run's models when Make plans; an empty one is refused here.)
retrain:
	@[ -n "$(strip $(MODEL))" ] || { echo "retrain: say which model, e.g. make retrain MODEL=$(firstword $(KEYS)) (one of: $(KEYS))"; exit 2; }
	rm -rf -- "$(RUN)/$(strip $(MODEL))" $(foreach d,$(SEED_DIRS),"$(RUN)/$(d)/$(strip $(MODEL))")
	$(MAKE) article

# The browser tests drive Debian's Chromium (Playwright never downloads one): installed here when
# running as root with apt, otherwise the message says what to run. MEMORIZATION_CHROMIUM names another
# Chromium or Chrome (GitHub's runners: /usr/bin/google-chrome), which then needs no apt.
CHROMIUM := $(or $(MEMORIZATION_CHROMIUM),/usr/bin/chromium)
$(CHROMIUM):
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update && apt-get install -y --no-install-recommends chromium; \
	else echo "the browser tests need Debian's Chromium at $@: sudo apt-get install chromium"; exit 1; fi

test: $(INSTALLED) $(DEV_INSTALLED) $(CHROMIUM)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(DEV_INSTALLED)
	$(PY) -m ruff check .

bench: $(INSTALLED)
	$(PY) bench/train_step.py

clean-runs:
	rm -rf -- "$(RUN)"

# Generated files only: trained runs and the dataset cache stay (`clean-runs`, `distclean`).
clean:
	rm -rf site $(SITE) dist .pytest_cache .ruff_cache
	find build exporter tests bench -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf runs cache $(VENV) node_modules

# Keystroke latency, live connectivity and page weight in headless Chromium (renders site/ first).
bench-browser: $(INSTALLED) $(DEV_INSTALLED)
	$(PY) bench/browser.py
