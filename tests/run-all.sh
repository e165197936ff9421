#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a fresh clone: installs dependencies, builds a
# release and a sanitizer (ASan+UBSan) build, runs ctest on both, replays and
# briefly fuzzes the readers. Tests that need root or BPF skip themselves
# (exit 77) when those are missing. Ends with ctest's summary line.
#   tests/run-all.sh           (as root, or with sudo available for apt-get)
# Environment: PF_FUZZ_SECONDS (default 300) per fuzz target; 0 disables.
#              PF_SKIP_WINDOWS=1 leaves out the mingw-w64 build and its Wine tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
jobs=$(nproc)

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPF_REQUIRE_TEST_DEPS=ON -DPF_WERROR=ON >/dev/null
log=$(mktemp)
if ! cmake --build build -j"$jobs" >"$log" 2>&1; then cat "$log"; exit 1; fi
if grep -E "warning:" "$log"; then echo "the build has warnings"; exit 1; fi
rm -f "$log"

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPF_SANITIZE=ON -DPF_BUILD_BENCH=OFF -DPF_REQUIRE_TEST_DEPS=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null

fuzz_seconds=${PF_FUZZ_SECONDS:-300}
if [ "$fuzz_seconds" -gt 0 ] && command -v clang >/dev/null; then
  echo "== fuzzing each reader for ${fuzz_seconds}s (libFuzzer + ASan/UBSan)"
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DPF_FUZZ=ON -DPF_SANITIZE=ON \
        -DPF_BUILD_RECORDER=OFF -DPF_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs" >/dev/null
  fuzz_figures=$(mktemp)
  # target : committed corpus (seeds and regression inputs)
  for pair in tests/fuzz/fuzz_reader:tests/fuzz/corpus/reader tests/etw/fuzz_etl:tests/etw/corpus \
              tests/analyzer/fuzz_ingest:tests/analyzer/corpus \
              tests/fuzz/fuzz_dns:tests/fuzz/corpus/dns; do
    target=build-fuzz/${pair%%:*}
    corpus=${pair#*:}
    [ -x "$target" ] && [ -d "$corpus" ] || continue
    name=$(basename "$target")
    work=$(mktemp -d)
    cp -r "$corpus"/. "$work"/
    if ! "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
         -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
      tail -n 40 "$work.log"; echo "fuzz: $name found a crash (input kept in $work)"; exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log" | tail -n 1)
    echo "fuzz $name: ${execs:-?} executions in ${fuzz_seconds}s, no crash"
    printf 'hostile\tfuzz %s: executions in %ss, crashes\t%s, 0\n' "$name" "$fuzz_seconds" "${execs:-?}" >>"$fuzz_figures"
    rm -rf "$work" "$work.log"
  done
fi

if [ "${PF_SKIP_WINDOWS:-0}" != 1 ]; then
  # The Wine tests in ctest run these cross-built binaries (they skip without them).
  echo "== Windows cross build (mingw-w64, zstd and SQLite from Debian sources)"
  log=$(mktemp)
  if ! scripts/cross-windows.sh --build build-win >"$log" 2>&1; then tail -n 60 "$log"; exit 1; fi
  # Warnings in procflow's own sources fail the run (third-party code is not ours to fix).
  if grep -E "warning:" "$log" | grep -v "third_party"; then echo "the Windows build has warnings"; exit 1; fi
  rm -f "$log"
  for p in wine64; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      { apt-get install -y -qq --no-install-recommends "$p" >/dev/null || echo "wine64 unavailable: Wine tests will skip"; }
  done
fi

echo "== ctest (sanitizer build)"
rm -f build-asan/figures/*.tsv
(cd build-asan && ctest --output-on-failure -j"$jobs" --timeout 900) || { echo "sanitizer tests failed"; exit 1; }
echo "== ctest (release build)"
rm -f build/figures/*.tsv
[ -n "${fuzz_figures:-}" ] && [ -s "$fuzz_figures" ] && mv "$fuzz_figures" build/figures/fuzz.tsv
log=$(mktemp)
set +e
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900) 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo
echo "== reliability figures (release build; fuzzing: libFuzzer + ASan/UBSan)"
tests/report.sh build/figures
echo
# The run ends with ctest's summary line.
grep -E "tests passed|tests failed" "$log" | tail -n 1
rm -f "$log"
exit "$status"
