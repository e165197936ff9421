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
# The header states the writer's format version, which later versions raise:
# the header is compared through what info shows of it (without that line),
# everything after it byte for byte.
hdr_end() { echo $((8 + $(od -An -tu4 -j12 -N4 "$1" | tr -d ' '))); }
info() { "$analyze" info "$1" --utc 2>&1 | grep -v -e '^File:' -e '^Format:'; }
if [ "$(hdr_end "$work/out.pfcap")" = "$(hdr_end "$golden/redacted-v1.pfcap")" ] &&
   cmp -i "$(hdr_end "$work/out.pfcap")" "$work/out.pfcap" "$golden/redacted-v1.pfcap" &&
   [ "$(info "$work/out.pfcap")" = "$(info "$golden/redacted-v1.pfcap")" ]; then
  echo "redacted capture identical to the one recorded with the first implementation (format version aside)"
else
  echo "FAIL: redaction under the same key no longer gives the recorded pseudonyms" >&2
  exit 1
fi
