// Rust mangling recogniser: table-driven positive and negative cases.
// The v0 names below were written by hand following the grammar (backref
// offsets counted from just after "_R"); the kernel-shaped ones mirror what
// Rust-for-Linux modules contain.
#include <catch2/catch.hpp>

#include "classify/classify.h"

using lifetrace::classify::Mangling;
using lifetrace::classify::rust_mangling;
using lifetrace::classify::to_string;

namespace {
constexpr auto v0 = Mangling::rust_v0;
constexpr auto legacy = Mangling::rust_legacy;
constexpr auto none = Mangling::none;
}  // namespace

TEST_CASE("v0 names are recognised by structure", "[mangling]") {
  auto [name, expected] = GENERATE(table<const char*, Mangling>({
      // nested paths: core::panicking::panic
      {"_RNvNtCsbDqzXfLQacH_4core9panicking5panic", v0},
      // crate root with disambiguator, identifier containing '_' and digits
      {"_RNvCs1234abcd_13ax88796b_rust4init", v0},
      // inherent impl with disambiguator + backref to the crate root
      {"_RNvMs0_Cs1lago9ikuyD_6qt2025NtB5_9PhyQT20253new", v0},
      // trait impl: <qt2025::PhyQT2025 as kernel::net::phy::Driver>::probe
      {"_RNvXs_Cs1lago9ikuyD_6qt2025NtB4_9PhyQT2025NtNtNtCsdJ13ReMSUMg_"
       "6kernel3net3phy6Driver5probe",
       v0},
      // generic args with a closure argument and an instantiating crate backref
      {"_RINvNtNtCsdJ13ReMSUMg_6kernel2io4poll17read_poll_timeoutNCNvCs1a2b3c4d5e6_8rust_mod5probe0"
       "EBW_",
       v0},
      // closure namespace, disambiguated empty identifier, instantiating crate
      {"_RNCNvCs1a2b3c4d5e6_8rust_mod4mains_0B3_", v0},
      // punycode identifier
      {"_RNvCs1a2b3c4d5e6_8rust_modu7grn_uva", v0},
      // trait definition
      {"_RNvYNtCs1a2b3c4d5e6_8rust_mod6DeviceNtB4_6Driver5probe", v0},
      // types: &[u8], (usize, &'_ str), [u8; 16], unsafe extern "C" fn(usize) -> u32
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeRShE", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeTjRL_eEE", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeAhj10_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeFUKCjEmE", v0},
      // for<'a> fn(&'a u8), *const *mut ()
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeFG_RL0_hEuE", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takePOuE", v0},
      // dyn Debug + '_, dyn for<'a> Fn<Output = ()>
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeDNtNtCsbDqzXfLQacH_4core3fmt5DebugEL_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeDG_NtNtCsbDqzXfLQacH_4core3ops2Fnp6OutputuEL_E", v0},
      // consts: 8usize, -11i8, true, 'A', placeholder, &"abc", Foo { bar: 1 }
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKj8_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKanb_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKb1_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKc41_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKpE", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKRe616263_E", v0},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeKVNtB2_3FooS3barj1_EE", v0},
      // backref to an earlier type
      {"_RINvCs1a2b3c4d5e6_8rust_mod4pairNtB2_6DeviceBu_E", v0},
      // vendor-specific suffixes
      {"_RNvCs1a2b3c4d5e6_8rust_mod4init.llvm.123456789", v0},
      {"_RNvCs1a2b3c4d5e6_8rust_mod4init$tlv$init", v0},
      // a Rust static (THIS_MODULE) and a module! generated static
      {"_RNvCs1lago9ikuyD_6qt202511THIS_MODULE", v0},
      {"_RNvNtNtCs1lago9ikuyD_6qt202513___module_init13___module_init16___IS_RUST_MODULE", v0},
  }));
  CAPTURE(name);
  CHECK(to_string(rust_mangling(name)) == to_string(expected));
  // A complete name is also accepted when flagged as (possibly) truncated.
  CHECK(to_string(rust_mangling(name, true)) == to_string(expected));
}

TEST_CASE("legacy names need the 17h<16 hex> hash and the E", "[mangling]") {
  auto [name, expected] = GENERATE(table<const char*, Mangling>({
      {"_ZN4core9panicking5panic17h0123456789abcdefE", legacy},
      {"_ZN10legacy_mod6helper17h0123456789abcdefE.llvm.42", legacy},
      {"_ZN60_$LT$alloc..string..String$u20$as$u20$core..fmt..Display$GT$3fmt17h1234567890abcdefE",
       legacy},
      {"_ZN3foo3barEv", none},                 // C++
      {"_ZN3foo17h0123456789abcdegE", none},   // 'g' is not hex
      {"_ZN3foo16h0123456789abcdeE", none},    // hash too short
      {"_ZN17h0123456789abcdefE", none},       // nothing but the hash
      {"_ZN3foo17h0123456789abcdefEx", none},  // garbage after E
      {"_ZN3foo17h0123456789abcdef", none},    // no E
      {"_ZN03foo17h0123456789abcdefE", none},  // leading zero length
      {"_ZN4core9panicking5panic", none},      // unterminated
  }));
  CAPTURE(name);
  CHECK(to_string(rust_mangling(name)) == to_string(expected));
}

TEST_CASE("C identifiers and malformed names are not Rust", "[mangling]") {
  auto name = GENERATE(as<const char*>{}, "", "_", "_R", "R", "__R", "_Reset_counter",
                       "_RX_handler", "_RNG_seed", "_RNvoid_poke", "_RasMessage",
                       "_RegistrationRequest", "init_module", "_RNvC",
                       // the crate root, one identifier, then "5panic" left over: garbage
                       // after a valid path (core::panicking::panic needs two N)
                       "_RNvCsbDqzXfLQacH_4core9panicking5panic",
                       "_RNvCs1a2b3c4d5e6_8rust_mod4initXYZ",   // X starts a path that is not there
                       "_RNvCs1a2b3c4d5e6_8rust_mod4init_foo",  // trailing garbage
                       "_RNvCs1a2b3c4d5e6_8rust_mod9init",      // identifier longer than the name
                       "_RB_",                                  // backref to itself
                       "_RNvB_1a",                              // backref to an unfinished element
                       "_RNvNtB0_3foo3bar",                     // backref into the middle of a tag
                       "_R0NvC3foo3bar",                        // unknown encoding version
                       "_RNvC3fo-3bar",                         // '-' is not an identifier byte
                       "_RINvC3foo3bargE",                      // 'g' is no basic type
                       "_RINvC3foo3barKb2_E",                   // bool const 2
                       "_RINvC3foo3barKe616_E",        // odd number of nibbles in a str const
                       "_RNvCsZZZZZZZZZZZZ_3foo3bar",  // disambiguator overflows 64 bits
                       "_RNvXs_Cs1lago9ikuyD_6qt2025NtB9_9PhyQT2025NtNtNtCsdJ13ReMSUMg_"
                       "6kernel3net3phy6Driver5probe");
  CAPTURE(name);
  CHECK(rust_mangling(name) == none);
}

TEST_CASE("truncated names are accepted when the prefix parses", "[mangling]") {
  auto [name, truncated, expected] = GENERATE(table<const char*, bool, Mangling>({
      {"_RNvNtCsbDqzXfLQacH_4core9panick", true, v0},  // cut inside an identifier
      {"_RNvNtCsbDqzXfLQacH_4core9panick", false, none},
      {"_RNvNtCsbDqzXfLQacH_4co", true, v0},
      {"_RNvNtCsbDqzX", true, v0},  // cut inside a disambiguator
      {"_RNvC", true, v0},
      {"_RNvC", false, none},
      {"_RINvCs1a2b3c4d5e6_8rust_mod4takeTjRL_", true, v0},
      {"_R", true, none},           // nothing to parse
      {"_Reset_coun", true, none},  // invalid before the cut
      {"_RX_", true, none},
      {"_RNvoid_po", true, none},
      {"_ZN4core9panicking5pan", true, legacy},
      {"_ZN4core9panicking5pan", false, none},
      {"_ZN4", true, none},  // not even one component
  }));
  CAPTURE(name, truncated);
  CHECK(to_string(rust_mangling(name, truncated)) == to_string(expected));
}

TEST_CASE("deeply nested input does not overflow the stack", "[mangling]") {
  std::string deep = "_RINvC3foo3bar";
  for (int i = 0; i < 100000; ++i) deep += "RS";
  deep += "hE";
  CHECK(rust_mangling(deep) == none);
  std::string generics = "_R";
  for (int i = 0; i < 100000; ++i) generics += "I";
  CHECK(rust_mangling(generics, true) == none);
}
