# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing
# first (scripts/setup.sh), so a fresh clone needs nothing else.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

EMULATOR_RELEASE := target/release/frontegg-emulator
SITE := build/site
PORT ?= 8787

.PHONY: all setup pkg emulator site demo docs test test-layers test-lints test-native test-wasm test-node test-types test-deno test-workerd test-package test-e2e test-official test-fuzz fuzz bench clean

all: pkg emulator

setup:
	@scripts/setup.sh

## The npm package in pkg/ (release wasm, wasm-bindgen glue, wasm-opt).
pkg: setup
	@scripts/build-pkg.sh

emulator: setup
	cargo build --quiet --release -p frontegg-emulator

## The demo page with the package beside it, as the emulator serves it.
site: pkg
	@rm -rf $(SITE) && mkdir -p $(SITE)/pkg
	@cp -r www/. $(SITE)/
	@cp pkg/*.js pkg/*.wasm pkg/package.json $(SITE)/pkg/

## Build everything, start the emulator with the demo seed and serve the demo page.
demo: site emulator
	@echo
	@echo "Demo: open http://localhost:$(PORT)/ and sign in as demo@example.com / Demo-pass-123!"
	@echo "(mfa@example.com has TOTP enrolled with secret JBSWY3DPEHPK3PXP). Ctrl-C stops it."
	@echo
	$(EMULATOR_RELEASE) --port $(PORT) --seed demo --serve $(SITE)

## The API reference, from the package's declarations (pkg/index.d.ts and what it re-exports):
## API Extractor reads them (pkg/api-extractor.json: any finding fails, an undocumented
## declaration too) and API Documenter writes a Markdown page per declaration into docs/api/
## (git-ignored; start at docs/api/index.md).
docs: pkg
	node_modules/.bin/api-extractor run --local --config pkg/api-extractor.json
	node_modules/.bin/api-documenter markdown --input-folder build/api --output-folder docs/api

## Every suite: native unit and integration tests, wasm in headless Chromium, Node, end to end.
test: test-layers test-lints test-native test-wasm test-types docs test-node test-deno test-workerd test-package test-e2e test-official test-fuzz
	@echo "make test: every suite passed"

## The layers of src/ (docs/architecture.md): wasm-bindgen, js-sys and web-sys only in src/wasm/.
test-layers:
	@scripts/check-layers.sh

## No panic reachable from outside data: the SDK's library code (core, driver and, where rustup
## has the wasm32 target, the wasm layer) may not unwrap, expect, panic, index or slice.
NO_PANICS := -D clippy::unwrap_used -D clippy::expect_used -D clippy::panic -D clippy::unreachable \
  -D clippy::todo -D clippy::unimplemented -D clippy::indexing_slicing -D clippy::string_slice
test-lints: setup
	cargo clippy --quiet --lib --features server -- $(NO_PANICS)
	@if [ "$$(scripts/wasm-cargo --which)" = rustup ]; then \
	  scripts/wasm-cargo clippy --quiet --lib --target wasm32-unknown-unknown --features server -- $(NO_PANICS); \
	  scripts/wasm-cargo clippy --quiet --lib --target wasm32-unknown-unknown --no-default-features -- $(NO_PANICS); \
	fi
	@echo "test-lints: no unwrap, expect, panic, indexing or slicing in the SDK's library code"

## Core unit tests, emulator integration tests, and the SDK core against a live emulator.
test-native: setup
	cargo build --quiet -p frontegg-emulator
	cargo test --workspace

## The wasm build in headless Chromium (wasm-bindgen-test, with webdriver.json's flags).
test-wasm: setup
	cargo build --quiet -p frontegg-emulator
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=$${CHROMEDRIVER:-/usr/bin/chromedriver} \
	  scripts/with-emulator.sh scripts/wasm-cargo test --target wasm32-unknown-unknown --test browser

## The TypeScript declarations, as a consumer sees them (tsc --noEmit on tests/types/consumer.ts).
test-types: pkg
	node_modules/.bin/tsc -p tests/types/tsconfig.json
	node_modules/.bin/tsc -p tests/types/tsconfig.es2022.json
	@echo "tsc: tests/types/consumer.ts type-checks against pkg/index.d.ts (lib ES2022 with and without ESNext.Disposable)"

## The npm package in Node (server mode).
test-node: pkg
	cargo build --quiet -p frontegg-emulator
	node --test --test-timeout=120000 tests/node/

## The same package in Deno (npm's deno binary; no network but loopback).
test-deno: pkg
	cargo build --quiet -p frontegg-emulator
	DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 node_modules/.bin/deno test --allow-read --allow-net --allow-run --allow-env --no-check tests/deno/

## The same package in Cloudflare's workerd, through miniflare.
test-workerd: pkg
	cargo build --quiet -p frontegg-emulator
	node --test --test-timeout=120000 tests/workerd/

## The package as a consumer gets it: `npm pack` of pkg/ installed offline into a scratch project,
## used by name from a Node script and from a page that Vite bundles and Chromium loads.
test-package: pkg
	cargo build --quiet -p frontegg-emulator
	node --test --test-timeout=120000 tests/package/

## A person signing in on the demo page (Playwright driving /usr/bin/chromium).
test-e2e: site
	cargo build --quiet -p frontegg-emulator
	node --test --test-timeout=120000 tests/e2e/

## The hosted service's own clients as judges, in Chromium: @frontegg/rest-api and redux-store
## drive every covered flow against the emulator, and each SDK request is compared with its
## official counterpart through one recording proxy (docs/fidelity.md).
test-official: pkg
	cargo build --quiet -p frontegg-emulator
	node --test --test-timeout=120000 tests/official-client/

## Every fuzz target in fuzz/ (cargo-fuzz; docs/testing.md, "Fuzzing") for 12 s: its seed
## answers and some hundred thousand mutations of them.
test-fuzz: setup
	@fuzz/run.sh 12

## Every fuzz target for FUZZ_SECONDS each (FUZZ_TARGETS to pick some); findings land in
## fuzz/artifacts/TARGET/.
FUZZ_SECONDS ?= 600
fuzz: setup
	@fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## Numbers, never timed tests: download size beside rival SDKs, start-up, per-call overhead,
## token verification (Node, Chromium, workerd), and the emulator under 50 clients.
bench: pkg emulator
	@node bench/size.mjs
	@node bench/startup.mjs
	@node bench/calls.mjs
	@node bench/verify.mjs
	@echo
	cargo run --quiet --release -p frontegg-emulator --example bench -- --clients 50 --seconds 10

clean:
	rm -rf target build pkg/*.js pkg/frontegg_auth_wasm* pkg/snippets pkg/LICENSE-*
