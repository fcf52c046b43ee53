#!/usr/bin/env python3
"""Checks the DOM that headless Chromium dumped after rendering a clcnn report.

usage: check_report_dom.py DOM.html KEY=VALUE...
  kind=training|tuning|bench     body[data-kind]
  chart:NAME=N                   a canvas[data-chart=NAME] that Chart.js drew, with data-points N
  charts=N                       body[data-charts]: how many charts were drawn
  confusion_total=N              the confusion matrix's cells (td[data-count]) sum to N
  confusion_cells=N              ... and there are N of them
  rows:ID=N                      table#ID has N body rows
  thumbs=N                       figure.thumb elements, each with an inline PNG
  present=ID                     an element with that id exists
Always: the page finished rendering (body[data-rendered=1]), no script error (data-errors=0 and
an empty #errors), and nothing is loaded from the network (no src/href to http(s) or //)."""
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.body = {}
        self.charts = {}
        self.cells = []
        self.ids = set()
        self.rows = {}
        self.table_stack = []
        self.in_tbody = False
        self.thumbs = 0
        self.pngs = 0
        self.remote = []
        self.errors_text = ""
        self.in_errors = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for k in ("src", "href"):
            v = a.get(k) or ""
            if v.startswith(("http:", "https:", "//")):
                self.remote.append(v)
        if tag == "body":
            self.body = a
        if tag == "canvas" and "data-chart" in a:
            self.charts[a["data-chart"]] = (a.get("data-points"), a.get("data-drawn"))
        if tag == "td" and "data-count" in a:
            self.cells.append(int(a["data-count"]))
        if tag == "table":
            self.table_stack.append(a.get("id"))
        if tag == "tbody":
            self.in_tbody = True
        if tag == "tr" and self.in_tbody and self.table_stack and self.table_stack[-1]:
            self.rows[self.table_stack[-1]] = self.rows.get(self.table_stack[-1], 0) + 1
        if tag == "figure" and "thumb" in (a.get("class") or "").split():
            self.thumbs += 1
        if tag == "img" and (a.get("src") or "").startswith("data:image/png;base64,"):
            self.pngs += 1
        if tag == "pre" and a.get("id") == "errors":
            self.in_errors = True

    def handle_endtag(self, tag):
        if tag == "table" and self.table_stack:
            self.table_stack.pop()
        if tag == "tbody":
            self.in_tbody = False
        if tag == "pre":
            self.in_errors = False

    def handle_data(self, data):
        if self.in_errors:
            self.errors_text += data


def main():
    dom = Dom()
    dom.feed(open(sys.argv[1], encoding="utf-8").read())
    bad = []
    if dom.body.get("data-rendered") != "1":
        bad.append("the page did not finish rendering (no body[data-rendered=1])")
    if dom.body.get("data-errors") != "0" or dom.errors_text.strip():
        bad.append("script errors: %s %r" % (dom.body.get("data-errors"), dom.errors_text.strip()))
    if dom.remote:
        bad.append("loads from the network: %s" % dom.remote)
    for arg in sys.argv[2:]:
        key, want = arg.split("=", 1)
        if key == "kind":
            got = dom.body.get("data-kind")
        elif key == "charts":
            got = dom.body.get("data-charts")
        elif key.startswith("chart:"):
            c = dom.charts.get(key[6:])
            got = c[0] if c and c[1] == "1" else None
        elif key == "confusion_total":
            got = str(sum(dom.cells))
        elif key == "confusion_cells":
            got = str(len(dom.cells))
        elif key.startswith("rows:"):
            got = str(dom.rows.get(key[5:], 0))
        elif key == "thumbs":
            got = str(dom.thumbs) if dom.thumbs == dom.pngs else "%d (%d PNGs)" % (dom.thumbs, dom.pngs)
        elif key == "present":
            got = want if want in dom.ids else None
        else:
            bad.append("unknown check " + key)
            continue
        if got != want:
            bad.append("%s: got %s, want %s" % (key, got, want))
    for b in bad:
        print("check_report_dom: " + b)
    if not bad:
        print("check_report_dom: ok (%d charts: %s)" % (len(dom.charts), ", ".join(
            "%s=%s" % (k, v[0]) for k, v in dom.charts.items())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
