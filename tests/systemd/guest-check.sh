#!/bin/bash
# Runs inside the systemd guest (installed as /usr/local/sbin/lifetrace-guest-check and started by
# lifetrace-guest-check.service once the boot is done). Checks lifetrace.service with the real
# systemd and writes the results to /dev/ttyS1, which tests/systemd/run-systemd-guest.sh reads.
# Lines: "PASS name", "FAIL name: why", "INFO key=value", and @@...@@ markers around raw output.
exec >/dev/ttyS1 2>&1
stty -F /dev/ttyS1 raw -echo -onlcr 2>/dev/null
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }
info() { echo "INFO $1"; }
section() { echo "@@BEGIN $1@@"; cat; echo "@@END $1@@"; }
mono_us() { systemctl show "$1" -p "$2" --value; }

wait_active() {  # UNIT SECONDS
  for _ in $(seq 1 "$2"); do
    [ "$(systemctl is-active "$1")" = active ] && return 0
    sleep 1
  done
  return 1
}

echo "@@LT-GUEST-BEGIN $(uname -r)@@"
info "systemd=$(systemctl --version | head -n1)"
info "perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)"
info "kptr_restrict=$(cat /proc/sys/kernel/kptr_restrict)"

# 1. The unit became active (Type=notify: READY=1 after every program was attached).
if wait_active lifetrace.service 120; then pass unit_active; else fail unit_active "$(systemctl is-active lifetrace.service)"; fi
systemctl status --no-pager lifetrace.service 2>&1 | section status
active_us=$(mono_us lifetrace.service ActiveEnterTimestampMonotonic)
start_us=$(mono_us lifetrace.service ExecMainStartTimestampMonotonic)
info "lifetrace_exec_start_us=$start_us"
info "lifetrace_active_us=$active_us"
info "multi_user_active_us=$(mono_us multi-user.target ActiveEnterTimestampMonotonic)"
for u in systemd-modules-load.service systemd-udev-trigger.service; do
  s=$(mono_us "$u" ExecMainStartTimestampMonotonic)
  info "${u%%.service}_start_us=$s"
  if [ -n "$s" ] && [ "$s" -gt 0 ] && [ "${active_us:-0}" -gt 0 ] && [ "$s" -ge "$active_us" ]; then
    pass "ready_before_${u%%.service}"
  else
    fail "ready_before_${u%%.service}" "$u started at ${s}us, lifetrace ready at ${active_us}us"
  fi
done
# The event loop's timer pings the watchdog (WatchdogSec=30s: every 15 s).
for _ in $(seq 1 40); do
  wd=$(mono_us lifetrace.service WatchdogTimestampMonotonic)
  [ "${wd:-0}" -gt "${active_us:-0}" ] && break
  sleep 1
done
info "watchdog_last_ping_us=$wd watchdog_usec=$(systemctl show lifetrace.service -p WatchdogUSec --value)"
if [ "${wd:-0}" -gt "${active_us:-0}" ] && [ "$(systemctl show lifetrace.service -p NRestarts --value)" = 0 ]; then
  pass watchdog_pings
else
  fail watchdog_pings "no WATCHDOG=1 after READY=1 (last ping ${wd}us), or restarts: $(systemctl show lifetrace.service -p NRestarts --value)"
fi
systemd-analyze 2>&1 | section systemd_analyze
systemd-analyze security lifetrace.service 2>&1 | tail -n 1 | section security

# 2. The journal shows module loads from early boot: systemd-modules-load (dummy, from
# /etc/modules-load.d) and udev's coldplug.
journalctl -b -u lifetrace.service -o cat --no-pager >/tmp/journal.txt
section journal </tmp/journal.txt
if grep -qE 'event: .* live +dummy .*systemd-modules' /tmp/journal.txt; then
  pass journal_modules_load
else
  fail journal_modules_load "no 'live dummy' event from systemd-modules-load in the journal"
fi
udev_lives=$(grep -cE 'event: .* live .*udev' /tmp/journal.txt)
info "udev_coldplug_live_events=$udev_lives"
if [ "$udev_lives" -ge 1 ]; then pass journal_udev_coldplug; else fail journal_udev_coldplug "no module went live through udev"; fi
if grep -q '^<\|lifetrace: <' /tmp/journal.txt; then fail journal_levels "priority prefixes leaked into the messages"; else pass journal_levels; fi
journalctl -b -u lifetrace.service -p warning -o cat --no-pager | section journal_warnings

# 3. /metrics answers, with series that match the journal.
if curl -sf --max-time 10 http://127.0.0.1:9477/metrics >/tmp/metrics.txt; then
  pass metrics_http
else
  fail metrics_http "curl 127.0.0.1:9477/metrics failed"
fi
section metrics </tmp/metrics.txt
grep -q '^lifetrace_build_info{' /tmp/metrics.txt && pass metrics_build_info || fail metrics_build_info "no lifetrace_build_info"
live_c=$(sed -n 's/^lifetrace_module_loads_total{language="c",result="live"} //p' /tmp/metrics.txt)
info "loads_live_c=$live_c"
[ "${live_c:-0}" -ge 1 ] && pass metrics_loads || fail metrics_loads "lifetrace_module_loads_total{language=\"c\",result=\"live\"} is '${live_c}'"
grep -q '^lifetrace_module_info{.*module="dummy"' /tmp/metrics.txt && pass metrics_module_info || fail metrics_module_info "no lifetrace_module_info for dummy"
# virtio_blk was loaded by the initramfs, before lifetrace: its language comes from the inventory,
# i.e. /proc/kallsyms was readable inside the sandbox.
grep -q '^lifetrace_module_info{language="c",module="virtio_blk"' /tmp/metrics.txt \
  && pass inventory_classified || fail inventory_classified "virtio_blk (loaded before lifetrace) is not classified as C"

# 4. A member of group lifetrace follows through the socket, without root.
ls -ld /run/lifetrace /run/lifetrace/follow.sock 2>&1 | section socket_perms
if [ "$(stat -c '%a %U %G' /run/lifetrace/follow.sock 2>/dev/null)" = "660 root lifetrace" ]; then
  pass socket_mode
else
  fail socket_mode "$(stat -c '%a %U %G' /run/lifetrace/follow.sock 2>&1)"
fi
setpriv --reuid=follower --regid=follower --init-groups lifetrace --follow --json --module veth \
  >/tmp/follow.out 2>/tmp/follow.err &
fpid=$!
sleep 3
modprobe veth && sleep 1 && rmmod veth
sleep 3
kill -INT "$fpid"; wait "$fpid"
section follow_stderr </tmp/follow.err
section follow_stdout </tmp/follow.out
grep -q 'following the lifetrace daemon' /tmp/follow.err && pass follow_via_socket || fail follow_via_socket "the client did not connect to the daemon"
grep -q '"event":"live".*"module":"veth"' /tmp/follow.out && pass follow_events || fail follow_events "no live veth event for the group member"
setpriv --reuid=nobody --regid=nogroup --clear-groups lifetrace --follow >/tmp/nobody.out 2>&1
info "nobody_follow_exit=$?"
grep -q "group 'lifetrace'" /tmp/nobody.out && pass follow_denied_hint || fail follow_denied_hint "$(head -c 300 /tmp/nobody.out)"

# 4b. An unprivileged user floods the module syscalls with strings made to forge journal entries
# (newlines, "<0>" emergency prefixes) and rewrite terminals: the kernel refuses every call, and
# the journal gets rate-limited 'denied' lines, no forged entry, nothing at emergency..critical.
ko=$(find "/usr/lib/modules/$(uname -r)" -name 'dummy.ko*' | head -n1)
since=$(date '+%Y-%m-%d %H:%M:%S')
ltload flood 1000 3000 "$ko" >/tmp/flood.txt 2>&1
info "flood=$(cat /tmp/flood.txt)"
sleep 2
journalctl -u lifetrace.service --since "$since" -o cat --no-pager >/tmp/flood_journal.txt
section flood_journal </tmp/flood_journal.txt
grep -q 'denied .*syscall=init_module uid=1000' /tmp/flood_journal.txt \
  && pass flood_denied_logged || fail flood_denied_logged "no 'denied ... uid=1000' line in the journal"
if grep -q FORGED /tmp/flood_journal.txt; then
  fail flood_no_forged_entry "the flood's strings reached the journal"
else
  pass flood_no_forged_entry
fi
high=$(journalctl -u lifetrace.service --since "$since" -p 0..2 -o cat --no-pager | grep -c .)
[ "$high" -eq 0 ] && pass flood_no_emergency_entry || fail flood_no_emergency_entry "$high entries at emergency..critical"
n_denied=$(grep -c 'denied ' /tmp/flood_journal.txt)
[ "$n_denied" -le 6 ] && pass flood_rate_limited || fail flood_rate_limited "$n_denied denied lines for one short flood"
curl -sf --max-time 10 http://127.0.0.1:9477/metrics | grep '^lifetrace_module_syscalls_denied_total' | section flood_metrics
for sc in init_module finit_module delete_module; do
  n=$(curl -sf --max-time 10 http://127.0.0.1:9477/metrics \
    | sed -n "s/^lifetrace_module_syscalls_denied_total{syscall=\"$sc\",uid=\"1000\"} //p")
  [ "${n:-0}" = 1000 ] && pass "flood_counted_$sc" || fail "flood_counted_$sc" "counted '${n}' of 1000"
done

# 4c. `lifetrace blame` and `lifetrace plot`: the daemon has run since early boot (no restart
# yet: section 5 restarts it, which starts a new history), so they cover the boot's loads. A member
# of group lifetrace asks; nobody else may. The raw outputs and /proc/modules go to the host
# (sections blame_json, plot_svg, plot_trace, proc_modules), where run-systemd-guest.sh checks
# the JSON, renders the SVG with rsvg-convert and compares the loads with /proc/modules and the
# initramfs (tests/systemd/check-blame.py): this image has no JSON parser or SVG renderer.
# The unit is ordered before the early modprobe@ units too: no ordering cycle may come of it.
journalctl -b -o cat --no-pager | grep -i 'ordering cycle' | section ordering_cycles
if journalctl -b -o cat --no-pager | grep -qi 'ordering cycle'; then
  fail no_ordering_cycle "systemd broke an ordering cycle at boot (section ordering_cycles)"
else
  pass no_ordering_cycle
fi
as_follower() { setpriv --reuid=follower --regid=follower --init-groups "$@"; }
t0=$(date +%s.%N)
as_follower lifetrace blame >/tmp/blame.txt 2>/tmp/blame.err
brc=$?
info "blame_seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
section blame </tmp/blame.txt
section blame_stderr </tmp/blame.err
if [ "$brc" -eq 0 ] && grep -q 'loads since' /tmp/blame.txt; then
  pass blame_as_group_member
else
  fail blame_as_group_member "exit $brc: $(head -c 300 /tmp/blame.err)"
fi
blame_rows=$(awk 'NR > 1 && NF == 0 { exit } NR > 1 { n++ } END { print n + 0 }' /tmp/blame.txt)
info "blame_rows=$blame_rows"
# dummy from /etc/modules-load.d and every module udev's coldplug brought live are rows.
awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $3 }' /tmp/blame.txt | sort -u >/tmp/blame_modules.txt
grep -qx dummy /tmp/blame_modules.txt && pass blame_lists_modules_load \
  || fail blame_lists_modules_load "no row for dummy (systemd-modules-load)"
sed -n 's/^event: [^ ]* live  *\([^ ]*\) .*/\1/p' /tmp/journal.txt | sort -u >/tmp/journal_live.txt
missing=$(comm -23 /tmp/journal_live.txt /tmp/blame_modules.txt | tr '\n' ' ')
info "journal_live_modules=$(grep -c . /tmp/journal_live.txt)"
[ -s /tmp/journal_live.txt ] && [ -z "$missing" ] && pass blame_has_every_journal_load \
  || fail blame_has_every_journal_load "live in the journal, not in blame: ${missing:-(journal empty)}"
# Slowest first: the first column (the load time in the row's unit) never grows.
if awk 'NR > 1 && NF == 0 { exit }
        NR > 1 { v = $1; u = $2; ns = (u == "s" ? v * 1e9 : u == "ms" ? v * 1e6 : u == "us" ? v * 1e3 : v)
                 if (NR > 2 && ns > prev) bad = 1; prev = ns }
        END { exit bad }' /tmp/blame.txt; then
  pass blame_slowest_first
else
  fail blame_slowest_first "rows are not sorted by load time"
fi
grep -q 'loaded before lifetrace started' /tmp/blame.txt && grep -q 'virtio_blk' /tmp/blame.txt \
  && pass blame_lists_initramfs_modules || fail blame_lists_initramfs_modules "virtio_blk (initramfs) not listed as loaded before lifetrace"
as_follower lifetrace blame --json >/tmp/blame.json 2>&1 && pass blame_json_runs || fail blame_json_runs "$(head -c 300 /tmp/blame.json)"
section blame_json </tmp/blame.json
as_follower lifetrace plot >/tmp/plot.svg 2>/tmp/plot.err && grep -q '</svg>' /tmp/plot.svg \
  && pass plot_svg_runs || fail plot_svg_runs "$(head -c 300 /tmp/plot.err)"
section plot_svg </tmp/plot.svg
as_follower lifetrace plot --format trace >/tmp/trace.json 2>/tmp/trace.err \
  && pass plot_trace_runs || fail plot_trace_runs "$(head -c 300 /tmp/trace.err)"
section plot_trace </tmp/trace.json
cut -d' ' -f1 /proc/modules | sort | section proc_modules
setpriv --reuid=nobody --regid=nogroup --clear-groups lifetrace blame >/tmp/nobody_blame.out 2>&1
nb=$?
info "nobody_blame_exit=$nb"
[ "$nb" -ne 0 ] && grep -q "group 'lifetrace'" /tmp/nobody_blame.out && pass blame_denied_to_others \
  || fail blame_denied_to_others "exit $nb: $(head -c 300 /tmp/nobody_blame.out)"

# 5. The programs while running, then restart and stop.
bpftool prog show >/tmp/progs.txt 2>&1
section progs_running </tmp/progs.txt
lt_ids=$(awk -F: '/^[0-9]+: (tracing|kprobe|tracepoint|raw_tracepoint)/ {print $1}' /tmp/progs.txt | tr '\n' ' ')
info "lifetrace_prog_ids=$lt_ids"
[ -n "$lt_ids" ] && pass progs_loaded || fail progs_loaded "no tracing/kprobe/tracepoint programs while lifetrace runs"
pid1=$(systemctl show lifetrace.service -p MainPID --value)
t0=$(date +%s.%N)
if systemctl restart lifetrace.service; then pass restart; else fail restart "systemctl restart failed"; fi
t1=$(date +%s.%N)
info "restart_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
pid2=$(systemctl show lifetrace.service -p MainPID --value)
if [ "$(systemctl is-active lifetrace.service)" = active ] && [ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ]; then
  pass restart_active
else
  fail restart_active "state $(systemctl is-active lifetrace.service), pid $pid1 -> $pid2"
fi
curl -sf --max-time 10 http://127.0.0.1:9477/metrics >/dev/null && pass metrics_after_restart || fail metrics_after_restart "no /metrics after restart"

systemctl stop lifetrace.service
info "state_after_stop=$(systemctl is-active lifetrace.service)"
bpftool prog show >/tmp/progs_after.txt 2>&1
bpftool link show >/tmp/links_after.txt 2>&1
bpftool map show >/tmp/maps_after.txt 2>&1
section progs_after_stop </tmp/progs_after.txt
section links_after_stop </tmp/links_after.txt
left=$(grep -cE '^[0-9]+: (tracing|kprobe|tracepoint|raw_tracepoint)' /tmp/progs_after.txt)
links_left=$(grep -cE '^[0-9]+: (tracing|perf_event|raw_tracepoint|kprobe_multi)' /tmp/links_after.txt)
maps_left=$(grep -cE '^[0-9]+: ringbuf' /tmp/maps_after.txt)
[ "$left" -eq 0 ] && pass no_programs_after_stop || fail no_programs_after_stop "$left tracing programs remain"
[ "$links_left" -eq 0 ] && pass no_links_after_stop || fail no_links_after_stop "$links_left links remain"
[ "$maps_left" -eq 0 ] && pass no_ringbuf_after_stop || fail no_ringbuf_after_stop "$maps_left ring buffers remain"
[ ! -e /run/lifetrace/follow.sock ] && pass socket_removed || fail socket_removed "/run/lifetrace/follow.sock still exists"
journalctl -b -u lifetrace.service -o cat --no-pager | grep -E 'stopping on|stopped' | section stop_log
grep -q . <(journalctl -b -u lifetrace.service -o cat --no-pager | grep 'stopped; every probe detached') \
  && pass clean_stop_logged || fail clean_stop_logged "no 'stopped; every probe detached' in the journal"

# ==== 6. (service helper) Modules changed while the service was stopped are reported at start ====
# Section 5 left the unit stopped. Its state file (StateDirectory) holds the set it saw last:
# load veth and remove dummy now, untraced, then start it: both must be reported, as
# changed_while_down events in the journal and in lifetrace_modules_changed_while_down_total.
# journalctl -o json writes '"NAME" : "value"'; made '"NAME":"value"' for the greps below.
journal_json() { journalctl -u lifetrace.service -o json --no-pager "$@" | sed -E 's/" : /":/g'; }
ls -l /var/lib/lifetrace 2>&1 | section state_dir
[ -s /var/lib/lifetrace/modules.state ] && pass state_file_written || fail state_file_written "no /var/lib/lifetrace/modules.state after the stop"
grep -qx 'dummy [0-9]* c' /var/lib/lifetrace/modules.state && pass state_file_has_dummy || fail state_file_has_dummy "$(head -c 300 /var/lib/lifetrace/modules.state)"
since=$(date '+%Y-%m-%d %H:%M:%S')
modprobe veth; rmmod dummy
info "while_down: veth=$(grep -c '^veth ' /proc/modules) dummy=$(grep -c '^dummy ' /proc/modules)"
systemctl start lifetrace.service
wait_active lifetrace.service 120 && pass restart_after_changes || fail restart_after_changes "$(systemctl is-active lifetrace.service)"
journal_json --since "$since" LIFETRACE_EVENT=changed_while_down >/tmp/changed.json
section changed_while_down </tmp/changed.json
grep '"LIFETRACE_MODULE":"veth"' /tmp/changed.json | grep -q '"LIFETRACE_CHANGE":"loaded"' \
  && pass changed_while_down_loaded || fail changed_while_down_loaded "no changed_while_down entry with veth loaded"
grep '"LIFETRACE_MODULE":"dummy"' /tmp/changed.json | grep -q '"LIFETRACE_CHANGE":"unloaded"' \
  && pass changed_while_down_unloaded || fail changed_while_down_unloaded "no changed_while_down entry with dummy unloaded"
n_changed=$(grep -c . /tmp/changed.json)
[ "$n_changed" -eq 2 ] && pass changed_while_down_only_those || fail changed_while_down_only_those "$n_changed entries, expected 2"
curl -sf --max-time 10 http://127.0.0.1:9477/metrics | grep '^lifetrace_modules_changed_while_down_total' >/tmp/changed_metrics.txt
section changed_metrics </tmp/changed_metrics.txt
grep -qx 'lifetrace_modules_changed_while_down_total{change="loaded"} 1' /tmp/changed_metrics.txt \
  && grep -qx 'lifetrace_modules_changed_while_down_total{change="unloaded"} 1' /tmp/changed_metrics.txt \
  && pass changed_while_down_counted || fail changed_while_down_counted "$(tr '\n' ' ' </tmp/changed_metrics.txt)"

# ==== 7. (service helper) Every event is a structured journal entry with LIFETRACE_* fields ====
# A traced load of dummy, then a second one that fails with EEXIST: `journalctl -u lifetrace
# LIFETRACE_MODULE=dummy -o json` must return the load's events and the failure's errno.
since=$(date '+%Y-%m-%d %H:%M:%S')
modprobe dummy
ko=$(find "/usr/lib/modules/$(uname -r)" -name 'dummy.ko*' | head -n1)
insmod "$ko" 2>/dev/null && info "second insmod dummy unexpectedly worked"
sleep 3
journal_json --since "$since" LIFETRACE_MODULE=dummy >/tmp/dummy.json
section journal_fields_dummy </tmp/dummy.json
for ev in load_start init_start init_done live load_failed; do
  grep -q "\"LIFETRACE_EVENT\":\"$ev\"" /tmp/dummy.json && pass "journal_field_event_$ev" \
    || fail "journal_field_event_$ev" "no LIFETRACE_EVENT=$ev entry for dummy"
done
live=$(grep '"LIFETRACE_EVENT":"live"' /tmp/dummy.json | head -n1)
for f in '"LIFETRACE_LANGUAGE":"c"' '"LIFETRACE_RESULT":"live"' '"LIFETRACE_LOAD_NS":"[0-9]+"' \
         '"LIFETRACE_COMM":"modprobe"' '"LIFETRACE_UID":"0"' '"LIFETRACE_PID":"[0-9]+"' \
         '"PRIORITY":"6"' '"MESSAGE_ID":"27b0db13b2f44e3aaeddc6240d92fefd"' '"_SYSTEMD_UNIT":"lifetrace.service"' \
         '"MESSAGE":"event: [^"]* live +dummy '; do
  n=$(sed -E 's/^"([A-Z_]+)".*/\1/' <<<"$f")
  grep -qE "$f" <<<"$live" && pass "journal_live_field_$n" || fail "journal_live_field_$n" "not in: ${live:0:400}"
done
failed=$(grep '"LIFETRACE_EVENT":"load_failed"' /tmp/dummy.json | head -n1)
for f in '"LIFETRACE_ERRNO":"EEXIST"' '"LIFETRACE_ERRNO_NUMBER":"17"' '"LIFETRACE_RET":"-17"' \
         '"LIFETRACE_RESULT":"load_failed"' '"LIFETRACE_COMM":"insmod"' '"PRIORITY":"4"'; do
  n=$(sed -E 's/^"([A-Z_]+)".*/\1/' <<<"$f")
  grep -qE "$f" <<<"$failed" && pass "journal_failed_field_$n" || fail "journal_failed_field_$n" "not in: ${failed:0:400}"
done
init=$(grep '"LIFETRACE_EVENT":"init_done"' /tmp/dummy.json | head -n1)
grep -qE '"LIFETRACE_INIT_NS":"[0-9]+"' <<<"$init" && pass journal_init_ns || fail journal_init_ns "not in: ${init:0:400}"
# One entry per event: the text line is not written to stderr as well.
n_live=$(journalctl -u lifetrace.service --since "$since" -o cat --no-pager | grep -cE 'event: .* live +dummy ')
[ "$n_live" -eq 1 ] && pass journal_one_entry_per_event || fail journal_one_entry_per_event "$n_live 'live dummy' messages"
# The guest kernel (6.1, bookworm) has no Rust modules; on a kernel with CONFIG_RUST=y this is the
# query for them.
if find "/usr/lib/modules/$(uname -r)" -name 'qt2025.ko*' | grep -q .; then
  modprobe qt2025 && sleep 2
  journal_json --since "$since" LIFETRACE_LANGUAGE=rust | grep -q '"LIFETRACE_MODULE":"qt2025"' \
    && pass journal_language_rust || fail journal_language_rust "no LIFETRACE_LANGUAGE=rust entry for qt2025"
else
  info "journal_language_rust=skipped (kernel $(uname -r) has no Rust modules)"
fi

# ==== 8. (service helper) kill -9 under systemd: restarted, right gauges, nothing left behind ====
# Restart=on-failure restarts it after RestartSec=2s. A module loaded in that gap (nlmon) is
# reported at the restart, which proves the state file was current when the process died.
count_progs() { bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracing|kprobe|tracepoint|raw_tracepoint)'; }
count_links() { bpftool link show 2>/dev/null | grep -cE '^[0-9]+: (tracing|perf_event|raw_tracepoint|kprobe_multi)'; }
progs_before=$(count_progs); links_before=$(count_links)
restarts_before=$(systemctl show lifetrace.service -p NRestarts --value)
pid_before=$(systemctl show lifetrace.service -p MainPID --value)
info "kill9: restart_policy=$(systemctl show lifetrace.service -p Restart --value) progs_before=$progs_before links_before=$links_before pid=$pid_before"
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl kill -s KILL lifetrace.service
modprobe nlmon
for _ in $(seq 1 120); do
  pid_now=$(systemctl show lifetrace.service -p MainPID --value)
  [ "$(systemctl is-active lifetrace.service)" = active ] && [ "$pid_now" != "$pid_before" ] && [ "$pid_now" != 0 ] && break
  sleep 1
done
restarts_after=$(systemctl show lifetrace.service -p NRestarts --value)
info "kill9: pid $pid_before -> $pid_now, NRestarts $restarts_before -> $restarts_after"
[ "$(systemctl is-active lifetrace.service)" = active ] && [ "$pid_now" != "$pid_before" ] \
  && [ "$restarts_after" -eq $((restarts_before + 1)) ] && pass kill9_restarted \
  || fail kill9_restarted "state $(systemctl is-active lifetrace.service), pid $pid_before -> $pid_now, NRestarts $restarts_before -> $restarts_after"
# The killed instance's programs go when the kernel releases its file descriptors.
for _ in $(seq 1 20); do
  progs_after=$(count_progs); links_after=$(count_links)
  [ "$progs_after" -eq "$progs_before" ] && [ "$links_after" -eq "$links_before" ] && break
  sleep 1
done
bpftool prog show 2>&1 | section kill9_progs
info "kill9: progs_after=$progs_after links_after=$links_after"
[ "$progs_after" -eq "$progs_before" ] && pass kill9_no_programs_left || fail kill9_no_programs_left "$progs_before programs before, $progs_after after"
[ "$links_after" -eq "$links_before" ] && pass kill9_no_links_left || fail kill9_no_links_left "$links_before links before, $links_after after"
curl -sf --max-time 10 http://127.0.0.1:9477/metrics >/tmp/metrics_kill9.txt
gauge=$(awk '/^lifetrace_modules_loaded\{/ {s += $2} END {print s + 0}' /tmp/metrics_kill9.txt)
live_mods=$(grep -c ' Live ' /proc/modules)
info "kill9: lifetrace_modules_loaded_sum=$gauge proc_modules_live=$live_mods"
[ "$gauge" -eq "$live_mods" ] && pass kill9_gauges || fail kill9_gauges "lifetrace_modules_loaded sums to $gauge, /proc/modules has $live_mods live"
grep -q '^lifetrace_module_info{.*module="nlmon"' /tmp/metrics_kill9.txt && pass kill9_module_info || fail kill9_module_info "no lifetrace_module_info for nlmon"
journal_json --since "$since" LIFETRACE_EVENT=changed_while_down >/tmp/changed9.json
section kill9_changed </tmp/changed9.json
grep '"LIFETRACE_MODULE":"nlmon"' /tmp/changed9.json | grep -q '"LIFETRACE_CHANGE":"loaded"' \
  && pass kill9_load_while_down_reported || fail kill9_load_while_down_reported "no changed_while_down entry for nlmon"

# 9. The Debian package (the deb helper's block; keep it last). guest-install.sh installed it with
# apt on the first boot; on this boot it is still installed, enabled, with its group and man page.
# Then `apt purge lifetrace` while the service runs: the prerm stops it, the postrm disables and
# forgets it, and no lifetrace BPF program, link or ring buffer is left. Nothing may follow this.
st=$(dpkg-query -W -f='${Status}' lifetrace 2>&1)
[ "$st" = "install ok installed" ] && pass pkg_still_installed || fail pkg_still_installed "$st"
getent group lifetrace >/dev/null && pass pkg_group || fail pkg_group "no group lifetrace"
en=$(systemctl is-enabled lifetrace.service 2>&1)
[ "$en" = enabled ] && pass pkg_enabled || fail pkg_enabled "is-enabled: $en"
[ -f /usr/share/man/man1/lifetrace.1.gz ] && pass pkg_man_page_present || fail pkg_man_page_present "no lifetrace.1.gz"
systemctl start lifetrace.service
if wait_active lifetrace.service 120; then pass pkg_active_before_purge; else fail pkg_active_before_purge "$(systemctl is-active lifetrace.service)"; fi
bpftool prog show >/tmp/pkg_progs.txt 2>&1
pkg_ids=$(awk -F: '/^[0-9]+: (tracing|kprobe|tracepoint|raw_tracepoint)/ {print $1}' /tmp/pkg_progs.txt | tr '\n' ' ')
info "pkg_prog_ids_before_purge=$pkg_ids"
[ -n "$pkg_ids" ] && pass pkg_progs_before_purge || fail pkg_progs_before_purge "no lifetrace programs before the purge"
DEBIAN_FRONTEND=noninteractive apt purge -y lifetrace >/tmp/apt_purge.txt 2>&1
prc=$?
section apt_purge </tmp/apt_purge.txt
[ "$prc" -eq 0 ] && pass pkg_apt_purge || fail pkg_apt_purge "apt purge exited $prc"
st=$(dpkg-query -W -f='${Status}' lifetrace 2>/dev/null)
case $st in "" | "unknown ok not-installed" | "purge ok not-installed") pass pkg_purged ;; *) fail pkg_purged "dpkg status: $st" ;; esac
act=$(systemctl is-active lifetrace.service)
[ "$act" != active ] && [ "$act" != activating ] && pass pkg_inactive_after_purge || fail pkg_inactive_after_purge "is-active: $act"
lf=$(systemctl list-unit-files --no-legend lifetrace.service 2>/dev/null | grep -c lifetrace)
[ "$lf" -eq 0 ] && [ ! -e /lib/systemd/system/lifetrace.service ] && pass pkg_unit_gone || fail pkg_unit_gone "lifetrace.service is still known ($lf unit files)"
left=$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
  \( -name lifetrace.service -o -name lifetrace.service.dsh-also \) 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] && pass pkg_disabled || fail pkg_disabled "left behind: $left"
[ ! -e /usr/bin/lifetrace ] && pass pkg_binary_gone || fail pkg_binary_gone "/usr/bin/lifetrace still exists"
bpftool prog show >/tmp/pkg_progs_after.txt 2>&1
bpftool link show >/tmp/pkg_links_after.txt 2>&1
bpftool map show >/tmp/pkg_maps_after.txt 2>&1
section progs_after_purge </tmp/pkg_progs_after.txt
section links_after_purge </tmp/pkg_links_after.txt
still=""
for id in $pkg_ids; do grep -q "^$id:" /tmp/pkg_progs_after.txt && still="$still $id"; done
n_progs=$(grep -cE '^[0-9]+: (tracing|kprobe|tracepoint|raw_tracepoint)' /tmp/pkg_progs_after.txt)
[ -z "$still" ] && [ "$n_progs" -eq 0 ] && pass pkg_no_programs_after_purge \
  || fail pkg_no_programs_after_purge "programs$still remain ($n_progs tracing programs)"
n_links=$(grep -cE '^[0-9]+: (tracing|perf_event|raw_tracepoint|kprobe_multi)' /tmp/pkg_links_after.txt)
[ "$n_links" -eq 0 ] && pass pkg_no_links_after_purge || fail pkg_no_links_after_purge "$n_links links remain"
n_maps=$(grep -cE '^[0-9]+: ringbuf' /tmp/pkg_maps_after.txt)
[ "$n_maps" -eq 0 ] && pass pkg_no_ringbuf_after_purge || fail pkg_no_ringbuf_after_purge "$n_maps ring buffers remain"
pinned=$(find /sys/fs/bpf -mindepth 1 2>/dev/null | tr '\n' ' ')
[ -z "$pinned" ] && pass pkg_nothing_pinned || fail pkg_nothing_pinned "pinned: $pinned"

echo "@@LT-GUEST-END fails=$fails@@"
sync
systemctl poweroff --no-block
