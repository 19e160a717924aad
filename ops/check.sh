#!/usr/bin/env bash
# Checks lifetrace's operations kit (docs/operations.md); exit status non-zero on any failure.
#   1. promtool check rules   the rules file is valid
#   2. promtool test rules    every alert and recording rule against its unit tests
#   3. check_metric_names.py  every metric named in the rules' and the dashboard's PromQL is one
#                             lifetrace exports (exporters/metric_names.h), every label one
#                             exporters/metrics.cpp writes; the dashboard uses ${datasource}
#                             everywhere; every alert has a firing and a not-firing test case
#   4. the dashboard's queries parse (promtool check rules on them, dashboard_as_rules.py)
#   5. self-tests: copies with a misspelt metric, a misspelt label and a missing test case must
#      each fail (the check can fail)
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
"$python" "$here/check_metric_names.py" "$src" "$rules" "$dashboard" "$tests"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== the dashboard's queries parse"
"$python" "$here/dashboard_as_rules.py" "$dashboard" >"$tmp/dashboard.rules.yml"
promtool check rules "$tmp/dashboard.rules.yml"

# must_fail NAME EXPECTED_LINE RULES DASHBOARD TESTS: the check rejects this copy with that line.
must_fail() {
  local name=$1 expected=$2
  shift 2
  if "$python" "$here/check_metric_names.py" "$src" "$@" >"$tmp/out"; then
    echo "self-test '$name': the check accepted it" >&2
    exit 1
  fi
  grep -qF "$expected" "$tmp/out" || {
    echo "self-test '$name': expected '$expected' in:" >&2
    cat "$tmp/out" >&2
    exit 1
  }
  echo "ok: rejected $name"
}
# edit SED_EXPR IN OUT: a copy with one edit, which must change something.
edit() {
  sed "$1" "$2" >"$3"
  if cmp -s "$2" "$3"; then
    echo "self-test: '$1' changes nothing in $2; update the self-test" >&2
    exit 1
  fi
}

echo "== self-tests: the check fails on what it must reject"
edit 's/lifetrace_module_init_duration_seconds_bucket/lifetrace_module_init_duration_bucket/' \
  "$dashboard" "$tmp/metric.json"
must_fail "a misspelt metric in the dashboard" \
  "'lifetrace_module_init_duration_bucket' is not a metric" \
  "$rules" "$tmp/metric.json" "$tests"
edit 's/lifetrace_module_syscalls_denied_total\[10m\]/lifetrace_module_syscall_denied_total[10m]/' \
  "$rules" "$tmp/metric.rules.yml"
must_fail "a misspelt metric in the rules" \
  "'lifetrace_module_syscall_denied_total' is not a metric" \
  "$tmp/metric.rules.yml" "$dashboard" "$tests"
edit 's/sum by (language) (lifetrace_modules_loaded/sum by (langauge) (lifetrace_modules_loaded/' \
  "$dashboard" "$tmp/label.json"
must_fail "a misspelt label" "label 'langauge' is not one lifetrace exports" \
  "$rules" "$tmp/label.json" "$tests"
edit 's/alertname: LifetraceAbsent$/alertname: LifetraceAbsentX/' "$tests" "$tmp/cases.test.yml"
must_fail "an alert without a not-firing case" "no case where LifetraceAbsent does not fire" \
  "$rules" "$dashboard" "$tmp/cases.test.yml"
edit 's/increase(lifetrace_events_lost_total{/increase(lifetrace_events_lost_total{{/' \
  "$dashboard" "$tmp/syntax.json"
"$python" "$here/dashboard_as_rules.py" "$tmp/syntax.json" >"$tmp/syntax.rules.yml"
if promtool check rules "$tmp/syntax.rules.yml" >/dev/null 2>&1; then
  echo "self-test: promtool accepted a dashboard query with a syntax error" >&2
  exit 1
fi
echo "ok: rejected a dashboard query with a syntax error"
echo "== all checks passed"
