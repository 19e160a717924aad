# Parallel load/unload storm (issue 9): six workers, each loading and unloading its own small
# stock module in a tight loop for LT_STORM_SECONDS (default 15), counting what succeeded. Every
# module's lifecycle must be complete in lifetrace's output, or each missing event must be
# counted by lifetrace as a run the kernel skipped (lifetrace-vm-storm-check).
# lt-modules: dummy minix tcp_westwood tcp_highspeed tcp_bic nlmon
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh

# worker NAME FILE END: load/unload until the uptime reaches END; prints one STORM line.
worker() {
  _m=$1 _f=$2 _end=$3 _l=0 _u=0 _lf=0 _uf=0
  while [ "$(uptime_s)" -lt "$_end" ]; do
    if ltload finit "$_f" >/dev/null 2>&1; then _l=$((_l + 1)); else _lf=$((_lf + 1)); fi
    if rmmod "$_m" 2>/dev/null; then _u=$((_u + 1)); else _uf=$((_uf + 1)); fi
  done
  echo "STORM module=$_m loads=$_l unloads=$_u load_failures=$_lf unload_failures=$_uf" >"/run/storm.$_m"
}

LT_STORM_MODULES="dummy minix tcp_westwood tcp_highspeed tcp_bic nlmon"
lt_start
step storm
_end=$(($(uptime_s) + ${LT_STORM_SECONDS:-15}))
_pids=""
for _m in $LT_STORM_MODULES; do
  _f=$(ko "$_m")
  worker "$_m" "$_f" "$_end" &
  _pids="$_pids $!"
done
# shellcheck disable=SC2086  # a list of pids
wait $_pids
for _m in $LT_STORM_MODULES; do
  if [ -r "/run/storm.$_m" ]; then log "$(cat "/run/storm.$_m")"; else fail "worker $_m wrote no count"; fi
  loaded "$_m" && fail "$_m is still loaded after its worker"
done
# Give the last records time to reach lifetrace before it stops.
sleep 1
lt_stop
lt_finish
