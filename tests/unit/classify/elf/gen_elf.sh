#!/bin/sh
# Builds the synthetic module files the unit tests read (run by CMake at
# build time):  gen_elf.sh CC SRCDIR OUTDIR
#   OUTDIR/good/     valid modules, one per language, in every compression
#   OUTDIR/formats/  the same Rust-shaped module as .ko/.ko.xz/.ko.zst/.ko.gz
#   OUTDIR/bad/      files that must fail with a clear per-file message
#   OUTDIR/weak/     a module whose C functions are weak symbols (nm 'W')
#   OUTDIR/hostile/  control bytes and invalid UTF-8 in symbol and module names
#   OUTDIR/bombs/    300 MiB of zeros in every compression (decompression bombs)
set -eu
CC=$1 SRC=$2 OUT=$3
rm -rf "$OUT"
mkdir -p "$OUT/obj" "$OUT/good/sub" "$OUT/formats" "$OUT/bad" "$OUT/weak" "$OUT/hostile" "$OUT/bombs"
for m in rust_mod c_mod mixed_mod weak_mod legacy_mod data_mod nosymtab hostile_mod; do
  "$CC" -c -O1 -fno-asynchronous-unwind-tables -I"$SRC" -o "$OUT/obj/$m.ko" "$SRC/$m.c"
done
o=$OUT/obj

# good/: what a kernel's module tree looks like (with a non-module file).
cp "$o/c_mod.ko" "$OUT/good/c_mod.ko"
xz -c -T1 --check=crc32 --lzma2=dict=1MiB "$o/rust_mod.ko" > "$OUT/good/rust_mod.ko.xz"
zstd -q -c "$o/mixed_mod.ko" > "$OUT/good/sub/mixed_mod.ko.zst"
gzip -c -n "$o/legacy_mod.ko" > "$OUT/good/legacy_mod.ko.gz"
cp "$o/data_mod.ko" "$OUT/good/sub/data_mod.ko"
echo "not a module" > "$OUT/good/modules.order"
cp "$o/c_mod.ko" "$OUT/good/c_mod.o"

# signed/: rust_mod.ko with a module signature appended as sign-file lays it out: the signature
# (here 16 bytes that are not PKCS#7), struct module_signature (algo, hash, id_type 2 = PKCS#7,
# signer_len, key_id_len, 3 pad bytes, big-endian sig_len = 16), then the marker.
mkdir -p "$OUT/signed"
{ cat "$o/rust_mod.ko"; printf '0123456789abcdef'; printf '\000\000\002\000\000\000\000\000\000\000\000\020'
  printf '~Module signature appended~\n'; } > "$OUT/signed/rust_mod.ko"

# weak/: C functions that are all weak symbols, beside a Rust one.
cp "$o/weak_mod.ko" "$OUT/weak/weak_mod.ko"

# formats/: one module in every container.
cp "$o/rust_mod.ko" "$OUT/formats/rust_mod.ko"
xz -c -T1 --check=crc32 --lzma2=dict=1MiB "$o/rust_mod.ko" > "$OUT/formats/rust_mod.ko.xz"
zstd -q -c "$o/rust_mod.ko" > "$OUT/formats/rust_mod.ko.zst"
zstd -q -c --no-content-size "$o/rust_mod.ko" > "$OUT/formats/rust_mod_nosize.ko.zst"
gzip -c -n "$o/rust_mod.ko" > "$OUT/formats/rust_mod.ko.gz"

# bad/: one failure each.
echo "this is not an ELF file" > "$OUT/bad/notelf.ko"
: > "$OUT/bad/empty.ko"
head -c 300 "$o/c_mod.ko" > "$OUT/bad/truncated.ko"
xz -c -T1 --check=crc32 "$o/rust_mod.ko" > "$o/rust_mod.ko.xz"
size=$(wc -c < "$o/rust_mod.ko.xz")
head -c $((size / 2)) "$o/rust_mod.ko.xz" > "$OUT/bad/truncated.ko.xz"
zstd -q -c "$o/rust_mod.ko" > "$o/rust_mod.ko.zst"
size=$(wc -c < "$o/rust_mod.ko.zst")
head -c $((size / 2)) "$o/rust_mod.ko.zst" > "$OUT/bad/truncated.ko.zst"
gzip -c -n "$o/rust_mod.ko" > "$o/rust_mod.ko.gz"
size=$(wc -c < "$o/rust_mod.ko.gz")
head -c $((size / 2)) "$o/rust_mod.ko.gz" > "$OUT/bad/truncated.ko.gz"
{ head -c 200 "$o/rust_mod.ko.xz"; printf 'CORRUPTCORRUPTCORRUPT'; tail -c +222 "$o/rust_mod.ko.xz"; } > "$OUT/bad/corrupt.ko.xz"
{ head -c 100 "$o/rust_mod.ko.gz"; printf 'CORRUPTCORRUPTCORRUPT'; tail -c +122 "$o/rust_mod.ko.gz"; } > "$OUT/bad/corrupt.ko.gz"
echo "plain text, not xz" > "$OUT/bad/notxz.ko.xz"
objcopy --strip-all "$o/nosymtab.ko" "$OUT/bad/nosymtab.ko"

# hostile/: the markers of hostile_mod.c replaced by raw bytes (same lengths).
perl -0777 -pe 's/LTMARKAA/\xFF\x1B[2J\n\t\xC2/g; s/LTMARKBB/\xFF\xFE\x1B]0;\x07\\/g;
                s/LTMARKCC/\xFF\r\n<3>ok/g' "$o/hostile_mod.ko" > "$OUT/hostile/hostile_mod.ko"
xz -c -T1 --check=crc32 "$OUT/hostile/hostile_mod.ko" > "$OUT/hostile/hostile_mod.ko.xz"

# bombs/: small files that decompress to more than the per-file limit.
head -c 300M /dev/zero | xz -0 -T1 -c > "$OUT/bombs/bomb.ko.xz"
head -c 300M /dev/zero | zstd -q -c > "$OUT/bombs/bomb.ko.zst"
head -c 300M /dev/zero | gzip -1 -n -c > "$OUT/bombs/bomb.ko.gz"
