#include "core/health.h"

namespace lifetrace {

std::string_view lost_reason_name(int reason) {
  switch (reason) {
    case LT_LOST_RINGBUF_FULL: return "ringbuf_full";
    case LT_LOST_SYMBOLS_RINGBUF: return "symbols_ringbuf_full";
    case LT_LOST_SYMBOLS_LIMIT: return "symbols_over_limit";
    case LT_LOST_PENDING_FULL: return "pending_map_full";
    default: return "unknown";
  }
}

std::string_view to_string(MissCause c) {
  switch (c) {
    case MissCause::recursion: return "recursion";
    case MissCause::kprobe_missed: return "kprobe_missed";
  }
  return "unknown";
}

}  // namespace lifetrace
