#!/usr/bin/env bash
# Runs a command with a fresh emulator (in memory, demo seed) on a free port, its URL in
# FRONTEGG_EMULATOR_URL; stops the emulator afterwards whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FRONTEGG_EMULATOR_BIN:-target/debug/frontegg-emulator}"
out=$(mktemp)
"$bin" --port 0 --memory --seed demo >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  line=$(head -n 1 "$out")
  [ -n "$line" ] && break
  kill -0 $pid 2>/dev/null || { echo "with-emulator: $bin exited before listening" >&2; exit 1; }
  sleep 0.1
done
case "$line" in
  "listening on "*) export FRONTEGG_EMULATOR_URL="${line#listening on }" ;;
  *) echo "with-emulator: unexpected first line: $line" >&2; exit 1 ;;
esac
"$@"
