# Turns the FOOT lines of a footprint guest's log (bench/footprint/guest.sh) into the table.
#   awk [-v check=1] -f bench/footprint/report.awk scenario.log
# Ratios are against the same boot's baseline: bpftrace for start to ready and memory, loads
# with no tracer for the load times. With check=1 the exit status is 1 unless every target is
# met; a missing figure is a failure too (exit 2 when the log has no figures at all).
function kv(line, key,    re, s) {
  re = "(^| )" key "="
  if (!match(line, re)) return ""
  s = substr(line, RSTART + RLENGTH)
  sub(/ .*/, "", s)
  return s
}
# The q-quantile (0 <= q <= 1) of a space-separated list, linear between ranks; median: q = 0.5.
function quantile(list, q,    n, a, i, j, t, r, lo) {
  n = split(list, a, " ")
  if (n == 0) return ""
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  r = 1 + q * (n - 1); lo = int(r)
  return lo >= n ? a[n] + 0 : a[lo] + (r - lo) * (a[lo + 1] - a[lo])
}
function median(list) { return quantile(list, 0.5) }
function mb(kb) { return kb == "" ? "-" : sprintf("%.1f MB", kb / 1024) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
function verdict(ok) { if (!check) return ""; if (!ok) failed = 1; return ok ? "  ok" : "  MISSED" }
/^FOOT / {
  sub(/\r$/, "")
  any = 1
  if ((k = kv($0, "kernel")) != "") { kernel = k; reps = kv($0, "reps"); idle = kv($0, "idle_s"); next }
  ph = kv($0, "phase")
  if ((m = kv($0, "module")) != "") { loads[ph, m] = loads[ph, m] " " kv($0, "load_us"); next }
  w = kv($0, "what")
  if (w == "ready") ready[ph] = kv($0, "ready_ms")
  if (w == "mem") {
    when = kv($0, "when"); rss = kv($0, "rss_kb") + 0
    if (when == "idle") idle_rss[ph] = rss
    else {
      if (rss > trace_rss[ph] + 0) trace_rss[ph] = rss
      # PSS and USS (ltfoot's smaps_rollup figures; absent from older logs).
      if ((v = kv($0, "pss_kb")) != "") has_pss = 1
      if (v != "" && v + 0 > trace_pss[ph] + 0) trace_pss[ph] = v + 0
      if ((v = kv($0, "uss_kb")) != "" && v + 0 > trace_uss[ph] + 0) trace_uss[ph] = v + 0
    }
    if (kv($0, "hwm_kb") + 0 > hwm[ph] + 0) hwm[ph] = kv($0, "hwm_kb") + 0
    if (when == "end") threads[ph] = kv($0, "threads")
  }
  if (w == "idle") { idle_cs[ph] = kv($0, "idle_ctxsw"); idle_sec[ph] = kv($0, "idle_s") }
  if (w == "events") { events[ph] = kv($0, "live"); exitc[ph] = kv($0, "exit") }
}
END {
  if (!any) { print "report.awk: no FOOT lines in the input (did the guest run bench/footprint/guest.sh?)" > "/dev/stderr"; exit 2 }
  # Columns: the tracers this log has figures for (daemon_noweb: the daemon without its
  # metrics listener), bpftrace last.
  split("follow daemon daemon_noweb bpftrace", C, " ")
  title["follow"] = "lifetrace --follow"; title["daemon"] = "lifetrace daemon"
  title["daemon_noweb"] = "daemon, no exporter"; title["bpftrace"] = "bpftrace"
  n = 0
  for (i = 1; i <= 4; i++) if (ready[C[i]] != "" || idle_rss[C[i]] != "" || events[C[i]] != "") T[++n] = C[i]
  printf "footprint on %s (%s loads per module and phase, %s s idle); ratios against bpftrace or no tracer\n", kernel, reps, idle
  line = sprintf("%-26s", "")
  for (i = 1; i <= n; i++) line = line sprintf(" %-22s", title[T[i]])
  print line
  # start to ready
  line = sprintf("%-26s", "start to ready")
  for (i = 1; i <= n; i++) { t = T[i]; v = ready[t]
    cell = v == "" ? "-" : sprintf("%.0f ms", v); if (t != "bpftrace") cell = cell " (" ratio(v, ready["bpftrace"]) "x)"
    line = line sprintf(" %-22s", cell) }
  print line "   target <= 0.33x" verdict(ready["follow"] != "" && ready["bpftrace"] != "" && ready["follow"] / ready["bpftrace"] <= 1 / 3 && ready["daemon"] != "" && ready["daemon"] / ready["bpftrace"] <= 1 / 3)
  # memory
  split("idle_rss trace_rss trace_pss trace_uss hwm", M, " ")
  label["idle_rss"] = "resident, idle"; label["trace_rss"] = "resident, tracing (max)"; label["hwm"] = "peak (VmHWM)"
  label["trace_pss"] = "  proportional (PSS)"; label["trace_uss"] = "  private (USS)"
  for (j = 1; j <= 5; j++) {
    if ((M[j] == "trace_pss" || M[j] == "trace_uss") && !has_pss) continue
    line = sprintf("%-26s", label[M[j]])
    for (i = 1; i <= n; i++) { t = T[i]
      v = M[j] == "idle_rss" ? idle_rss[t] : M[j] == "trace_rss" ? trace_rss[t] : M[j] == "trace_pss" ? trace_pss[t] : M[j] == "trace_uss" ? trace_uss[t] : hwm[t]
      b = M[j] == "idle_rss" ? idle_rss["bpftrace"] : M[j] == "trace_rss" ? trace_rss["bpftrace"] : M[j] == "trace_pss" ? trace_pss["bpftrace"] : M[j] == "trace_uss" ? trace_uss["bpftrace"] : hwm["bpftrace"]
      cell = mb(v); if (t != "bpftrace" && v != "") cell = cell " (" ratio(v, b) "x)"
      line = line sprintf(" %-22s", cell) }
    if (M[j] == "trace_rss") line = line "   target <= 10 MB" verdict(trace_rss["follow"] != "" && trace_rss["follow"] <= 10240 && trace_rss["daemon"] != "" && trace_rss["daemon"] <= 10240)
    if (M[j] == "hwm") line = line "   target <= 15 MB" verdict(hwm["follow"] != "" && hwm["follow"] <= 15360 && hwm["daemon"] != "" && hwm["daemon"] <= 15360)
    print line
  }
  line = sprintf("%-26s", "threads")
  for (i = 1; i <= n; i++) line = line sprintf(" %-22s", threads[T[i]] == "" ? "-" : threads[T[i]])
  print line
  line = sprintf("%-26s", "idle wake-ups")
  for (i = 1; i <= n; i++) { t = T[i]
    cell = idle_cs[t] == "" ? "-" : sprintf("%.2f/s (%d)", idle_cs[t] / idle_sec[t], idle_cs[t])
    line = line sprintf(" %-22s", cell) }
  print line "   target daemon 0" verdict(idle_cs["daemon"] != "" && idle_cs["daemon"] + 0 == 0)
  # loads
  split("drm dummy", L, " ")
  for (j = 1; j <= 2; j++) {
    m = L[j]; base = median(loads["none", m])
    line = sprintf("%-26s", m " load (median)")
    for (i = 1; i <= n; i++) { t = T[i]; v = median(loads[t, m])
      cell = v == "" ? "-" : sprintf("%.2f ms (%sx)", v / 1000, ratio(v, base))
      line = line sprintf(" %-22s", cell) }
    # The no-tracer loads' middle half: a tracer's median inside it is within this boot's noise.
    print line sprintf("   no tracer %s", base == "" ? "-" : sprintf("%.2f ms, middle half %.2f-%.2f", base / 1000, quantile(loads["none", m], 0.25) / 1000, quantile(loads["none", m], 0.75) / 1000))
  }
  line = sprintf("%-26s", "events seen (live)")
  for (i = 1; i <= n; i++) { t = T[i]; line = line sprintf(" %-22s", events[t] == "" ? "-" : events[t] " (exit " exitc[t] ")") }
  print line
  if (check) { print failed ? "footprint: some targets MISSED" : "footprint: every target met"; exit failed ? 1 : 0 }
}
