#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs dependencies, builds a
# release and a sanitizer (ASan+UBSan) build, runs ctest on both, replays and
# briefly fuzzes the readers. Tests that need root or BPF skip themselves
# (exit 77) when those are missing. Ends with ctest's summary line.
#   tests/run-all.sh           (as root, or with sudo available for apt-get)
# Environment: PF_FUZZ_SECONDS (default 30) per fuzz target; 0 disables.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
jobs=$(nproc)

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
log=$(mktemp)
if ! cmake --build build -j"$jobs" >"$log" 2>&1; then cat "$log"; exit 1; fi
if grep -E "warning:" "$log"; then echo "the build has warnings"; exit 1; fi
rm -f "$log"

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPF_SANITIZE=ON -DPF_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null

fuzz_seconds=${PF_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ] && command -v clang >/dev/null; then
  echo "== fuzzing each reader for ${fuzz_seconds}s (libFuzzer + ASan/UBSan)"
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DPF_FUZZ=ON -DPF_SANITIZE=ON \
        -DPF_BUILD_RECORDER=OFF -DPF_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs" >/dev/null
  for target in build-fuzz/tests/*/fuzz_*; do
    [ -x "$target" ] || continue
    name=$(basename "$target")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    [ -d "$corpus" ] || corpus=$(dirname "$(find tests -type d -path "*corpus/${name#fuzz_}" | head -n1)")/${name#fuzz_}
    work=$(mktemp -d)
    cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work" 2>"$work.log" || { tail -n 40 "$work.log"; echo "fuzz: $name crashed"; exit 1; }
    grep -E "stat::number_of_executed_units" "$work.log" | sed "s/^/fuzz $name: /"
    rm -rf "$work" "$work.log"
  done
fi

echo "== ctest (sanitizer build)"
(cd build-asan && ctest --output-on-failure -j"$jobs" --timeout 900) || { echo "sanitizer tests failed"; exit 1; }
echo "== ctest (release build)"
cd build && ctest --output-on-failure -j"$jobs" --timeout 900
