#!/bin/sh
# SPDX-License-Identifier: MIT
# Pseudonyms never change for the same key: converting a fixed capture with a
# fixed key must give, byte for byte, the file recorded with the first
# (hand-written) implementation of the derivation. Captures redacted by any
# earlier version still line up with new ones.
#   run_stable.sh PROCFLOW_ANALYZE GOLDEN_DIR WORK_DIR
set -eu
analyze=$1 golden=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cp "$golden/test.key" "$work/test.key"
chmod 600 "$work/test.key"
"$analyze" convert "$golden/input.pfcap" -o "$work/out.pfcap" --redact --redact-key "$work/test.key" >/dev/null 2>&1
if cmp "$work/out.pfcap" "$golden/redacted-v1.pfcap"; then
  echo "redacted capture identical to the one recorded with the first implementation"
else
  echo "FAIL: redaction under the same key no longer gives the recorded pseudonyms" >&2
  exit 1
fi
