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
# The golden file is in the format version of its day; later versions
# encode the same records in other bytes. So its records are rewritten in
# the current version (convert without redaction copies them as they are)
# and compared byte for byte after the header, which states the version:
# the header through what info shows of it (ref's header is the golden's).
"$analyze" convert "$golden/redacted-v1.pfcap" -o "$work/ref.pfcap" >/dev/null 2>&1
hdr_end() { echo $((8 + $(od -An -tu4 -j12 -N4 "$1" | tr -d ' '))); }
info() { "$analyze" info "$1" --utc 2>&1 | grep -v -e '^File:'; }
if [ "$(hdr_end "$work/out.pfcap")" = "$(hdr_end "$work/ref.pfcap")" ] &&
   cmp -i "$(hdr_end "$work/out.pfcap")" "$work/out.pfcap" "$work/ref.pfcap" &&
   [ "$(info "$work/out.pfcap")" = "$(info "$work/ref.pfcap")" ]; then
  echo "redacted capture identical to the one recorded with the first implementation (format version aside)"
else
  echo "FAIL: redaction under the same key no longer gives the recorded pseudonyms" >&2
  exit 1
fi
