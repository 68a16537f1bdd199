# ferrox: the two set-up commands are `make demo` and `make test`.
# Each creates .venv (Python 3.11+), installs what it needs and builds the Rust core.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.deps-stamp

.PHONY: demo test build gates rust-test py-test bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Python dependencies (runtime + test + lint); reinstalled when pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "maturin>=1.7,<2"
	$(BIN)/pip install -q $$($(BIN)/python -c "import tomllib;p=tomllib.load(open('pyproject.toml','rb'))['project'];print(' '.join(repr(d) for d in p['dependencies']+p['optional-dependencies']['test']+p['optional-dependencies']['lint']))" | tr -d "'")
	touch $(STAMP)

# Builds the Rust core into the venv (incremental: seconds when nothing changed).
build: $(STAMP)
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/maturin develop --release --quiet

# The main job: import the real captures and run the pipeline, printing a summary.
demo: build
	$(BIN)/ferrox demo

gates: $(STAMP)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(BIN)/ruff check python tests benchmarks examples
	$(BIN)/ruff format --check python tests benchmarks examples
	$(BIN)/mypy

rust-test:
	cargo test -p ferrox-engine -p ferrox-research --quiet

# Headless Chromium renders the HTML tearsheet in the tests (Debian's package; sudo only if not root).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update -q && $$SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

py-test: build chromium
	$(BIN)/pytest -q

# The whole test suite: gates, Rust tests, Python tests. .ci/run calls exactly this.
test: gates rust-test py-test

# The peers only benchmarks need (the `bench` extra) go into .venv; Qlib, whose
# pins clash with ours, into .venv-qlib, which bench_factors_qlib.py calls.
BENCH_STAMP := $(VENV)/.bench-stamp
extra = $$($(BIN)/python -c "import tomllib;print(' '.join(tomllib.load(open('pyproject.toml','rb'))['project']['optional-dependencies']['$(1)']))")

$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/pip install -q $(call extra,bench)
	test -x .venv-qlib/bin/python || $(PYTHON) -m venv .venv-qlib
	.venv-qlib/bin/pip install -q $(call extra,bench-qlib)
	touch $(BENCH_STAMP)

bench: build $(BENCH_STAMP)
	for b in benchmarks/bench_*.py; do FERROX_QLIB_PYTHON=$(abspath .venv-qlib)/bin/python $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) target
