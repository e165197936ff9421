#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints the figures the measuring tests left behind (one table, one screen):
# faults tried, files recovered, chunks lost, data age lost, fuzz executions
# and crashes, peak memory on hostile inputs, security checks.
#   tests/report.sh FIGURES_DIR...
# Each *.tsv file holds lines "area<TAB>figure<TAB>value".
set -euo pipefail
files=()
for d in "$@"; do
  for f in "$d"/*.tsv; do [ -f "$f" ] && files+=("$f"); done
done
if [ ${#files[@]} -eq 0 ]; then
  echo "(no figures recorded: the measuring tests did not run)"
  exit 0
fi
# Sorted by area (faults, hostile, security, ...), then in the order written.
awk -F '\t' 'NF >= 3 { n++; print $1 "\t" n "\t" $2 "\t" $3 }' "${files[@]}" |
  sort -t "$(printf '\t')" -k1,1 -k2,2n |
  awk -F '\t' '
    { area[NR] = $1; fig[NR] = $3; val[NR] = $4
      if (length($3) > w) w = length($3) }
    END {
      if (w > 52) w = 52
      fmt = "%-9s %-" w "s  %s\n"
      printf fmt, "area", "figure", "value"
      for (i = 1; i <= NR; i++) printf fmt, (area[i] == area[i-1] ? "" : area[i]), substr(fig[i], 1, w), val[i]
    }'
