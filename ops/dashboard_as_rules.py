#!/usr/bin/python3
"""Prints the Grafana dashboard's queries as a Prometheus rules file, so `promtool check rules`
parses every one of them (Grafana variables replaced by values of the right type).

    dashboard_as_rules.py DASHBOARD.json > dashboard.rules.yml
"""
import json
import re
import sys

import yaml

VALUES = {"__rate_interval": "5m", "__interval": "1m", "__range": "6h", "job": "lifetrace",
          "instance": ".*", "language": ".*"}


def substitute(expr):
    def value(m):
        name = m.group(1) or m.group(2)
        if name not in VALUES:
            sys.exit(f"unknown Grafana variable ${name} in: {expr}")
        return VALUES[name]
    return re.sub(r"\$\{(\w+)[^}]*\}|\$(\w+)", value, expr)


def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dash = json.load(open(sys.argv[1]))
    rules = []
    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                rules.append({"record": f"dashboard:panel_{p['id']}_{t['refId']}",
                              "expr": substitute(t["expr"])})
    if not rules:
        sys.exit("no queries found in the dashboard")
    print(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False))


if __name__ == "__main__":
    main()
