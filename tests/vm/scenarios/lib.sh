# Helpers for lifetrace's guest scenarios (busybox sh). Sourced as /lt/lib.sh by each scenario.
#
# In the guest: /dev/lt-out receives lifetrace's stdout (NDJSON), /dev/lt-err its stderr, and the
# scenario's own output (this log) goes to /dev/lt-log; /dev/lt-console is the console. /init
# links them to the serial ports (x86: ttyS1..3 and ttyS0; arm64: virtio-serial ports and
# ttyAMA0). /lt/config holds the
# settings run-guest.sh passed (LT_ARGS, LT_READY_TIMEOUT, LT_STOP_TIMEOUT, LT_NO_LIFETRACE).
#
# A scenario calls lt_start, then step/load/unload/..., then lt_stop and lt_finish. Each step's
# name appears as "== STEP name" in the log; lifetrace-vm-check uses the same names.

# shellcheck shell=sh
# shellcheck disable=SC1091
[ -r /lt/config ] && . /lt/config

KVER=$(uname -r)
MODDIR=/lib/modules/$KVER
LT_FAILS=0
LT_PID=""

uptime_s() { cut -d. -f1 /proc/uptime; }
log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
fail() { LT_FAILS=$((LT_FAILS + 1)); log "FAIL: ${LT_STEP:-setup}: $*"; }
step() { LT_STEP=$1; log "== STEP $1"; }

# ko NAME: the path of NAME.ko in the guest's module tree (file names as shipped: kvm-intel).
# Runs in $(...): a missing module is reported on stderr, and the load of the path it prints
# then fails and is counted.
ko() {
  _p=$(grep -m1 -E "^(.*/)?$1\.ko:" "$MODDIR/modules.dep" | cut -d: -f1)
  if [ -z "$_p" ]; then
    log "module $1 is not in the initramfs (add it to an lt-modules line)" >&2
    echo "/missing/$1.ko"
  else
    echo "$MODDIR/$_p"
  fi
}

# alive PID: the process exists and is not a zombie.
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  case $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) in Z|X|"") return 1 ;; esac
  return 0
}

# lt_start [ARG...]: starts lifetrace --follow --json and waits for "lifetrace: ready".
lt_start() {
  if [ -n "${LT_NO_LIFETRACE:-}" ]; then
    log "lifetrace: not in this initramfs (run-guest.sh without --lifetrace); modules only"
    return 0
  fi
  mkfifo /run/lt.out /run/lt.err
  if [ "${LT_FORMAT:-json}" = human ]; then
    # Human output for people (scripts/demo.sh): on the console, and saved on lt-out too.
    tee /dev/lt-out </run/lt.out >/dev/lt-console &
    _fmt=""
  else
    cat /run/lt.out >/dev/lt-out &
    _fmt=--json
  fi
  LT_CAT_OUT=$!
  tee /run/lt.err.log </run/lt.err >/dev/lt-err &
  LT_CAT_ERR=$!
  # shellcheck disable=SC2086  # LT_ARGS and _fmt are word lists on purpose
  log "starting: lifetrace --follow $_fmt ${LT_ARGS:-} $*"
  # shellcheck disable=SC2086
  lifetrace --follow $_fmt ${LT_ARGS:-} "$@" >/run/lt.out 2>/run/lt.err &
  LT_PID=$!
  _t0=$(uptime_s)
  _deadline=$((_t0 + ${LT_READY_TIMEOUT:-120}))
  while ! grep -q 'lifetrace: ready' /run/lt.err.log 2>/dev/null; do
    if ! alive "$LT_PID"; then
      wait "$LT_PID"; _rc=$?
      wait "$LT_CAT_OUT" "$LT_CAT_ERR" 2>/dev/null  # the whole stderr is in the log now
      fail "lifetrace exited with status $_rc before printing 'lifetrace: ready'; its stderr:"
      sed 's/^/  | /' /run/lt.err.log
      LT_PID=""
      lt_finish
    fi
    if [ "$(uptime_s)" -ge "$_deadline" ]; then
      fail "lifetrace printed no 'lifetrace: ready' within ${LT_READY_TIMEOUT:-120} s; its stderr:"
      sed 's/^/  | /' /run/lt.err.log
      lt_stop
      lt_finish
    fi
    sleep 0.2
  done
  log "lifetrace is ready (pid $LT_PID) after about $(($(uptime_s) - _t0)) s"
}

# lt_stop: stops lifetrace with SIGINT (LT_STOP_SIGNAL=TERM for SIGTERM), waits for it to exit
# with status 0, then for the pipes to drain to the serial ports. sh starts background jobs with
# SIGINT ignored; a program that installs a handler or takes the signal through a signalfd (with
# the signal blocked, it is queued, not discarded) still gets it, and lifetrace does.
lt_stop() {
  [ -n "$LT_PID" ] || return 0
  log "stopping lifetrace with SIG${LT_STOP_SIGNAL:-INT}"
  kill "-${LT_STOP_SIGNAL:-INT}" "$LT_PID"
  ( sleep "${LT_STOP_TIMEOUT:-30}"; kill -KILL "$LT_PID" 2>/dev/null ) &
  _wd=$!
  wait "$LT_PID"; _rc=$?
  kill "$_wd" 2>/dev/null; wait "$_wd" 2>/dev/null
  case $_rc in
    0) log "lifetrace exited with status 0" ;;
    137) fail "lifetrace did not exit within ${LT_STOP_TIMEOUT:-30} s of SIG${LT_STOP_SIGNAL:-INT}; killed" ;;
    *) fail "lifetrace exited with status $_rc after SIG${LT_STOP_SIGNAL:-INT} (expected 0)" ;;
  esac
  wait "$LT_CAT_OUT" "$LT_CAT_ERR" 2>/dev/null
  LT_PID=""
}

# load EXPECT HOW FILE [PARAM...]: one load through ltload (HOW: finit or init) that must end
# with EXPECT: 0 or an errno name such as EEXIST.
load() {
  _want=$1 _how=$2 _file=$3
  shift 3
  _out=$(ltload "$_how" "$_file" "$@" 2>&1)
  _rc=$?
  log "$_out"
  if [ "$_want" = 0 ]; then
    [ "$_rc" -eq 0 ] || fail "expected $_file to load, got: $_out"
  else
    case $_out in
      *" = -1 $_want "*) ;;
      *) fail "expected $_file to fail with $_want, got: $_out" ;;
    esac
  fi
}

# unload NAME...: rmmod each (one delete_module each).
unload() {
  for _m in "$@"; do
    if _out=$(rmmod "$_m" 2>&1); then log "rmmod $_m: ok"; else fail "rmmod $_m: $_out"; fi
  done
}

# loaded NAME: the module is in /proc/modules.
loaded() { grep -q "^$1 " /proc/modules; }

expect_loaded() {
  for _m in "$@"; do loaded "$_m" || fail "$_m is not in /proc/modules"; done
}

# lt_finish: prints the summary and ends the scenario with its status.
lt_finish() {
  [ -z "$LT_PID" ] || lt_stop
  log "modules still loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
  if [ "$LT_FAILS" -eq 0 ]; then
    log "scenario: all steps behaved as expected"
    exit 0
  fi
  log "scenario: $LT_FAILS step(s) did not behave as expected"
  exit 1
}

# agree PATH...: the inventory (lifetrace list) and offline classification (lifetrace classify)
# of the given module files, while they are loaded, as "AGREE list|classify JSON" lines in the
# log; lifetrace-vm-check compares them with the language lifetrace reported live at load.
agree() {
  [ -n "${LT_NO_LIFETRACE:-}" ] && return 0
  lifetrace list --json 2>&1 | sed 's/^/AGREE list /' || fail "lifetrace list failed"
  lifetrace classify --json "$@" 2>&1 | sed 's/^/AGREE classify /' || fail "lifetrace classify failed"
}
