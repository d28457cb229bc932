# polyglot — build, demo and test. `make demo` and `make test` work on a fresh machine: they
# create the Python environment (.venv with numpy, pandas, matplotlib and the Jupyter test tools)
# themselves.

VENV    := .venv
PYTHON  := $(VENV)/bin/python
BIN     := target/release/polyglot

# Tests and the demo use the project's venv as their Python environment.
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: all build demo test venv clean book-check wasm-target web web-deps web-serve chromium

all: build

# What the tests need: NumPy, pandas and matplotlib for the bridge and rich display; the Jupyter
# client side (jupyter_client, nbclient, nbformat, the conformance suite jupyter_kernel_test,
# pytest) for the kernel's tests; ipykernel as P17's baseline; Ray for `--backend ray` and its tests.
# Bump the marker when this changes.
VENV_PACKAGES := numpy pandas matplotlib jupyter_client nbclient nbformat jupyter_kernel_test pytest ipykernel ray

$(VENV)/.ready-3:
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check $(VENV_PACKAGES)
	touch $@

venv: $(VENV)/.ready-3

build:
	cargo build --release

demo: venv build
	@echo "--- polyglot examples/01-basics.lisp"
	@$(BIN) examples/01-basics.lisp
	@echo "--- polyglot examples/06-python-numpy.lisp"
	@$(BIN) examples/06-python-numpy.lisp
	@echo "--- polyglot -e '(+ 1 2)'"
	@$(BIN) -e '(+ 1 2)'

test: venv wasm-target web chromium
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p polyglot-web --target wasm32-unknown-unknown -- -D warnings
	# The bare language: no pyo3/numpy (only under src/bridge/embedded), no front-ends; it
	# also builds for the browser.
	cargo check --lib --no-default-features
	cargo build --lib --no-default-features --target wasm32-unknown-unknown
	cargo test --all-targets
	cargo test --doc
	# The browser build: the Node runner and the backend (node --test), the page in headless
	# Chromium.
	cd web && node --test test/

# The browser build (web/): the Lisp as a wasm32 module, web/dist/polyglot.wasm, and the npm
# packages the page and its tests use (Pyodide; puppeteer-core, which downloads no browser).
WEB_WASM := web/dist/polyglot.wasm
web: wasm-target web-deps
	cargo build -p polyglot-web --target wasm32-unknown-unknown --profile wasm
	@mkdir -p web/dist
	cp target/wasm32-unknown-unknown/wasm/polyglot_web.wasm $(WEB_WASM)

web-deps: web/node_modules/.ready
web/node_modules/.ready: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# The REPL page on http://127.0.0.1:8000/ (with the COOP/COEP headers the interrupt needs).
web-serve: web
	node web/serve.mjs 8000

# Debian's Chromium, for the page's test (skipped when already installed).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The wasm32 target for the portable-core check (skipped when already installed).
wasm-target:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

clean:
	cargo clean
	rm -rf $(VENV)

# Fuzzing (not part of `make test`): each cargo-fuzz target in fuzz/ for FUZZ_SECONDS, with the
# nightly toolchain. Installs cargo-fuzz if it is missing.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := reader program

.PHONY: fuzz
fuzz:
	@cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz
	@for t in $(FUZZ_TARGETS); do \
		echo "--- fuzz $$t ($(FUZZ_SECONDS)s)"; \
		cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=4096 -timeout=10 || exit 1; \
	done
