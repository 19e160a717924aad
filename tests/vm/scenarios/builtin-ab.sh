# Measurement, not a test: `lifetrace list --builtin --json` of two builds on this guest's own
# /proc/kallsyms, /extra/lifetrace-a (e.g. a build before a change) and the lifetrace of this
# initramfs, each twice under `busybox time -v`: once with Debian's module directory as it is
# (no modules.builtin.ranges), once with a modules.builtin.ranges made here from the guest's
# kallsyms (awk, about 40 s under TCG), so that the code placing ranges runs on a real symbol
# table too. "SAME" or "FAIL: ... DIFFERENT" lines in scenario.log; busybox's "Maximum resident
# set size" is 4 times too large (it converts ru_maxrss, already in KiB, from pages).
#
#   tests/vm/run-guest.sh --kernel-env ENV --scenario tests/vm/scenarios/builtin-ab.sh \
#     --out DIR --lifetrace build/lifetrace --extra /tmp/lifetrace-a
# lt-modules: dummy
# shellcheck shell=sh
# shellcheck disable=SC1091
. /lt/lib.sh

step setup
[ -x /extra/lifetrace-a ] || fail "no /extra/lifetrace-a (pass --extra FILE named lifetrace-a)"
insmod "$(ko dummy)" || fail "insmod dummy"  # module lines after vmlinux's, as on a real system
cp /proc/kallsyms /tmp/kallsyms.txt
log "kallsyms: $(wc -l </tmp/kallsyms.txt) lines, $(wc -c </tmp/kallsyms.txt) bytes"
mkdir -p /tmp/mod
cp "$MODDIR/modules.builtin" "$MODDIR/modules.builtin.modinfo" /tmp/mod/
# Ranges over real text symbols, offsets from _text (the low 32 bits suffice within .text):
# module i gets the symbols from the (7i+1000)th to the (7i+1003)th, every 5th range is shared
# with the next module.
grep '\.ko$' "$MODDIR/modules.builtin" | sed 's|.*/||; s|\.ko$||; s|-|_|g' >/tmp/mods
awk 'function hex(s,  i, v) {
       v = 0
       for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
       return v
     }
     FNR == NR { m[nm++] = $1; next }
     NF == 3 && ($2 == "t" || $2 == "T") { v = hex(substr($1, 9)); if ($3 == "_text") t = v; a[n++] = v }
     END {
       print ".text 00000000-00000000 = _text"
       for (i = 0; i < nm && 7 * i + 1003 < n; i++) {
         extra = (i % 5 == 0 && i + 1 < nm) ? " " m[i + 1] : ""
         printf ".text %08x-%08x %s%s\n", a[7 * i + 1000] - t, a[7 * i + 1003] - t, m[i], extra
       }
     }' /tmp/mods /tmp/kallsyms.txt >/tmp/mod/modules.builtin.ranges
log "ranges: $(wc -l </tmp/mod/modules.builtin.ranges) lines"

# run NAME BIN [ARG...]
run() {
  _n=$1 _b=$2
  shift 2
  busybox time -v "$_b" list --builtin --json "$@" >"/tmp/$_n.json" 2>"/tmp/$_n.err"
  log "$_n: exit $?, $(grep -c . "/tmp/$_n.json") lines; $(grep -E 'Maximum resident|Elapsed' "/tmp/$_n.err" | tr -s '\t\n' ' ;')"
  grep -v -E '^[[:space:]]|Command being timed|Command exited' "/tmp/$_n.err" | sed "s/^/  $_n stderr: /"
}
for dir in debian ranges; do
  step "compare_$dir"
  set --
  [ "$dir" = ranges ] && set -- --path.modules /tmp/mod
  for rep in 1 2; do
    run "a-$dir-$rep" /extra/lifetrace-a "$@"
    run "b-$dir-$rep" lifetrace "$@"
    if cmp -s "/tmp/a-$dir-$rep.json" "/tmp/b-$dir-$rep.json"; then
      log "SAME $dir $rep: $(md5sum <"/tmp/b-$dir-$rep.json")"
    else
      fail "DIFFERENT $dir $rep"
      diff "/tmp/a-$dir-$rep.json" "/tmp/b-$dir-$rep.json" | head -20
    fi
  done
  log "summary: $(tail -1 "/tmp/b-$dir-1.json")"
  log "located through ranges: $(grep -c '"evidence_source":"ranges' "/tmp/b-$dir-1.json")"
done
rmmod dummy
lt_finish
