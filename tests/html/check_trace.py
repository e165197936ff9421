#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks a chrome-trace export against the Trace Event Format (JSON object
form): field types, ph values, ts >= 0, complete (X) slices nesting on each
thread, B/E pairs matching, counters numeric and in time order per track,
metadata events naming processes and threads. Prints one line per problem;
exit 1 on any. usage: check_trace.py TRACE.json [MIN_EVENTS]"""
import json
import math
import sys

KNOWN_PH = set("BEXiIbneCMsftPONDRcv(),")  # every phase the format defines
META_NAMES = {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"}


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def main():
    path = sys.argv[1]
    min_events = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    problems = []

    def bad(i, msg):
        problems.append("%s: event %d: %s" % (path, i, msg))

    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        print("%s: not a JSON object with a traceEvents array" % path)
        return 1
    if doc.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        problems.append("%s: displayTimeUnit must be ms or ns" % path)
    if "otherData" in doc and not isinstance(doc["otherData"], dict):
        problems.append("%s: otherData must be an object" % path)
    events = doc["traceEvents"]
    if len(events) < min_events:
        problems.append("%s: %d events, expected at least %d" % (path, len(events), min_events))

    open_b = {}        # (pid, tid) -> stack of B names
    slices = {}        # (pid, tid) -> [(ts, end)]
    counters = {}      # (pid, name) -> last ts
    named_pids, named_threads, used_pids, used_threads = set(), set(), set(), set()
    for i, e in enumerate(events):
        if not isinstance(e, dict):
            bad(i, "not an object")
            continue
        ph = e.get("ph")
        if not isinstance(ph, str) or ph not in KNOWN_PH:
            bad(i, "ph %r is not a trace-event phase" % (ph,))
            continue
        if not isinstance(e.get("name"), str) or not e["name"]:
            bad(i, "name missing or not a string")
        for k in ("pid", "tid"):
            if k in e and (not isinstance(e[k], int) or isinstance(e[k], bool)):
                bad(i, "%s is not an integer" % k)
        if "pid" not in e:
            bad(i, "no pid")
        if "args" in e and not isinstance(e["args"], dict):
            bad(i, "args is not an object")
        if "cat" in e and not isinstance(e["cat"], str):
            bad(i, "cat is not a string")
        key = (e.get("pid"), e.get("tid", 0))
        if ph == "M":
            if e.get("name") not in META_NAMES:
                bad(i, "unknown metadata name %r" % e.get("name"))
            args = e.get("args", {})
            if e.get("name") in ("process_name", "thread_name"):
                if not isinstance(args.get("name"), str):
                    bad(i, "%s without a string args.name" % e.get("name"))
                (named_pids if e["name"] == "process_name" else named_threads).add(
                    e.get("pid") if e["name"] == "process_name" else key)
            if e.get("name") == "process_labels" and not isinstance(args.get("labels"), str):
                bad(i, "process_labels without a string args.labels")
            continue
        ts = e.get("ts")
        if not num(ts):
            bad(i, "ts %r is not a finite number" % (ts,))
            continue
        if ts < 0:
            bad(i, "negative ts %r" % ts)
        used_pids.add(e.get("pid"))
        if ph == "X":
            d = e.get("dur")
            if not num(d) or d < 0:
                bad(i, "X event with dur %r" % (d,))
                continue
            slices.setdefault(key, []).append((ts, ts + d, i))
            used_threads.add(key)
        elif ph == "B":
            open_b.setdefault(key, []).append((e.get("name"), i))
            used_threads.add(key)
        elif ph == "E":
            st = open_b.get(key)
            if not st:
                bad(i, "E without a matching B on pid %r tid %r" % key)
            else:
                st.pop()
        elif ph == "C":
            args = e.get("args")
            if not isinstance(args, dict) or not args:
                bad(i, "counter without values")
            elif not all(num(v) for v in args.values()):
                bad(i, "counter with non-numeric value")
            elif any(v < 0 for v in args.values()):
                bad(i, "negative counter value")
            ck = (e.get("pid"), e.get("name"))
            if ck in counters and ts < counters[ck]:
                bad(i, "counter %r of pid %r goes back in time" % (e.get("name"), e.get("pid")))
            counters[ck] = ts
    for key, st in open_b.items():
        for name, i in st:
            bad(i, "B %r never ended (pid %r tid %r)" % ((name,) + key))
    # X slices on one thread must nest (a slice starting inside another ends inside it)
    for key, sl in slices.items():
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for b, e, i in sl:
            while stack and stack[-1] <= b:
                stack.pop()
            if stack and e > stack[-1] + 1e-6:
                bad(i, "X slice overlaps another on pid %r tid %r without nesting" % key)
            stack.append(e)
    for p in sorted(used_pids - named_pids, key=repr):
        problems.append("%s: pid %r has events but no process_name" % (path, p))
    for t in sorted(used_threads - named_threads, key=repr):
        problems.append("%s: thread %r has slices but no thread_name" % (path, t))
    for p in problems[:50]:
        print("FAIL: " + p)
    if not problems:
        print("%s: %d events, valid trace-event format" % (path, len(events)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
