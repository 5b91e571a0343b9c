# The entry point. `make article` builds everything on the embedded default (profile `small`, Brown
# corpus, offline); `make test` runs the test suite. Each stage writes files the next one reads, and the
# rules below name those files, so Make redoes only what an edit touched.
#
#   make article PROFILE=paper              the original's sizes on text8 (a GPU; downloads text8 once)
#   make article PROFILE=paper CORPUS=brown the original's sizes on the embedded corpus
#   TEXT8=/path/to/text8.zip make article PROFILE=paper   use a local copy of text8

PROFILE ?= small
CORPUS ?=
export PROFILE CORPUS

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# build/profiles.py needs only the standard library, so Make can ask it before .venv exists.
RUN := $(shell $(PYTHON) -m build.profiles run-dir)
MODELS := $(shell $(PYTHON) -m build.profiles models)

INSTALLED := $(VENV)/.installed node_modules/.installed
UNIT_SOURCES := build/model.py build/units/__init__.py $(wildcard build/units/*.py)

.PHONY: article install test lint bench bench-browser clean clean-runs retrain serve deploy
.DELETE_ON_ERROR:
# Pattern-rule outputs are "intermediate" to Make, which would delete them after the build: keep them.
.PRECIOUS: $(RUN)/%/model.pt $(RUN)/%/eval.json $(RUN)/%/export.json

EXPORTS := $(foreach m,$(MODELS),$(RUN)/$(m)/export.json)
SITE := $(or $(MEMORIZATION_SITE),site)

article: $(SITE)/index.html
	@echo "article: profile $(PROFILE)$(if $(CORPUS), on $(CORPUS)) -> $(SITE)/index.html ($(RUN)/results.json)"
	@$(PY) -c "import json; r = json.load(open('$(RUN)/results.json')); b = r['baseline']; \
	[print(f\"  {m['name']:<12} test cross entropy {m['test']['cross_entropy']:.4f}  accuracy {m['test']['accuracy']:.2%}\") for m in r['models']]; \
	print(f\"  {'no context':<12} test cross entropy {b['cross_entropy']:.4f}  accuracy {b['accuracy']:.2%}\")"

install: $(INSTALLED)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(RUN)/dataset.json: $(INSTALLED) build/corpus.py build/dataset.py build/profiles.py
	$(PY) -m build.dataset

$(RUN)/%/model.pt: $(RUN)/dataset.json build/train.py build/fused.py $(UNIT_SOURCES)
	$(PY) -m build.train --model $*

$(RUN)/%/eval.json: $(RUN)/%/model.pt build/evaluate.py
	$(PY) -m build.evaluate --model $*

# The two ONNX graphs of a model (autocomplete.onnx, connectivity.onnx) and their sizes.
$(RUN)/%/export.json: $(RUN)/%/model.pt $(wildcard exporter/*.py)
	$(PY) -m exporter.export --model $*

ARTICLE := $(filter-out article/README.md,$(wildcard article/*.md))
STATIC := $(shell find article/static article/templates -type f)

# Passages of article/*.md -> site/data/passages/<id>.json (only changed ones recomputed), vocab, the
# other figures' data (results, curves, published reference, vanishing gradient), manifest.
$(SITE)/data/manifest.json: $(ARTICLE) $(EXPORTS) $(RUN)/results.json $(wildcard article/reference/*) \
		build/passages.py build/precompute.py build/connectivity.py build/figure_data.py
	$(PY) -m build.precompute

# The page: Markdown + templates -> site/index.html, scripts and vendored onnxruntime-web (reads files
# only; trains and exports nothing).
$(SITE)/index.html: $(ARTICLE) article/references.bib $(STATIC) $(SITE)/data/manifest.json \
		build/render.py build/render_math.mjs build/site_assets.py
	$(PY) -m build.render

# The built site on http://localhost:$(PORT)/ (opening site/index.html from disk works as well).
PORT ?= 8000
serve: article
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(SITE)

# Publish site/ to the gh-pages branch of `origin` (GitHub Pages; .nojekyll keeps every file served).
deploy: article
	$(VENV)/bin/ghp-import --no-jekyll --push --force --message "Site from $$(git rev-parse --short HEAD) ($(PROFILE))" $(SITE)

$(RUN)/baseline.json: $(RUN)/dataset.json build/evaluate.py
	$(PY) -m build.evaluate --baseline

$(RUN)/results.json: $(foreach m,$(MODELS),$(RUN)/$(m)/eval.json) $(RUN)/baseline.json
	$(PY) -m build.evaluate --results

# Training resumes from checkpoints and refuses ones made differently; to train a model afresh:
#   make retrain MODEL=gru
retrain:
	rm -rf $(RUN)/$(MODEL)
	$(MAKE) article

# The browser tests drive Debian's Chromium (Playwright never downloads one): installed here when
# running as root with apt, otherwise the message says what to run.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update && apt-get install -y --no-install-recommends chromium; \
	else echo "the browser tests need Debian's Chromium at $@: sudo apt-get install chromium"; exit 1; fi

test: $(INSTALLED) $(CHROMIUM)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: $(INSTALLED)
	$(PY) bench/train_step.py

clean-runs:
	rm -rf $(RUN)

clean:
	rm -rf runs site dist

# Keystroke latency, live connectivity and page weight in headless Chromium (renders site/ first).
bench-browser: $(INSTALLED)
	$(PY) bench/browser.py
