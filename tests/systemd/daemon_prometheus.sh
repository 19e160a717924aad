# Guest scenario (busybox sh) for tests/systemd/run-prometheus-guest.sh, run by tests/vm/run-guest.sh
# on the sid kernel: `lifetrace daemon` serves /metrics through qemu's user network while the real
# Rust modules qt2025 and ax88796b_rust load; a `lifetrace --follow` client in the guest follows
# through the daemon's socket. The host scrapes with a real Prometheus, then connects to the
# guest's port 7000 to say it is done.
# lt-modules: qt2025 ax88796b_rust virtio_net
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh

step network
echo 'lifetrace:x:101:' >>/etc/group
modprobe virtio_net || fail "modprobe virtio_net"
ip link set lo up
for _ in 1 2 3 4 5 6 7 8 9 10; do ip link show eth0 >/dev/null 2>&1 && break; sleep 0.5; done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 \
  || fail "cannot configure eth0"
ip addr show eth0

step daemon_start
lifetrace daemon ${LT_ARGS:-} >/run/daemon.out 2>/run/daemon.err &
DPID=$!
_w=0
while ! grep -q 'lifetrace: ready:' /run/daemon.err 2>/dev/null; do
  alive "$DPID" || { fail "lifetrace daemon exited early:"; sed 's/^/  | /' /run/daemon.err; lt_finish; }
  [ "$_w" -ge $((${LT_READY_TIMEOUT:-120} * 5)) ] && { fail "daemon not ready in time"; sed 's/^/  | /' /run/daemon.err; kill "$DPID"; lt_finish; }
  sleep 0.2; _w=$((_w + 1))
done
log "daemon ready after about $((_w / 5)) s: $(grep 'ready:' /run/daemon.err)"
ls -l /run/lifetrace/

step follow_client_start
lifetrace --follow --json >/run/follow.out 2>/run/follow.err &
FPID=$!
_w=0
while ! grep -q 'lifetrace: ready:' /run/follow.err 2>/dev/null && [ "$_w" -lt 50 ]; do sleep 0.2; _w=$((_w + 1)); done
grep -q 'following the lifetrace daemon' /run/follow.err || fail "the client did not follow through the daemon: $(cat /run/follow.err)"

step qt2025_live
load 0 finit "$(ko qt2025)"
step ax88796b_rust_live
load 0 init "$(ko ax88796b_rust)"

step scrape
log "@@LT-SCRAPE-READY@@"
# The host says it is done by connecting to port 7000; give up after 300 s.
( sleep 300; pkill -f 'nc -l -p 7000' ) &
_killer=$!
nc -l -p 7000 </dev/null >/dev/null
kill "$_killer" 2>/dev/null
log "the host is done scraping"

step daemon_stop
kill -TERM "$DPID"
wait "$DPID"; _rc=$?
[ "$_rc" -eq 0 ] || fail "lifetrace daemon exited with $_rc after SIGTERM"
wait "$FPID"; _frc=$?
[ "$_frc" -eq 0 ] || fail "the follow client exited with $_frc when the daemon stopped"
grep -q 'the daemon is stopping' /run/follow.err || fail "the client was not told the daemon stopped"
for m in qt2025 ax88796b_rust; do
  grep -q "\"event\":\"live\".*\"module\":\"$m\"" /run/follow.out || fail "the follow client saw no live $m"
done
[ -e /run/lifetrace/follow.sock ] && fail "the socket file is still there"
log "daemon stderr:"; sed 's/^/  | /' /run/daemon.err
log "client stderr:"; sed 's/^/  | /' /run/follow.err
log "client saw $(wc -l </run/follow.out) events"
cat /run/follow.out >/dev/ttyS1
lt_finish
