#include "core/pipeline.h"

#include "core/record.h"

namespace lifetrace {

void EventPipeline::on_record(std::span<const std::byte> data) {
  auto decoded = decode_record(data);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    ++undecodable_;
    if (on_undecodable) on_undecodable(err->message);
    return;
  }
  for (Event& e : correlator_.feed(std::get<Record>(decoded))) {
    if (enrich) enrich(e);
    for (auto& c : consumers_) c(e);
  }
}

}  // namespace lifetrace
