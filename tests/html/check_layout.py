#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the layout JSON layout_probe.js left in a dumped DOM: the page
does not scroll sideways, tables fit their sections, chart labels stay inside
their charts; with GOLDEN, the main elements' x and width match it within
2 px and come in the same order (y increasing). PF_UPDATE_EXPECTED=1 writes
GOLDEN. usage: check_layout.py DOM WIDTH [GOLDEN]"""
import html
import json
import os
import re
import sys


def main():
    dom, width = sys.argv[1], int(sys.argv[2])
    golden = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    text = open(dom, encoding="utf-8").read()
    m = re.search(r'<pre id="pf-layout">(.*?)</pre>', text, re.S)
    tag = "%s@%d" % (os.path.basename(dom), width)
    if not m:
        print("FAIL: %s: no layout recorded (page script failed?)" % tag)
        return 1
    lay = json.loads(html.unescape(m.group(1)))
    bad = []
    if lay["vw"] != width:
        bad.append("viewport %d px, asked for %d" % (lay["vw"], width))
    if lay["sw"] > lay["vw"]:
        bad.append("page is %d px wide in a %d px window" % (lay["sw"], lay["vw"]))
    for t in lay["tables"]:
        if t["right"] > t["limit"] + 1 or t["scroll"]:
            bad.append("table in #%s (%s) ends at %d, its section at %d%s" % (
                t["sec"], t["cls"], t["right"], t["limit"], ", scrolls" if t["scroll"] else ""))
    for c in lay["clipped"]:
        bad.append("chart label cut: " + c)
    els = lay["els"]
    ys = [e["b"][1] for e in els if not e["k"].startswith("body")]
    if ys != sorted(ys):
        bad.append("elements out of order")
    if golden:
        mine = [{"k": e["k"], "x": e["b"][0], "w": e["b"][2]} for e in els]
        if os.environ.get("PF_UPDATE_EXPECTED") == "1":
            with open(golden, "w", encoding="utf-8") as f:
                f.write("[\n" + ",\n".join(json.dumps(e) for e in mine) + "\n]\n")
        else:
            want = json.load(open(golden, encoding="utf-8"))
            if [e["k"] for e in want] != [e["k"] for e in mine]:
                bad.append("elements differ from %s: %s" % (
                    os.path.basename(golden), [e["k"] for e in mine][:40]))
            else:
                for a, b in zip(want, mine):
                    if abs(a["x"] - b["x"]) > 2 or abs(a["w"] - b["w"]) > 2:
                        bad.append("%s at x=%d w=%d, expected x=%d w=%d" % (b["k"], b["x"], b["w"], a["x"], a["w"]))
    for b in bad[:30]:
        print("FAIL: %s: %s" % (tag, b))
    if not bad:
        spare = min((t["spare"] for t in lay["tables"]), default=0)
        print("%s: %d elements, %d tables fit (narrowest margin %d px), no label cut" % (
            tag, len(els), len(lay["tables"]), spare))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
