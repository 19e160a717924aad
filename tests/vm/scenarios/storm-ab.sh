# Measurement, not a test: the storm of storm.sh twice in one boot, first with /extra/lifetrace-a
# (e.g. a build before a change), then with the lifetrace of this initramfs, so the kernel's
# counts of skipped program runs can be compared under the same kernel and load. Each phase's
# "lifetrace: ... events lost (program_skipped) ..." and "runs the kernel skipped" lines are
# in lifetrace.stderr, after that phase's "lifetrace: ready".
#
#   tests/vm/run-guest.sh --kernel-env ENV --scenario tests/vm/scenarios/storm-ab.sh \
#     --out DIR --lifetrace build/lifetrace --extra /tmp/lifetrace-a
# lt-modules: dummy minix tcp_westwood tcp_highspeed tcp_bic nlmon
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh

LT_STORM_MODULES="dummy minix tcp_westwood tcp_highspeed tcp_bic nlmon"

worker() {
  _m=$1 _f=$2 _end=$3 _l=0 _u=0
  while [ "$(uptime_s)" -lt "$_end" ]; do
    ltload finit "$_f" >/dev/null 2>&1 && _l=$((_l + 1))
    rmmod "$_m" 2>/dev/null && _u=$((_u + 1))
  done
  echo "STORM module=$_m loads=$_l unloads=$_u" >"/run/storm.$_m"
}

storm() {
  _end=$(($(uptime_s) + ${LT_STORM_SECONDS:-15}))
  _pids=""
  for _m in $LT_STORM_MODULES; do
    worker "$_m" "$(ko "$_m")" "$_end" &
    _pids="$_pids $!"
  done
  # shellcheck disable=SC2086
  wait $_pids
  for _m in $LT_STORM_MODULES; do log "$1 $(cat "/run/storm.$_m")"; done
  sleep 1
}

mkdir -p /run/a
ln -s /extra/lifetrace-a /run/a/lifetrace
step phase_a
PATH=/run/a:$PATH lt_start
storm A
lt_stop
rm -f /run/lt.out /run/lt.err /run/lt.err.log
step phase_b
lt_start
storm B
lt_stop
lt_finish
