// Ring-buffer records as the BPF side might send them, or not: decoding never
// reads past the buffer, and every record that decodes goes through the
// correlator; each event it makes has sanitized strings and valid JSON.
// The input is split into records at a 2-byte length prefix, so a run feeds
// the correlator a sequence (loads, symbols, frees, requests and modprobe
// starts in any order); the request chain's tables must stay within their bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/correlator.h"
#include "core/record.h"
#include "fuzz_check.h"
#include "output/event_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifetrace;
  Correlator c;
  const WallClock clock(0);
  size_t pos = 0;
  while (pos + 2 <= size) {
    const size_t len = std::min<size_t>(data[pos] | (size_t{data[pos + 1]} << 8), size - pos - 2);
    const auto* rec = reinterpret_cast<const std::byte*>(data + pos + 2);
    pos += 2 + len;
    auto decoded = decode_record(std::span<const std::byte>(rec, len));
    if (!std::holds_alternative<Record>(decoded)) continue;
    for (const Event& e : c.feed(std::get<Record>(decoded))) {
      fuzz::check_sanitized(e.module);
      fuzz::check_sanitized(e.comm);
      if (e.params) fuzz::check_sanitized(*e.params);
      if (e.file) fuzz::check_sanitized(*e.file);
      if (e.requested_name) fuzz::check_sanitized(*e.requested_name);
      if (e.requester_comm) fuzz::check_sanitized(*e.requester_comm);
      fuzz::check_json(to_json(e, clock));
    }
  }
  if (c.pending_requests() > Correlator::kMaxPendingRequests) fuzz::fail("unbounded", "requests");
  if (c.helpers() > Correlator::kMaxHelpers) fuzz::fail("unbounded", "modprobe helpers");
  return 0;
}
