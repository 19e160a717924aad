#!/usr/bin/env python3
"""The systemd guest's `lifetrace blame --json`, `plot` and `plot --format trace`, checked on the
host (the guest image has no JSON parser or SVG renderer). Called by run-systemd-guest.sh with the
sections guest-check.sh captured; prints PASS/FAIL/INFO lines like the guest does.

  check-blame.py DIR INITRAMFS_MODULES
    DIR: blame.json, plot.svg, trace.json, proc_modules.txt (one name a line); plot.png is written
    INITRAMFS_MODULES: the modules the initramfs insmods, space-separated (run before lifetrace;
    so do the few systemd's PID 1 loads before starting any unit)
"""
import json
import os
import shutil
import struct
import subprocess
import sys

out, initramfs = sys.argv[1], set(sys.argv[2].split())
fails = 0


def res(ok, name, why=""):
    global fails
    print(f"PASS {name}" if ok else f"FAIL {name}: {why}")
    fails += 0 if ok else 1


def read(name):
    try:
        with open(os.path.join(out, name), encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        return ""


# --- blame --json ---------------------------------------------------------------------------
try:
    blame = json.loads(read("blame.json"))
    res(True, "host_blame_json_valid")
except ValueError as e:
    res(False, "host_blame_json_valid", str(e))
    blame = {"loads": [], "before_lifetrace": []}
loads = blame.get("loads", [])
ns = [l.get("load_ns", 0) for l in loads]
res(ns == sorted(ns, reverse=True), "host_blame_slowest_first", f"{ns[:10]}...")
live = {l["module"] for l in loads if l.get("result") == "ok"}
failed = [l for l in loads if l.get("result") == "failed"]
before = {p["module"] for p in blame.get("before_lifetrace", [])}
proc = {m for m in read("proc_modules.txt").split() if m}
print(f"INFO host_blame_loads={len(loads)} live={len(live)} failed={len(failed)} "
      f"before_lifetrace={len(before)} proc_modules={len(proc)}")
print("INFO host_blame_before_lifetrace=" + " ".join(sorted(before)))
print("INFO host_blame_failed=" + " ".join(f"{l['module']}:{l.get('errno', '?')}" for l in failed))
# Every module in /proc/modules was either loaded since the daemon started (a row) or before it
# (the initramfs's, listed without timings); the initramfs's are exactly the ones before it.
unexplained = proc - live - before
res(not unexplained, "host_blame_covers_proc_modules",
    "in /proc/modules, neither a load nor before lifetrace: " + " ".join(sorted(unexplained)))
# Before any unit, PID 1 loads a few itself (systemd's kmod-setup.c; x_tables for ip_tables):
# no unit can start earlier.
pid1 = {"autofs4", "ipv6", "unix", "ip_tables", "x_tables", "virtio_rng", "qemu_fw_cfg",
        "dmi_sysfs"}
print("INFO host_blame_before_by_pid1=" + " ".join(sorted(before & pid1)))
res(before <= initramfs | pid1, "host_blame_before_is_initramfs_or_pid1",
    "before lifetrace but neither in the initramfs nor loaded by PID 1 itself: "
    + " ".join(sorted(before - initramfs - pid1)))
res((initramfs & proc) <= before, "host_blame_initramfs_before",
    "initramfs modules not listed as before lifetrace: " + " ".join(sorted((initramfs & proc) - before)))
res(all(l.get("phases") and sum(p["ns"] for p in l["phases"]) == l["load_ns"] for l in loads),
    "host_blame_bars_sum_to_load", "a load whose bar does not sum to load_ns")
measured = sum(1 for l in loads if l.get("phases_measured"))
print(f"INFO host_blame_phases_measured={measured} of {len(loads)}")

# --- plot: SVG --------------------------------------------------------------------------------
svg = os.path.join(out, "plot.svg")
if not shutil.which("xmllint") or not shutil.which("rsvg-convert"):
    res(False, "host_plot_svg_renders", "xmllint/rsvg-convert not found (libxml2-utils, librsvg2-bin)")
else:
    x = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
    res(x.returncode == 0, "host_plot_svg_well_formed", x.stderr[:300])

    def xpath(expr):
        return subprocess.run(["xmllint", "--xpath", expr, svg], capture_output=True,
                              text=True).stdout.strip()

    rows = xpath("count(//*[local-name()='g'][@class='load' or @class='load failed'])")
    res(rows == str(len(loads)), "host_plot_svg_one_row_per_load", f"{rows} rows, {len(loads)} loads")
    labels = xpath("//*[local-name()='text'][@class='label']/text()")
    res(all(m in labels for m in live), "host_plot_svg_labels", "a loaded module has no label")
    png = os.path.join(out, "plot.png")
    r = subprocess.run(["rsvg-convert", "-o", png, svg], capture_output=True, text=True)
    ok = r.returncode == 0 and os.path.getsize(png) > 1000
    if ok:
        with open(png, "rb") as f:
            head = f.read(24)
        w, h = struct.unpack(">II", head[16:24])
        want = (int(xpath("string(/*/@width)")), int(xpath("string(/*/@height)")))
        ok = head[:8] == b"\x89PNG\r\n\x1a\n" and (w, h) == want
        print(f"INFO host_plot_png={w}x{h} bytes={os.path.getsize(png)}")
    res(ok, "host_plot_svg_renders", r.stderr[:300] or "PNG missing, empty or of the wrong size")

# --- plot --format trace ------------------------------------------------------------------------
try:
    trace = json.loads(read("trace.json"))
    evs = trace["traceEvents"]
    tracks = {e["tid"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
    slices = [e for e in evs if e["ph"] == "X"]
    ok = len(tracks) == len(loads) and all(
        isinstance(e["ts"], (int, float)) and e["dur"] >= 0 for e in slices)
    res(ok, "host_plot_trace_valid", f"{len(tracks)} tracks for {len(loads)} loads")
    print(f"INFO host_plot_trace_events={len(evs)} tracks={len(tracks)}")
except (ValueError, KeyError, TypeError) as e:
    res(False, "host_plot_trace_valid", repr(e)[:300])
sys.exit(1 if fails else 0)
