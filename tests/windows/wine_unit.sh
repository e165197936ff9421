#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a Windows unit test (default test_win_glue.exe) under Wine.
#   wine_unit.sh WIN_BUILD_DIR WORK_DIR [EXE_NAME]
# Exits 77 (skip) when Wine or the cross build is missing.
set -u
win=$1 work=$2 name=${3:-test_win_glue.exe}
wine=$(command -v wine64 || true)
[ -z "$wine" ] && [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64
[ -n "$wine" ] || { echo "SKIP: wine64 not installed (apt-get install wine64)"; exit 77; }
exe=$win/recorder/windows/$name
[ -f "$exe" ] || { echo "SKIP: no cross build in $win (run scripts/cross-windows.sh)"; exit 77; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || true)
# Ends only the wine processes of this private prefix.
trap '[ -n "$wineserver" ] && "$wineserver" -k 2>/dev/null' EXIT
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "creating Wine prefix (first run is slow)"
  timeout 150 "$wine" wineboot -i >"$work/wineboot.log" 2>&1 || { echo "FAIL: wineboot"; exit 1; }
fi
timeout 60 "$wine" "$exe"
