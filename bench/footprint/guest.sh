# The footprint benchmark inside one guest boot (busybox sh; run by bench/footprint/run.sh
# through tests/vm/run-guest.sh). Every figure is one "FOOT ..." line on the log; run.sh turns
# them into the table (bench/footprint/report.awk).
#
# Phases (FOOT_PHASES), by default in this order, in the same boot: loads with no tracer;
# lifetrace --follow; lifetrace daemon (no watchdog: no NOTIFY_SOCKET/WATCHDOG_USEC); bpftrace
# with the same attach points (/extra/lifecycle.bt); loads with no tracer again. Also:
# daemon_noweb (the daemon without its metrics listener) and profile (--follow -v with stamped
# messages, on /dev/lt-out). For each tracer: start to ready, resident
# memory idle, context switches of all its threads over FOOT_IDLE seconds idle, then the loads
# (drm, dummy; FOOT_REPS each) with memory sampled between them, the peak (VmHWM), and the
# events it printed (a tracer that saw nothing is not measured, it is broken).
#
# lt-modules: drm dummy
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh
[ -r /extra/foot.conf ] && . /extra/foot.conf
REPS=${FOOT_REPS:-7}
IDLE=${FOOT_IDLE:-30}
PHASES=${FOOT_PHASES:-"none follow daemon bpftrace none"}
LTFOOT=/extra/ltfoot
chmod +x "$LTFOOT" 2>/dev/null

foot() { echo "FOOT $*"; }

DRM=$(ko drm)
DUMMY=$(ko dummy)
foot kernel="$(uname -r)" reps="$REPS" idle_s="$IDLE" cpus="$(grep -c ^processor /proc/cpuinfo)"

# loads PHASE: FOOT_REPS timed loads and unloads of drm, then of dummy.
loads() {
  for m in drm dummy; do
    if [ $m = drm ]; then f=$DRM; else f=$DUMMY; fi
    "$LTFOOT" load "$f" $m "$REPS" >/tmp/loads.txt 2>/tmp/loads.err || {
      fail "$1: loading $m: $(cat /tmp/loads.err)"
    }
    while read -r l; do foot phase="$1" module=$m "$l"; done </tmp/loads.txt
    [ -n "${2:-}" ] && mem "$1" "after_$m" "$2"
  done
}

# mem PHASE WHEN PID
mem() {
  "$LTFOOT" mem "$3" >/tmp/mem.txt || return
  foot phase="$1" what=mem when="$2" "$(head -n1 /tmp/mem.txt)"
  if [ "$2" = end ]; then sed -n "s/^map /FOOTMAP phase=$1 /p" /tmp/mem.txt; fi
}

# wait_status FILE KEY SECONDS: until FILE has KEY= (or exit=); prints the value.
wait_status() {
  _end=$(($(uptime_s) + $3))
  while [ "$(uptime_s)" -lt "$_end" ]; do
    # One read of the file for both questions: read twice, an exit line written in between
    # made a tracer that had stopped look like one that never would (seen: "did not stop on
    # SIGINT within 300 s" a fraction of a second after the signal).
    _s=$(cat "$1" 2>/dev/null)
    _v=$(printf '%s\n' "$_s" | sed -n "s/^$2=//p" | head -n1)
    if [ -n "$_v" ]; then echo "$_v"; return 0; fi
    case "$_s" in exit=* | *"
exit="*) return 1 ;; esac
    sleep 0.1
  done
  return 1
}

tracer() {  # PHASE
  st=/run/$1.status lg=/run/$1.log
  rm -f "$st"
  case $1 in
    follow) set -- "$1" "lifetrace: ready" lifetrace --follow ;;
    daemon) set -- "$1" "ready: " lifetrace daemon --web.listen-address=127.0.0.1:9477 \
                --follow-socket "" ;;
    daemon_noweb) set -- "$1" "ready: " lifetrace daemon --web.listen-address "" \
                --follow-socket "" ;;
    bpftrace) set -- "$1" "LTFOOT-READY" bpftrace -B line /extra/lifecycle.bt ;;
  esac
  phase=$1 ready=$2
  shift 2
  log "starting $phase: $*"
  "$LTFOOT" run --ready "$ready" --status "$st" --log "$lg" -- "$@" &
  runner=$!
  pid=$(wait_status "$st" pid 30)
  if ! ms=$(wait_status "$st" ready_ms 300); then
    fail "$phase never became ready; its output:"
    sed 's/^/  | /' "$lg" | tail -n 30
    kill -KILL "$pid" 2>/dev/null
    wait "$runner"
    return
  fi
  foot phase="$phase" what=ready ready_ms="$ms" pid="$pid"
  sleep 3
  mem "$phase" idle "$pid"
  "$LTFOOT" threads "$pid" >/tmp/t0.txt
  sleep "$IDLE"
  "$LTFOOT" threads "$pid" >/tmp/t1.txt
  # Per thread: switches over the idle window (threads that came or went count fully).
  awk -v phase="$phase" -v idle="$IDLE" '
    FNR == NR { if ($1 ~ /^tid=/) { split($3, v, "="); split($4, n, "="); before[$1] = v[2] + n[2] }; next }
    $1 ~ /^tid=/ { split($3, v, "="); split($4, n, "="); d = v[2] + n[2] - before[$1]; total += d
                   printf "FOOTTHREAD phase=%s %s %s idle_ctxsw=%d\n", phase, $1, $2, d }
    END { printf "FOOT phase=%s what=idle idle_ctxsw=%d idle_s=%d\n", phase, total, idle }' \
    /tmp/t0.txt /tmp/t1.txt
  loads "$phase" "$pid"
  if [ "$phase" = daemon ]; then
    wget -q -O /tmp/metrics.txt http://127.0.0.1:9477/metrics || fail "daemon: scrape failed"
    foot phase=daemon what=scrape metric_lines="$(grep -vc '^#' /tmp/metrics.txt)"
  fi
  mem "$phase" end "$pid"
  kill -INT "$pid"
  wait_status "$st" exit 300 >/dev/null || { fail "$phase did not stop on SIGINT within 300 s"; kill -KILL "$pid"; }
  wait "$runner"
  # What it saw: loads of drm and dummy ("live" lines of lifetrace's human output, the daemon's
  # log, bpftrace's printf). Fewer than 2*REPS means the tracer was not tracing.
  foot phase="$phase" what=events live="$(grep -c 'live' "$lg")" exit="$(sed -n 's/^exit=//p' "$st")"
}

# profile: where lifetrace --follow's start goes: its -v messages, each stamped with the time it
# arrived (ms since the start), on /dev/lt-out (lifetrace.ndjson on the host).
profile() {
  rm -f /run/profile.status
  "$LTFOOT" run --stamp --ready "lifetrace: ready" --status /run/profile.status \
    --log /run/profile.log -- lifetrace --follow -v &
  runner=$!
  pid=$(wait_status /run/profile.status pid 30)
  if ms=$(wait_status /run/profile.status ready_ms 300); then
    foot phase=profile what=ready ready_ms="$ms"
  else
    fail "lifetrace --follow -v never became ready"
  fi
  kill -INT "$pid"
  wait "$runner"
  cat /run/profile.log >/dev/lt-out
}

# The daemon's metrics are served on the loopback interface.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

n=0
for ph in $PHASES; do
  n=$((n + 1))
  step "$ph.$n"
  case $ph in
    none) loads none ;;
    profile) profile ;;
    *) tracer "$ph" ;;
  esac
done
lt_finish
