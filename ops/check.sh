#!/usr/bin/env bash
# Checks lifetrace's operations kit (docs/operations.md); exit status non-zero on any failure.
#   1. promtool check rules   the rules file is valid
#   2. promtool test rules    every alert and recording rule against its unit tests
#   3. check_metric_names.py  every metric named in the rules' and the dashboard's PromQL is one
#                             lifetrace exports (exporters/metric_names.h)
#   4. the same check on a copy with a misspelt metric must fail (the check can fail)
# Run from anywhere; CTest runs it as ops.check (tests/ops/CMakeLists.txt).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
rules=$here/prometheus/lifetrace.rules.yml
tests=$here/prometheus/lifetrace.rules.test.yml
dashboard=$here/grafana/lifetrace-dashboard.json
python=/usr/bin/python3   # Debian's, with python3-yaml (scripts/install-deps.sh --tests)

command -v promtool >/dev/null || { echo "promtool not found (Debian package prometheus)" >&2; exit 1; }

echo "== promtool check rules"
promtool check rules "$rules"
echo "== promtool test rules"
# promtool resolves rule_files relative to the test file's directory.
promtool test rules "$tests"
echo "== metric names"
"$python" "$here/check_metric_names.py" "$src" "$rules" "$dashboard"

echo "== the name check fails on a misspelt metric"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/lifetrace_module_init_duration_seconds_bucket/lifetrace_module_init_duration_bucket/' \
  "$dashboard" >"$tmp/misspelt.json"
if cmp -s "$dashboard" "$tmp/misspelt.json"; then
  echo "self-test: the dashboard no longer uses lifetrace_module_init_duration_seconds_bucket" >&2
  exit 1
fi
if "$python" "$here/check_metric_names.py" "$src" "$rules" "$tmp/misspelt.json" >"$tmp/out"; then
  echo "self-test: check_metric_names.py accepted a misspelt metric name" >&2
  exit 1
fi
grep -q "'lifetrace_module_init_duration_bucket' is not a metric" "$tmp/out" || {
  echo "self-test: unexpected output:" >&2; cat "$tmp/out" >&2; exit 1; }
echo "ok: rejected lifetrace_module_init_duration_bucket"
echo "== all checks passed"
