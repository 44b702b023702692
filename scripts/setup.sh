#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing; says nothing when all is there.
# Works on a fresh Debian machine (as root or with sudo) and on an ordinary developer machine
# with rustup, where it only adds the pinned Rust for wasm32, wasm-bindgen-cli and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }
die() { say "$*"; exit 1; }
log=target/setup.log
mkdir -p target

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "please install with your package manager: $*"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    $SUDO apt-get update -qq >>"$log" 2>&1
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >>"$log" 2>&1 || die "apt-get install $* failed; see $log"
}
missing_debs() {
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done
}

# Rust itself: rustup is the one supported way to get it.
command -v cargo >/dev/null 2>&1 || die "Rust is missing: install it from https://rustup.rs, then run make again."

# OpenSSL headers: the emulator verifies WebAuthn with webauthn-rs, which links OpenSSL.
if ! pkg-config --exists openssl 2>/dev/null; then
  apt_install libssl-dev pkg-config
fi

# The pinned Rust for wasm32 (scripts/wasm-toolchain): rustup's when it can be had, else Debian's
# rustc-web of the same version (rustup cannot download on machines without a route to its
# server). Either builds std from source, so both give the same package.
. scripts/wasm-toolchain
if [ "$(scripts/wasm-cargo --which)" = none ]; then
  if command -v rustup >/dev/null 2>&1 && timeout 300 rustup toolchain install "$RUST_WASM_VERSION" \
      --profile minimal --target wasm32-unknown-unknown --component rust-src,clippy >>"$log" 2>&1; then
    say "installed Rust $RUST_WASM_VERSION with the wasm32 target and rust-src (rustup)"
  else
    say "rustup cannot install Rust $RUST_WASM_VERSION for wasm32 here; using Debian's rustc-web"
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  fi
  [ "$(scripts/wasm-cargo --which)" != none ] || die "no wasm32 toolchain after installing; see $log"
fi
# make test-lints runs clippy on the wasm32 build with the pinned rustup toolchain.
if [ "$(scripts/wasm-cargo --which)" = rustup ] \
    && ! rustup component list --installed --toolchain "$RUST_WASM_VERSION" | grep -q '^clippy'; then
  timeout 300 rustup component add --toolchain "$RUST_WASM_VERSION" clippy >>"$log" 2>&1 \
    || die "rustup could not add clippy to Rust $RUST_WASM_VERSION; see $log"
fi

# wasm-bindgen-cli at exactly the version in Cargo.lock (the glue format changes between versions).
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[ -n "$want" ] || die "Cargo.lock has no wasm-bindgen entry"
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (a few minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "$want" >>"$log" 2>&1 || die "cargo install wasm-bindgen-cli failed; see $log"
fi

# cargo-fuzz for the fuzz targets (make fuzz, make test-fuzz): fuzz/run.sh runs it on the stable
# toolchain (some machines can't fetch a nightly), and libfuzzer-sys builds libFuzzer's C++ with
# the system compiler.
fuzz_version=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null | awk '{ print $2 }' || true)" != "$fuzz_version" ]; then
  say "installing cargo-fuzz $fuzz_version (a minute, once)"
  cargo install --quiet --locked cargo-fuzz --version "$fuzz_version" >>"$log" 2>&1 || die "cargo install cargo-fuzz failed; see $log"
fi
command -v c++ >/dev/null 2>&1 || apt_install g++

# Chromium and ChromeDriver for the browser tests (Playwright drives this Chromium; it never
# downloads a browser of its own).
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
  apt_install chromium chromium-driver
fi

# Node 20+ and the npm packages the tests use, exactly as locked.
command -v node >/dev/null 2>&1 || apt_install nodejs npm
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || die "Node.js 20 or newer is needed (found $(node --version))"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >>"$log" 2>&1 || die "npm ci failed; see $log"
fi
