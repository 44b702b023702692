#!/usr/bin/env bash
# Runs the fuzz targets for SECONDS each: `fuzz/run.sh SECONDS [TARGET…]` (all targets when none
# is named). `make fuzz` and `make test-fuzz` call it. Prints executions per target; exits 1 if
# any target found a crash, a hang or a broken invariant (the input is in fuzz/artifacts/TARGET/).
#
# The stable toolchain is enough: without a sanitizer cargo-fuzz passes no unstable flag. None is
# needed: the code is safe Rust, so what a fuzzer can find is a panic, an overflow (debug
# assertions are on), a stack overflow or a hang, and runs are several times faster without ASan.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET…]}
shift
flags=(--fuzz-dir fuzz --sanitizer none --debug-assertions --target-dir target/fuzz)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)

logs=target/fuzz/logs
mkdir -p "$logs"
cargo fuzz build "${flags[@]}" >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }

failed=()
for t in "${targets[@]}"; do
  # New inputs go to the first directory (scratch, under target/); the committed seeds in
  # fuzz/corpus/ are only read.
  mkdir -p "target/fuzz/corpus/$t"
  if cargo fuzz run "${flags[@]}" "$t" "target/fuzz/corpus/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$logs/$t.log" 2>&1; then
    execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$logs/$t.log")
    echo "fuzz: $t: $execs executions in ${seconds}s, no finding"
  else
    echo "fuzz: $t: FOUND A FAILURE (log: $logs/$t.log)"
    grep -E "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$logs/$t.log" | head -5 | sed 's/^/  /'
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}; reproduce with: cargo fuzz run ${flags[*]} TARGET fuzz/artifacts/TARGET/<file>"
  exit 1
fi
