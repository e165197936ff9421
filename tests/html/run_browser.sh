#!/bin/sh
# SPDX-License-Identifier: MIT
# Renders HTML reports in headless chromium: the page must load without
# console errors (which includes blocked external resources), the DOM must
# hold the charts and sortable tables, and the sort script must have run.
# Screenshots are left in WORKDIR for a look; nothing here is committed.
# usage: run_browser.sh ANALYZE MKCAP PFGEN WORKDIR [SAMPLE.pfcap]  (exit 77: no chromium)
set -u
A=$1 MK=$2 GEN=$3 W=$4 SAMPLE=${5:-}
CHROME=${PF_CHROMIUM:-}
if [ -z "$CHROME" ]; then
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then CHROME=$c; break; fi
    done
fi
if [ -z "$CHROME" ]; then
    echo "SKIP: chromium not installed (Debian: apt-get install chromium)"
    exit 77
fi
rm -rf "$W" && mkdir -p "$W" || exit 1
"$MK" hostile "$W/hostile.pfcap" || exit 1
"$GEN" -o "$W/gen.pfcap" -n 50000 --seed 11 >/dev/null || exit 1
"$A" ingest -q "$W/hostile.pfcap" -d "$W/hostile.db" || exit 1
"$A" ingest -q "$W/gen.pfcap" -d "$W/gen.db" || exit 1
"$A" html -d "$W/hostile.db" -o "$W/hostile.html" || exit 1
"$A" html -d "$W/gen.db" -o "$W/gen.html" || exit 1
"$A" html -d "$W/gen.db" -o "$W/gen-window.html" --from +60s --to +90s || exit 1

pages="hostile gen gen-window"
if [ -n "$SAMPLE" ] && [ -e "$SAMPLE" ]; then
    "$A" ingest -q "$SAMPLE" -d "$W/sample.db" && "$A" html -d "$W/sample.db" -o "$W/sample.html" || exit 1
    pages="$pages sample"
fi

fail=0
browse() { # OUTFLAG PAGE LOGFILE
    prof=$(mktemp -d)
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --no-first-run --disable-sync --user-data-dir="$prof" \
        --enable-logging=stderr --v=0 --window-size=1280,1600 "$1" "file://$2" 2>"$3"
    rc=$?
    rm -rf "$prof"
    return $rc
}
for page in $pages; do
    if ! browse --dump-dom "$W/$page.html" "$W/$page.console.log" >"$W/$page.dom.html"; then
        echo "FAIL: $page: chromium failed"; fail=1; continue
    fi
    browse "--screenshot=$W/$page.png" "$W/$page.html" "$W/$page.shot.log" >/dev/null
    # console messages of the page (script errors, CSP refusals)
    if grep -E 'CONSOLE|Uncaught|Refused to|console error' "$W/$page.console.log" "$W/$page.shot.log"; then
        echo "FAIL: $page: console errors"; fail=1
    fi
    dom="$W/$page.dom.html"
    for want in '<svg' '<table class="sort">' 'id="top-talkers"' 'id="top-remotes"' 'id="udp-peers"' \
                'id="listeners"' 'id="short-lived"' 'id="processes"' '<article class="proc"' 'tabindex="0"'; do
        grep -q -F "$want" "$dom" || { echo "FAIL: $page: DOM lacks $want"; fail=1; }
    done
    [ -s "$W/$page.png" ] || { echo "FAIL: $page: no screenshot"; fail=1; }
    # the synthetic captures hold loss records: the banner must show
    if [ "$page" != sample ] && ! grep -q -F 'class="banner"' "$dom"; then
        echo "FAIL: $page: no loss banner"; fail=1
    fi
    # only our one script element survives: capture strings stayed text
    n=$(grep -o '<script' "$dom" | wc -l)
    [ "$n" -eq 1 ] || { echo "FAIL: $page: $n script elements"; fail=1; }
done
[ $fail -eq 0 ] && echo "browser checks passed; screenshots in $W"
exit $fail
