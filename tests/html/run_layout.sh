#!/bin/sh
# SPDX-License-Identifier: MIT
# Layout of HTML reports in headless chromium at 1400 and 800 px: element
# boxes (not pixels) recorded by layout_probe.js. Every width: the page does
# not scroll sideways, no table is wider than its section, no chart label is
# cut by its chart. The bundled sample's boxes (x and width of the page,
# sections, charts, legends) must equal expected/layout/ within 2 px, and
# appear in the same order. Screenshots stay in WORKDIR for a look.
# usage: run_layout.sh ANALYZE MKCAP PFGEN SAMPLE.pfcap EXPECTED_DIR WORKDIR   (exit 77: no chromium/python3)
# PF_UPDATE_EXPECTED=1 rewrites the expected layouts (review the diff).
set -u
A=$1 MK=$2 GEN=$3 SAMPLE=$4 EXP=$5 W=$6
HERE=$(dirname "$0")
CHROME=${PF_CHROMIUM:-}
if [ -z "$CHROME" ]; then
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then CHROME=$c; break; fi
    done
fi
[ -n "$CHROME" ] || { echo "SKIP: chromium not installed (Debian: apt-get install chromium)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
rm -rf "$W" && mkdir -p "$W" || exit 1
export TZ=UTC
"$A" ingest -q "$SAMPLE" -d "$W/sample.db" && "$A" html -d "$W/sample.db" -o "$W/sample.html" --utc || exit 1
"$MK" local "$W/local.pfcap" && "$A" ingest -q "$W/local.pfcap" -d "$W/local.db" &&
    "$A" html -d "$W/local.db" -o "$W/local.html" || exit 1
"$GEN" -o "$W/gen.pfcap" -n 60000 --seed 11 --processes 300 >/dev/null && "$A" ingest -q "$W/gen.pfcap" -d "$W/gen.db" &&
    "$A" html -d "$W/gen.db" -o "$W/gen.html" || exit 1

fail=0
for page in sample local gen; do
    # the probe runs after the report's own script
    sed '/<\/body>/d; /<\/html>/d' "$W/$page.html" >"$W/$page.probe.html"
    { printf '<script>\n'; cat "$HERE/layout_probe.js"; printf '</script>\n</body></html>\n'; } >>"$W/$page.probe.html"
    for width in 1400 800; do
        prof=$(mktemp -d)
        timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
            --disable-component-update --no-first-run --disable-sync --hide-scrollbars --user-data-dir="$prof" \
            --window-size=$width,1000 --dump-dom "file://$W/$page.probe.html" >"$W/$page-$width.dom" 2>/dev/null
        timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
            --disable-component-update --no-first-run --disable-sync --hide-scrollbars --user-data-dir="$prof" \
            --window-size=$width,2400 --screenshot="$W/$page-$width.png" "file://$W/$page.html" >/dev/null 2>&1
        rm -rf "$prof"
        golden=
        [ "$page" = sample ] && golden="$EXP/sample-$width.json"
        python3 "$HERE/check_layout.py" "$W/$page-$width.dom" "$width" "$golden" || fail=1
    done
done
[ $fail -eq 0 ] && echo "layout checks passed; screenshots in $W"
exit $fail
