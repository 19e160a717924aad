#!/usr/bin/env bash
# CTest bench.footprint.report: report.awk on a recorded 7.2 guest log (testdata/sid-before.log,
# the FOOT lines of a real run of main before the footprint work) must print the figures that
# run printed, fail --check (targets missed), pass --check on a copy whose figures meet every
# target, and refuse a log without figures.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
report=$here/report.awk
data=$here/testdata/sid-before.log
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$(awk -f "$report" "$data") || fail "report.awk exited $? on $data"
for want in \
  'footprint on 7.2.13+deb14-amd64 (7 loads per module and phase, 30 s idle)' \
  'start to ready             22935 ms (0.88x)       18591 ms (0.71x)       26075 ms' \
  'resident, tracing (max)    28.4 MB (0.25x)        28.9 MB (0.25x)        115.4 MB' \
  'peak (VmHWM)               45.9 MB (0.40x)        44.5 MB (0.39x)        115.4 MB' \
  'idle wake-ups              0.00/s (0)             0.50/s (15)            9.50/s (285)' \
  'threads                    1                      10                     1' \
  'drm load (median)          859.66 ms (0.40x)      3195.97 ms (1.47x)     4116.08 ms (1.89x)       no tracer 2174.44 ms' \
  'dummy load (median)        58.57 ms (0.34x)       71.83 ms (0.42x)       189.35 ms (1.10x)        no tracer 172.03 ms'; do
  grep -qF -- "$want" <<<"$out" || fail "missing line: $want"
done

# Logs with smaps_rollup figures get PSS and USS rows; older ones (the recorded run) none.
grep -q 'proportional (PSS)' <<<"$out" && fail "a PSS row from a log without pss_kb"
sed -E '/what=mem/{/phase=follow/s/rss_kb=[0-9]+/& pss_kb=4096 uss_kb=2048/;/phase=bpftrace/s/rss_kb=[0-9]+/& pss_kb=8192 uss_kb=1024/}' \
  "$data" | awk -f "$report" >"$tmp/pss.txt"
grep -qF '  proportional (PSS)       4.0 MB (0.50x)' "$tmp/pss.txt" || fail "no PSS row: $(cat "$tmp/pss.txt")"
grep -qF '  private (USS)            2.0 MB (2.00x)' "$tmp/pss.txt" || fail "no USS row: $(cat "$tmp/pss.txt")"

awk -v check=1 -f "$report" "$data" >"$tmp/check.txt"
rc=$?
[[ $rc -eq 1 ]] || fail "--check on the recorded (too large) run exited $rc, not 1"
grep -q 'MISSED' "$tmp/check.txt" || fail "--check printed no MISSED verdict"

# The same run with figures that meet every target: 9 MB resident, 12 MB peak, ready in a
# quarter of bpftrace's time, no idle wake-up.
sed -E -e '/phase=(follow|daemon) what=mem/{s/rss_kb=[0-9]+/rss_kb=9216/;s/hwm_kb=[0-9]+/hwm_kb=12288/}' \
  -e '/phase=(follow|daemon) what=ready/s/ready_ms=[0-9.]+/ready_ms=6000/' \
  -e '/phase=daemon what=idle/s/idle_ctxsw=[0-9]+/idle_ctxsw=0/' "$data" >"$tmp/good.log"
awk -v check=1 -f "$report" "$tmp/good.log" >"$tmp/good.txt"
rc=$?
[[ $rc -eq 0 ]] || { fail "--check on a run meeting the targets exited $rc, not 0"; cat "$tmp/good.txt"; }
grep -q 'every target met' "$tmp/good.txt" || fail "--check printed no 'every target met'"

# One target missed (an idle wake-up) is enough to fail.
sed -E '/phase=daemon what=idle/s/idle_ctxsw=[0-9]+/idle_ctxsw=1/' "$tmp/good.log" >"$tmp/one.log"
awk -v check=1 -f "$report" "$tmp/one.log" >/dev/null
rc=$?
[[ $rc -eq 1 ]] || fail "--check with one idle wake-up exited $rc, not 1"

# The no-tracer spread: five loads of 1..5 ms give a median of 3 ms and a middle half of 2-4 ms
# (quartiles between ranks), six of 1..6 ms a median of 3.5 and 2.25-4.75.
{
  echo "FOOT kernel=test reps=5 idle_s=1"
  for us in 5000 1000 4000 2000 3000; do echo "FOOT phase=none module=drm load_us=$us unload_us=1"; done
  for us in 6000 1000 5000 2000 4000 3000; do echo "FOOT phase=none module=dummy load_us=$us unload_us=1"; done
  echo "FOOT phase=follow what=ready ready_ms=1"
} >"$tmp/spread.log"
out=$(awk -f "$report" "$tmp/spread.log")
grep -qF 'no tracer 3.00 ms, middle half 2.00-4.00' <<<"$out" || fail "drm spread not 3.00 / 2.00-4.00: $out"
grep -qF 'no tracer 3.50 ms, middle half 2.25-4.75' <<<"$out" || fail "dummy spread not 3.50 / 2.25-4.75: $out"

echo "no figures here" >"$tmp/empty.log"
awk -f "$report" "$tmp/empty.log" >/dev/null 2>&1
rc=$?
[[ $rc -eq 2 ]] || fail "report.awk on a log without FOOT lines exited $rc, not 2"

if ((fails)); then echo "report-selftest: $fails failure(s)"; exit 1; fi
echo "report-selftest: all checks passed"
