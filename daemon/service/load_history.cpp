#include "service/load_history.h"

#include <algorithm>

#include "output/event_json.h"
#include "output/follow_protocol.h"

namespace lifetrace {

namespace proto = follow_protocol;

void LoadHistory::start(std::string since, const std::vector<classify::ModuleInfo>& loaded) {
  since_ = std::move(since);
  preloaded_.clear();
  for (const auto& m : loaded) {
    if (!live_before_start_.contains(m.name))
      preloaded_.push_back(proto::preloaded_line({m.name, m.language}));
  }
  live_before_start_.clear();
  started_ = true;
  answer_.reset();
}

void LoadHistory::on_event(const Event& e, const WallClock& clock) {
  if (e.kind != EventKind::live && e.kind != EventKind::load_failed) return;
  if (!started_ && e.kind == EventKind::live) live_before_start_.insert(e.module);
  std::string line = json_line(e, clock);
  if (first_.size() < keep_first_) {
    first_.push_back(std::move(line));
  } else if (keep_last_ == 0) {
    ++not_kept_;
  } else {
    last_.push_back(std::move(line));
    if (last_.size() > keep_last_) {
      last_.pop_front();
      ++not_kept_;
    }
  }
  answer_.reset();
}

std::shared_ptr<const std::vector<std::string>> LoadHistory::answer() {
  if (answer_) return answer_;
  auto lines = std::make_shared<std::vector<std::string>>();
  lines->reserve(2 + preloaded_.size() + kept());
  proto::HistoryStart h;
  h.loads = kept();
  h.preloaded = preloaded_.size();
  h.not_kept = not_kept_;
  h.max_loads = keep_first_ + keep_last_;
  h.since = since_;
  lines->push_back(proto::history_start_line(h));
  lines->insert(lines->end(), preloaded_.begin(), preloaded_.end());
  lines->insert(lines->end(), first_.begin(), first_.end());
  lines->insert(lines->end(), last_.begin(), last_.end());
  lines->push_back(proto::history_end_line(h.loads));
  answer_ = std::move(lines);
  return answer_;
}

}  // namespace lifetrace
