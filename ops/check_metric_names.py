#!/usr/bin/python3
"""Fails if a PromQL expression in the rules or the dashboard names a metric lifetrace does not export.

The exported names come from exporters/metric_names.h (every "lifetrace_..." string); a name that
exporters/metrics.cpp registers with BuildHistogram() also gives _bucket, _sum and _count. Added:
Prometheus' own `up` (and scrape_*), and the recording rules the rules file defines (the endpoint
is lifetrace's own since it left prometheus-cpp's Exposer: no exposer_* families). Label names in
matchers and in by/without/on/ignoring must be ones exporters/metrics.cpp writes (or le,
quantile, job, instance).

Also: every panel and variable of the dashboard uses the ${datasource} variable (no hard-coded
UID), and with RULES_TEST every alert has a case where it fires and one where it does not, and
every recording rule is evaluated by a promql_expr_test.

    check_metric_names.py SRC_DIR RULES.yml DASHBOARD.json [RULES_TEST.yml]
"""
import json
import re
import sys

import yaml

PROMETHEUS = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan", "atan2"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile"}


def exported_names(src):
    header = open(f"{src}/exporters/metric_names.h").read()
    specs = dict(re.findall(r"constexpr\s+Spec\s+(k\w+)\s*\{\s*\"(lifetrace_\w+)\"", header))
    names = set(re.findall(r"\"(lifetrace_[a-z0-9_]+)\"", header))
    if not names or not specs:
        sys.exit(f"no metric names found in {src}/exporters/metric_names.h")
    cpp = open(f"{src}/exporters/metrics.cpp").read()
    histograms = re.findall(r"BuildHistogram\(\)\s*\.Name\(m::(k\w+)\.name\)", cpp)
    if not histograms:
        sys.exit(f"no BuildHistogram() found in {src}/exporters/metrics.cpp")
    for k in histograms:
        names |= {specs[k] + s for s in ("_bucket", "_sum", "_count")}
    return names | PROMETHEUS


def exported_labels(src):
    cpp = open(f"{src}/exporters/metrics.cpp").read()
    # Label pairs as metrics.cpp writes them: {"name", value}, where value is not a string literal
    # (that excludes lists of label values such as kResultNames).
    labels = set(re.findall(r'\{\{?"([a-z_]+)",(?!\s*")', cpp))
    if not labels:
        sys.exit(f"no label names found in {src}/exporters/metrics.cpp")
    return labels | {"le", "quantile", "job", "instance"}


def label_names_in(expr):
    e = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    found = set()
    for body in re.findall(r"\{([^}]*)\}", e):
        found |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", body))
    for body in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        found |= set(re.findall(r"[a-zA-Z_]\w*", body))
    return found - {"__name__"}


def check_datasources(dash):
    bad = []
    names = {v.get("name") for v in dash.get("templating", {}).get("list", [])
             if v.get("type") == "datasource"}
    if "datasource" not in names:
        bad.append("the dashboard has no 'datasource' template variable")

    def walk(node, where):
        if isinstance(node, dict):
            ds = node.get("datasource")
            if isinstance(ds, dict) and ds.get("uid") != "${datasource}":
                bad.append(f"{where}: datasource {ds} is not the ${{datasource}} variable")
            elif isinstance(ds, str) and ds != "${datasource}":
                bad.append(f"{where}: datasource '{ds}' is not the ${{datasource}} variable")
            for k, v in node.items():
                walk(v, f"{where}/{node.get('title') or node.get('name') or k}")
        elif isinstance(node, list):
            for v in node:
                walk(v, where)
    walk(dash.get("panels", []), "panels")
    walk([v for v in dash.get("templating", {}).get("list", []) if v.get("type") != "datasource"],
         "templating")
    return bad


def check_rule_tests(rules, tests_path):
    tests = yaml.safe_load(open(tests_path))
    firing, quiet, evaluated = set(), set(), set()
    for t in tests.get("tests", []):
        for a in t.get("alert_rule_test", []):
            (firing if a.get("exp_alerts") else quiet).add(a["alertname"])
        for p in t.get("promql_expr_test", []):
            evaluated |= set(re.findall(r"[a-zA-Z_:][\w:]*", p["expr"]))
    bad = []
    for g in rules["groups"]:
        for r in g["rules"]:
            if "alert" in r:
                if r["alert"] not in firing:
                    bad.append(f"{tests_path}: no case where {r['alert']} fires")
                if r["alert"] not in quiet:
                    bad.append(f"{tests_path}: no case where {r['alert']} does not fire")
            elif r["record"] not in evaluated:
                bad.append(f"{tests_path}: recording rule {r['record']} is never evaluated")
    return bad


def metric_names_in(expr):
    """The metric names an expression selects (a small PromQL lexer, not a parser)."""
    e = re.sub(r"\$\{[^}]*\}|\$\w+", "1m", expr)                # Grafana variables
    e = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', e)  # strings
    e = re.sub(r"\{[^}]*\}", " ", e)                             # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                            # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"#[^\n]*", " ", e)                               # comments
    found = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", e):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in KEYWORDS or name in AGGREGATIONS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", name) or re.fullmatch(r"[eE]\d+", name):
            continue
        found.add(name)
    return found


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    src, rules_path, dashboard_path = sys.argv[1:4]
    known = exported_names(src)
    known_labels = exported_labels(src)

    exprs = []  # (where, expr)
    rules = yaml.safe_load(open(rules_path))
    for g in rules["groups"]:
        for r in g["rules"]:
            if "record" in r:
                known.add(r["record"])
    for g in rules["groups"]:
        for r in g["rules"]:
            exprs.append((f"{rules_path}: {r.get('record') or r.get('alert')}", r["expr"]))

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    dash = json.load(open(dashboard_path))
    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                exprs.append((f"{dashboard_path}: panel '{p.get('title')}'", t["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if v.get("type") == "query":
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", q or "")
            if m:
                exprs.append((f"{dashboard_path}: variable '{v.get('name')}'", m.group(1)))

    problems = check_datasources(dash)
    if len(sys.argv) == 5:
        problems += check_rule_tests(rules, sys.argv[4])
    for p in problems:
        print(p)
    bad = len(problems)
    used = set()
    for where, expr in exprs:
        for label in sorted(label_names_in(expr) - known_labels):
            print(f"{where}: label '{label}' is not one lifetrace exports (exporters/metrics.cpp)")
            bad += 1
        names = metric_names_in(expr)
        if not names:
            print(f"{where}: no metric name found in: {expr}")
            bad += 1
        for n in sorted(names):
            used.add(n)
            if n not in known:
                print(f"{where}: '{n}' is not a metric lifetrace exports "
                      f"(exporters/metric_names.h) nor a recording rule")
                bad += 1
    if bad:
        print(f"FAILED: {bad} problems in {len(exprs)} expressions")
        return 1
    print(f"OK: {len(exprs)} expressions use {len(used)} metric names, all exported; "
          f"labels, data sources{' and rule test coverage' if len(sys.argv) == 5 else ''} checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
