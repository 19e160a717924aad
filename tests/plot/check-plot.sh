#!/usr/bin/env bash
# `lifetrace plot`'s SVG and trace export, checked with real tools:
#   - xmllint (libxml2) parses the SVG: well-formed XML, hostile module names escaped;
#     XPath counts one row per load and finds the labels, the legend and the axis;
#   - rsvg-convert (librsvg) renders it to a PNG, which must have the SVG's size and show
#     the phase colours, the failed rows' background and the language markers (pixels counted);
#   - the trace is JSON in the trace-event format: traceEvents, X slices with ts/dur/pid/tid,
#     one named track per load, every phase inside its load.
#
# Usage: tests/plot/check-plot.sh PLOT_SAMPLE OUTDIR   (PLOT_SAMPLE: lifetrace_plot_sample)
set -euo pipefail
sample=${1:?usage: check-plot.sh PLOT_SAMPLE OUTDIR} out=${2:?}
die() { echo "check-plot: FAIL: $*" >&2; exit 1; }
for t in xmllint rsvg-convert python3; do
  command -v "$t" >/dev/null || die "'$t' not found
HINT: scripts/install-deps.sh --tests (libxml2-utils, librsvg2-bin, python3)"
done
mkdir -p "$out"
"$sample" "$out/plot.svg" "$out/trace.json"

# --- the SVG as XML ---------------------------------------------------------------------------
xmllint --noout "$out/plot.svg" || die "plot.svg is not well-formed XML"
xp() { xmllint --xpath "$1" "$out/plot.svg"; }
svg='*[local-name()="svg"]'
rows=$(xp "count(/$svg//*[local-name()='g'][starts-with(@class,'load')])")
[[ $rows == 24 ]] || die "expected 24 rows (one per load), found $rows"
failed=$(xp "count(//*[local-name()='g'][@class='load failed'])")
[[ $failed == 2 ]] || die "expected 2 failed rows, found $failed"
[[ $(xp "count(//*[local-name()='script'])") == 0 ]] || die "a module name became an element"
# The hostile name is text, whole (cut to 26 characters by the label, whole in the row's title).
label=$(xp "string((//*[local-name()='text'][@class='label'])[8])")
[[ $label == "</text><script>alert('x')"* ]] || die "label 8 is '$label', not the hostile name as text"
title=$(xp "string((//*[local-name()='g'][starts-with(@class,'load')])[8]/*[local-name()='title'])")
[[ $title == *"</text><script>alert('x')</script>&amp;\""* ]] || die "title 8 is '$title'"
label9=$(xp "string((//*[local-name()='text'][@class='label'])[9])")
r=$'\xef\xbf\xbd'  # U+FFFD
[[ $label9 == "bad${r}${r}utf8${r} [c]" ]] \
  || die "invalid UTF-8, a control and a bidi override were not replaced: '$label9'"
[[ $(xp "string((//*[local-name()='text'][@class='label'])[1])") == "mod_0 [c]" ]] || die "row 1 is not mod_0 [c]"
[[ $(xp "string((//*[local-name()='text'][@class='label'])[2])") == "mod_1 [rust]" ]] || die "row 2 is not mod_1 [rust]"
for legend in read signature layout symbols init other before_init c rust mixed unknown; do
  [[ $(xp "count(//*[local-name()='g'][@class='legend']/*[local-name()='text'][.='$legend'])") == 1 ]] \
    || die "the legend has no '$legend'"
done
xp "string(//*[local-name()='text'][contains(.,'seconds since the first load')])" >/dev/null \
  || die "no axis caption"
[[ $(xp "count(//*[local-name()='g'][@class='axis']/*[local-name()='text'][.='0 s'])") == 1 ]] \
  || die "no '0 s' tick"
grep -q 'EEXIST already_loaded' "$out/plot.svg" || die "the failure's errno and stage are not shown"
xp "string(//*[local-name()='text'][@class='before'])" | grep -q 'a&b<c>' \
  || die "the preloaded modules are not listed (or their names not escaped and read back)"
width=$(xp "string(/$svg/@width)")
height=$(xp "string(/$svg/@height)")
echo "check-plot: plot.svg well-formed, $rows rows ($failed failed), ${width}x${height}"

# --- rendered -----------------------------------------------------------------------------------
rsvg-convert -o "$out/plot.png" "$out/plot.svg" || die "rsvg-convert could not render plot.svg"
python3 - "$out/plot.png" "$width" "$height" <<'PY' || die "the rendered PNG is wrong (above)"
import struct, sys, zlib
path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert (w, h) == (want_w, want_h), f"PNG is {w}x{h}, the SVG says {want_w}x{want_h}"
assert depth == 8 and ctype in (2, 6) and interlace == 0, f"unexpected PNG format {ihdr}"
bpp = 4 if ctype == 6 else 3
raw, stride = zlib.decompress(idat), w * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(h):  # undo the PNG row filters
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
count = {}
for line in rows:
    for x in range(0, stride, bpp):
        px = line[x:x + 3]; count[px] = count.get(px, 0) + 1
def n(hexcolour): return count.get(bytes.fromhex(hexcolour), 0)
checks = {"phase read #4e79a7": n("4e79a7"), "phase layout #59a14f": n("59a14f"),
          "before_init #a6cee3": n("a6cee3"), "init #0b6e4f": n("0b6e4f"), "failed row #fde0e0": n("fde0e0"),
          "rust marker #b7410e": n("b7410e"), "c marker #1f4e79": n("1f4e79")}
print("check-plot: PNG %dx%d, %d bytes, %d colours; pixels: %s" % (w, h, len(data), len(count),
      ", ".join(f"{k}={v}" for k, v in checks.items())))
low = [k for k, v in checks.items() if v < 100]
assert not low, f"too few pixels of {low}: not rendered"
assert count.get(b"\xff\xff\xff", 0) < w * h * 0.95, "the picture is (almost) blank"
PY

# --- trace-event JSON -------------------------------------------------------------------------
python3 - "$out/trace.json" <<'PY' || die "trace.json is not the trace-event format (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
evs = doc["traceEvents"]
assert isinstance(evs, list) and evs, "no traceEvents"
assert doc.get("displayTimeUnit") in ("ms", "ns")
tracks, loads, phases = {}, {}, 0
for e in evs:
    for k in ("ph", "pid", "tid", "name"): assert k in e, f"event without {k}: {e}"
    assert e["ph"] in ("X", "M"), e
    if e["ph"] == "M":
        assert e["name"] in ("process_name", "thread_name", "thread_sort_index"), e
        if e["name"] == "thread_name": tracks[e["tid"]] = e["args"]["name"]
        continue
    assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
    if e.get("cat") == "phase":
        phases += 1
        ts, dur = loads[e["tid"]]
        assert ts <= e["ts"] and e["ts"] + e["dur"] <= ts + dur + 1e-6, f"phase outside its load: {e}"
    else:
        loads[e["tid"]] = (e["ts"], e["dur"])
assert len(tracks) == 24 and len(loads) == 24, (len(tracks), len(loads))
assert tracks[8].startswith("</text><script>"), tracks[8]
assert min(ts for ts, _ in loads.values()) == 0
print(f"check-plot: trace.json: {len(evs)} events, {len(tracks)} tracks, {phases} phase slices")
PY
echo "check-plot: PASS"
