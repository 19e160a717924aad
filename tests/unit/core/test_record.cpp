#include <catch2/catch.hpp>
#include <cstring>

#include "core/records.h"

using namespace lifetrace;

TEST_CASE("decode: every fixed-size record round-trips its fields", "[record]") {
  auto e = test::raw(LT_REC_LOAD_ENTER, 123, 42, "modprobe");
  e.h.tgid = 40;
  e.h.uid = 1000;
  e.h.cgroup_id = 77;
  e.load_enter.syscall = LT_SYS_FINIT_MODULE;
  e.load_enter.fd = 5;
  e.load_enter.flags = 4;
  std::strcpy(e.load_enter.params, "numdummies=2");
  std::strcpy(e.load_enter.file, "dummy.ko");
  auto r = std::get<Record>(decode_record(encode_event(e)));
  CHECK(r.h.ts_ns == 123);
  CHECK(r.h.tid == 42);
  CHECK(r.h.pid == 40);
  CHECK(r.h.uid == 1000);
  CHECK(r.h.cgroup_id == 77);
  CHECK(r.h.comm == "modprobe");
  const auto& b = std::get<LoadEnter>(r.body);
  CHECK(b.syscall == LT_SYS_FINIT_MODULE);
  CHECK(b.fd == 5);
  CHECK(b.flags == 4);
  CHECK(b.params == "numdummies=2");
  CHECK(b.file == "dummy.ko");
}

TEST_CASE("decode: strings without a NUL stay inside their field", "[record]") {
  auto e = test::raw(LT_REC_MOD_FREE, 1, 1);
  std::memset(e.mod_free.name, 'x', sizeof(e.mod_free.name));
  std::memset(e.h.comm, 'y', sizeof(e.h.comm));
  auto r = std::get<Record>(decode_record(encode_event(e)));
  CHECK(std::get<ModFree>(r.body).name == std::string(LT_MODNAME_LEN, 'x'));
  CHECK(r.h.comm == std::string(LT_COMM_LEN, 'y'));
}

TEST_CASE("decode: short, unknown and inconsistent records are errors, not crashes", "[record]") {
  const std::vector<std::byte> tiny(4);
  CHECK(std::holds_alternative<DecodeError>(decode_record(tiny)));

  auto e = test::raw(999, 1, 1);
  CHECK(std::holds_alternative<DecodeError>(decode_record(encode_event(e))));

  auto ok = encode_event(test::raw(LT_REC_LOAD_EXIT, 1, 1));
  ok.resize(ok.size() - 1);
  CHECK(std::holds_alternative<DecodeError>(decode_record(ok)));

  lt_header h{};
  auto sym = encode_symbols(h, 0x1000, {{'t', false, "dummy_init"}});
  sym.resize(sym.size() - 3);  // cut inside the name: claimed length exceeds data
  CHECK(std::holds_alternative<DecodeError>(decode_record(sym)));
}

TEST_CASE("decode: symbol batches keep type letters, truncation and order", "[record]") {
  lt_header h{};
  const std::vector<SymbolEntry> in = {
      {'t', false, "dummy_init_module"},
      {'U', false, "_RNvNtCs1234_6kernel5print11call_printk"},
      {'T', true, std::string(LT_SYMNAME_LEN - 1, 'a')},
  };
  auto r = std::get<Record>(decode_record(encode_symbols(h, 0xffffffffc0001000ULL, in)));
  const auto& b = std::get<SymbolBatch>(r.body);
  CHECK(b.mod == 0xffffffffc0001000ULL);
  REQUIRE(b.symbols.size() == 3);
  for (std::size_t i = 0; i < in.size(); ++i) {
    CAPTURE(i);
    CHECK(b.symbols[i].type == in[i].type);
    CHECK(b.symbols[i].truncated == in[i].truncated);
    CHECK(b.symbols[i].name == in[i].name);
  }
}

TEST_CASE("encode_symbols refuses a batch that does not fit", "[record]") {
  lt_header h{};
  std::vector<SymbolEntry> many(40, SymbolEntry{'t', false, std::string(200, 'z')});
  CHECK_THROWS_AS(encode_symbols(h, 1, many), std::length_error);
}

TEST_CASE("strings from the kernel are made safe where records are decoded", "[record]") {
  auto e = test::raw(LT_REC_LOAD_ENTER, 1, 7, "fl\x1b[31mood");
  e.load_enter.syscall = LT_SYS_FINIT_MODULE;
  std::strncpy(e.load_enter.params, "x=1\n<0>lifetrace: FORGED\xff",
               sizeof(e.load_enter.params) - 1);
  std::strncpy(e.load_enter.file, "evil\r.ko", sizeof(e.load_enter.file) - 1);
  const Record r = test::decode(e);
  CHECK(r.h.comm == "fl\\x1B[31mood");
  const auto& b = std::get<LoadEnter>(r.body);
  CHECK(b.params == "x=1\\x0A<0>lifetrace: FORGED\\xFF");
  CHECK(b.file == "evil\\x0D.ko");
}

TEST_CASE("a symbol batch's count cannot make the decoder allocate", "[record]") {
  // Found by tests/fuzz/fuzz_record (tests/fuzz/regressions/record): the
  // decoder reserved room for `count` names before reading any.
  lt_header h{};
  auto bytes = encode_symbols(h, 1, {{'T', false, "a"}});
  lt_symbols_event ev{};
  std::memcpy(&ev, bytes.data(), bytes.size());
  ev.s.count = 0xffffffffu;
  std::memcpy(bytes.data(), &ev, bytes.size());
  const auto r = decode_record(bytes);
  REQUIRE(std::holds_alternative<Record>(r));
  CHECK(std::get<SymbolBatch>(std::get<Record>(r).body).symbols.size() == 1);
}

TEST_CASE("decode: a phases record is named and ordered and bounded whatever the sender says",
          "[record]") {
  auto e = test::raw(LT_REC_PHASES, 5, 42);
  e.phases.span_ns = 900;
  e.phases.read_bytes = 4096;
  e.phases.failed = LT_PH_PARAMS;
  e.phases.failed_ret = -22;
  e.phases.order[0] = LT_PH_READ;
  e.phases.order[1] = LT_PH_LOAD_MODULE;
  e.phases.order[2] = LT_PH_READ;  // repeated: kept once
  e.phases.order[3] = 0;           // LT_PH_NONE: skipped
  e.phases.order[4] = 200;         // out of range: skipped
  e.phases.order[5] = LT_PH_PARAMS;
  e.phases.order[6] = 31;  // a slot this build has no name for
  e.phases.count = 250;    // more than the array holds
  e.phases.ns[LT_PH_READ] = 100;
  e.phases.ns[LT_PH_LOAD_MODULE] = 300;
  e.phases.ns[LT_PH_PARAMS] = 7;
  e.phases.ns[31] = 1;
  auto r = std::get<Record>(decode_record(encode_event(e)));
  const auto& p = std::get<LoadPhases>(r.body);
  CHECK(p.span_ns == 900);
  CHECK(p.read_bytes == 4096);
  CHECK(p.failed == LT_PH_PARAMS);
  CHECK(p.failed_ret == -22);
  CHECK(p.phases == Phases{{"read", 100}, {"load_module", 300}, {"params", 7}, {"phase31", 1}});
}
