#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the Debian packages from a clean copy of the source tree
# (dpkg-buildpackage -us -uc -b), runs lintian (no error allowed; the tags
# kept are listed in docs/packaging.md), checks the file lists,
# conffiles, dependencies and maintainer scripts, and installs both packages
# into a throwaway root with dpkg --root (twice: an upgrade must leave the
# captures and databases already in /var/lib/procflow untouched).
# Exit 77 when the packaging tools or build dependencies are missing.
# usage: run_deb.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
for t in dpkg-buildpackage dpkg-checkbuilddeps dh lintian dpkg-deb; do
    command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/deps.sh installs it)"; exit 77; }
done
rm -rf "$work"
mkdir -p "$work/src"
fail=0
bad() { echo "FAIL $*"; fail=1; }

# 1. A clean tree: the files git knows (tracked and new, not ignored), no
#    build directories.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # (files deleted but not yet committed are skipped)
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work/src"
else
    (cd "$src" && tar --exclude='./build*' --exclude='./obj-*' -cf - .) | tar -xf - -C "$work/src"
fi
(cd "$work/src" && dpkg-checkbuilddeps) >"$work/builddeps.log" 2>&1 ||
    { echo "SKIP: build dependencies missing: $(cat "$work/builddeps.log")"; exit 77; }

start=$(date +%s)
if ! (cd "$work/src" && DEB_BUILD_OPTIONS="parallel=${PF_DEB_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log"; echo "FAIL dpkg-buildpackage (log: $work/build.log)"; exit 1
fi
secs=$(($(date +%s) - start))
echo "ok dpkg-buildpackage -us -uc -b: ${secs} s"
[ -n "${PF_FIGURES_DIR:-}" ] && printf 'dist\tDebian package build (s)\t%s\n' "$secs" >"$PF_FIGURES_DIR/dist.deb.tsv"
grep -E '(^|[^-])warning:' "$work/build.log" | grep -v 'dpkg-' && bad "compiler warnings in the package build"

rec=$(ls "$work"/procflow-record_*.deb) ana=$(ls "$work"/procflow-analyze_*.deb)

# 2. lintian: no error, no warning (info tags are listed, not failed).
lintian --pedantic -I "$work"/*.changes >"$work/lintian.txt" 2>&1 || true
grep -v '^N:' "$work/lintian.txt" | grep -v 'running with root privileges' | sed 's/^/  lintian: /'
if grep -qE '^[EW]: ' "$work/lintian.txt"; then bad "lintian errors or warnings"; else echo "ok lintian: no errors, no warnings"; fi

# 3. File lists.
list() { dpkg-deb -c "$1" | awk '{ print $1, $NF }' | sed 's| \./| /|' | grep -v '/$' | LC_ALL=C sort; }
list "$rec" >"$work/record.files"
cat >"$work/record.want" <<'LIST'
-rw-r--r-- /etc/default/procflow-record
-rw-r--r-- /lib/systemd/system/procflow-record.service
-rw-r--r-- /usr/share/bash-completion/completions/procflow-record
-rw-r--r-- /usr/share/doc/procflow-record/README.md.gz
-rw-r--r-- /usr/share/doc/procflow-record/changelog.gz
-rw-r--r-- /usr/share/doc/procflow-record/copyright
-rw-r--r-- /usr/share/man/man1/procflow-record.1.gz
-rwxr-xr-x /usr/bin/procflow-record
-rwxr-xr-x /usr/libexec/procflow/procflow-record-ring
LIST
list "$ana" >"$work/analyze.files"
cat >"$work/analyze.want" <<'LIST'
-rw-r--r-- /lib/systemd/system/procflow-ingest.service
-rw-r--r-- /lib/systemd/system/procflow-ship.service
-rw-r--r-- /usr/share/bash-completion/completions/procflow-analyze
-rw-r--r-- /usr/share/doc/procflow-analyze/README.md.gz
-rw-r--r-- /usr/share/doc/procflow-analyze/changelog.gz
-rw-r--r-- /usr/share/doc/procflow-analyze/copyright
-rw-r--r-- /usr/share/man/man1/procflow-analyze.1.gz
-rw-r--r-- /usr/share/man/man5/procflow-capture.5.gz
-rwxr-xr-x /usr/bin/procflow-analyze
LIST
for p in record analyze; do
    LC_ALL=C sort -o "$work/$p.want" "$work/$p.want"
    if cmp -s "$work/$p.want" "$work/$p.files"; then echo "ok file list of procflow-$p ($(wc -l <"$work/$p.files") files)"
    else bad "file list of procflow-$p (< want, > got)"; diff "$work/$p.want" "$work/$p.files" || true; fi
done

# 4. Control data: dependencies, conffiles, maintainer scripts.
deps() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | LC_ALL=C sort | tr '\n' ' '; }
[ "$(deps "$rec")" = "adduser libbpf1 libc6 libsodium23 libzstd1 " ] || bad "procflow-record Depends: $(deps "$rec")"
[ "$(deps "$ana")" = "adduser libc6 libcurl4 libsodium23 libsqlite3-0 libzstd1 " ] || bad "procflow-analyze Depends: $(deps "$ana")"
dpkg-deb -f "$rec" Depends | grep -q libbpf1 && echo "ok depends: $(dpkg-deb -f "$rec" Depends) | $(dpkg-deb -f "$ana" Depends)"
for p in record analyze; do
    deb=$(ls "$work"/procflow-${p}_*.deb)
    mkdir -p "$work/ctl-$p"
    dpkg-deb -e "$deb" "$work/ctl-$p"
    for s in preinst postinst prerm postrm; do
        f=$work/ctl-$p/$s
        [ -f "$f" ] || continue
        sh -n "$f" || bad "procflow-$p $s: not valid sh"
        # data in /var/lib/procflow is never removed by a maintainer script
        grep -nE 'rm .*(/var/lib/procflow|\$)' "$f" && bad "procflow-$p $s removes files"
    done
    [ ! -f "$work/ctl-$p/preinst" ] || bad "procflow-$p has a preinst (unexpected)"
    grep -q 'adduser --quiet --system --group' "$work/ctl-$p/postinst" || bad "procflow-$p postinst does not create the user"
    grep -q "getent passwd procflow" "$work/ctl-$p/postinst" || bad "procflow-$p postinst re-creates an existing user"
    # installed disabled: postinst only re-enables a unit the admin had enabled
    grep -q "deb-systemd-helper enable" "$work/ctl-$p/postinst" && ! grep -q "was-enabled" "$work/ctl-$p/postinst" &&
        bad "procflow-$p enables its service on install"
done
[ "$(cat "$work/ctl-record/conffiles")" = /etc/default/procflow-record ] || bad "conffiles: $(cat "$work/ctl-record/conffiles")"
[ $fail -eq 0 ] && echo "ok control: depends, conffiles, maintainer scripts"

# 5. Install into a throwaway root that already holds a capture and a
#    database (the data of an earlier version), then upgrade over it. The
#    root gets a /bin/sh (copied with its libraries) so dpkg can run the
#    scripts an unpack and an upgrade call (prerm/postrm upgrade); configure
#    (postinst: adduser, systemd) needs a full system and is checked above
#    by content only, so conffiles stay NAME.dpkg-new here.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/procflow/db" "$root/bin"
: >"$root/var/lib/dpkg/status"
chroot_ok=0
if [ "$(id -u)" -eq 0 ] && command -v ldd >/dev/null; then
    shell=$(readlink -f /bin/sh)
    cp "$shell" "$root/bin/sh"
    for lib in $(ldd "$shell" | grep -oE '/[^ ]+'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    chroot "$root" /bin/sh -c 'exit 0' 2>/dev/null && chroot_ok=1
fi
cp "$src/tests/compat/pfcap-1.0.pfcap" "$root/var/lib/procflow/old.pfcap"
(cd "$root/var/lib/procflow" && cksum old.pfcap) >"$work/data.before"
dp() { dpkg --root="$root" --force-not-root --force-depends --log=/dev/null "$@"; }
dp --unpack "$rec" "$ana" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; bad "dpkg --root --unpack"; }
for f in /usr/bin/procflow-record /usr/bin/procflow-analyze /lib/systemd/system/procflow-record.service \
         /lib/systemd/system/procflow-ingest.service /usr/share/man/man1/procflow-analyze.1.gz \
         /usr/share/bash-completion/completions/procflow-analyze /etc/default/procflow-record.dpkg-new; do
    [ -e "$root$f" ] || bad "$f not installed"
done
dp -L procflow-record | grep -qx /usr/libexec/procflow/procflow-record-ring || bad "dpkg -L procflow-record"
# the installed programs run and read the data already there
"$root/usr/bin/procflow-record" --help >/dev/null 2>&1 || bad "installed procflow-record does not run"
"$root/usr/bin/procflow-analyze" ingest "$root/var/lib/procflow/old.pfcap" -d "$root/var/lib/procflow/db/procflow.db" \
    --quiet || bad "installed procflow-analyze cannot ingest the old capture"
(cd "$root/var/lib/procflow" && cksum old.pfcap db/procflow.db) >"$work/data.before"
if [ $chroot_ok -eq 1 ]; then
    dp --unpack "$rec" "$ana" >"$work/dpkg2.log" 2>&1 || { cat "$work/dpkg2.log"; bad "dpkg --root --unpack (upgrade)"; }
    grep -q "Unpacking procflow-record (.*) over" "$work/dpkg2.log" || bad "second unpack was not an upgrade"
    upgraded="upgrade keeps the capture and database"
else
    upgraded="upgrade step skipped (needs root for chroot)"
fi
(cd "$root/var/lib/procflow" && cksum old.pfcap db/procflow.db) >"$work/data.after"
cmp -s "$work/data.before" "$work/data.after" || bad "installing changed the captures or the database"
[ $fail -eq 0 ] && echo "ok dpkg --root: unpacked over existing data, programs run, $upgraded"
exit $fail
