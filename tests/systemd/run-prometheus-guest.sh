#!/usr/bin/env bash
# A real Prometheus server (Debian's prometheus, on 127.0.0.1 with a temporary configuration)
# scrapes `lifetrace daemon` running in the sid (7.2) guest, and a PromQL query through its HTTP
# API must find the Rust modules that loaded there.
#
# Usage: tests/systemd/run-prometheus-guest.sh --lifetrace BIN --out DIR [--timeout SEC]
#
# The guest is booted by tests/vm/run-guest.sh with tests/systemd/daemon_prometheus.sh. Its NIC
# (virtio-net, qemu user networking) forwards 127.0.0.1:PORT on the host to the daemon's :9477
# and another port to the guest's 7000, where the scenario waits until the host is done.
# run-guest.sh --qemu-arg adds the -nic option. Results in DIR: those of run-guest.sh, plus
# prometheus.log, promql.json (the query's answer), metrics.txt (a direct scrape, linted with promtool).
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

lifetrace="" out="" timeout_s=${LIFETRACE_VM_TIMEOUT:-600}
while (($#)); do
  case $1 in
    --lifetrace) lifetrace=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    *) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
  esac
done
[[ -n $lifetrace && -x $lifetrace && -n $out ]] || die "--lifetrace BIN and --out DIR are required"
for t in prometheus promtool curl qemu-system-x86_64 ss; do
  command -v "$t" >/dev/null || die "'$t' not found; run scripts/install-deps.sh --tests"
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/{prometheus.log,promql.json,metrics.txt,up.json}

"$repo/tests/vm/kernels.sh" --env-file "$out/sid.env" sid >/dev/null || die "could not get the sid kernel"

# Three free loopback ports: the daemon (forwarded), the guest's "done" port, Prometheus.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  die "no free port found"
}
metrics_port=$(free_port); done_port=$(free_port); prom_port=$(free_port)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-prom.XXXXXX")
guest_pid="" prom_pid=""
cleanup() {
  [[ -z $prom_pid ]] || kill "$prom_pid" 2>/dev/null || true
  [[ -z $guest_pid ]] || kill "$guest_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

note "booting sid; daemon's metrics on 127.0.0.1:$metrics_port, Prometheus on 127.0.0.1:$prom_port"
"$repo/tests/vm/run-guest.sh" --kernel-env "$out/sid.env" \
  --scenario "$here/daemon_prometheus.sh" --out "$out" --lifetrace "$lifetrace" \
  --qemu-arg -nic \
  --qemu-arg "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$metrics_port-:9477,hostfwd=tcp:127.0.0.1:$done_port-:7000" \
  --timeout "$timeout_s" >"$tmp/guest.log" 2>&1 &
guest_pid=$!

cat >"$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lifetrace
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
YML
timeout -k 5 "$timeout_s" prometheus --config.file="$tmp/prometheus.yml" \
  --storage.tsdb.path="$tmp/tsdb" --web.listen-address="127.0.0.1:$prom_port" \
  >"$out/prometheus.log" 2>&1 &
prom_pid=$!

# Wait until the guest's modules are loaded (or the guest is gone).
t0=$(date +%s)
until grep -q '@@LT-SCRAPE-READY@@' "$out/scenario.log" 2>/dev/null; do
  if ! kill -0 "$guest_pid" 2>/dev/null; then
    cat "$tmp/guest.log" >&2
    die "the guest stopped before the modules were loaded (results in $out)"
  fi
  (($(date +%s) - t0 < timeout_s)) || die "the guest was not ready within ${timeout_s}s"
  sleep 1
done
note "guest ready after $(($(date +%s) - t0)) s; querying Prometheus"

api=http://127.0.0.1:$prom_port/api/v1/query
query='sum(lifetrace_module_loads_total{language="rust",result="live"})'
value=""
for _ in $(seq 1 60); do
  if curl -sf --max-time 5 --get "$api" --data-urlencode "query=$query" >"$out/promql.json" 2>/dev/null; then
    value=$(sed -n 's/.*"value":\[[0-9.]*,"\([0-9.]*\)"\].*/\1/p' "$out/promql.json")
    [[ -n $value ]] && awk -v v="$value" 'BEGIN { exit !(v >= 2) }' && break
  fi
  sleep 1
done
curl -sf --max-time 5 --get "$api" --data-urlencode 'query=up{job="lifetrace"}' >"$out/up.json" || true
curl -sf --max-time 10 "http://127.0.0.1:$metrics_port/metrics" >"$out/metrics.txt" || true
lint=$(promtool check metrics <"$out/metrics.txt" 2>&1) || true

# Release the guest: it stops the daemon and checks the follow client.
exec 3<>"/dev/tcp/127.0.0.1/$done_port" && exec 3>&- || note "could not reach the guest's port 7000"
guest_rc=0
wait "$guest_pid" || guest_rc=$?
guest_pid=""
cat "$tmp/guest.log" >&2

fails=0
note "PromQL $query -> ${value:-nothing} ($(cat "$out/promql.json" 2>/dev/null))"
note "PromQL up{job=\"lifetrace\"} -> $(cat "$out/up.json" 2>/dev/null)"
if [[ -z $value ]] || ! awk -v v="$value" 'BEGIN { exit !(v >= 2) }'; then
  note "FAIL: expected at least 2 Rust modules live"; fails=$((fails + 1))
fi
if [[ ! -s $out/metrics.txt ]]; then
  note "FAIL: no direct scrape of the daemon's /metrics"; fails=$((fails + 1))
elif [[ -n $lint ]]; then
  note "FAIL: promtool check metrics: $lint"; fails=$((fails + 1))
else
  note "promtool check metrics (the daemon's /metrics in the guest): clean"
fi
grep -E '^lifetrace_module_(loads_total|info)\{.*(rust|qt2025|ax88796b)' "$out/metrics.txt" | sed 's/^/  /' >&2 || true
((guest_rc == 0)) || { note "FAIL: the guest scenario failed ($guest_rc); see $out/scenario.log"; fails=$((fails + 1)); }
((fails == 0)) || exit 1
note "passed; results in $out"
