#include "classify/budget.h"

namespace lifetrace::classify {

size_t MemoryBudget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

size_t MemoryBudget::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

bool MemoryBudget::try_take(size_t n) {
  std::lock_guard lock(mu_);
  if (n > capacity_ - used_) return false;
  used_ += n;
  if (used_ > peak_) peak_ = used_;
  return true;
}

bool MemoryBudget::take(size_t n, bool priority) {
  if (n > capacity_) return false;
  std::unique_lock lock(mu_);
  if (priority) priority_waiting_ = true;
  cv_.wait(lock, [&] { return n <= capacity_ - used_ && (priority || !priority_waiting_); });
  if (priority) priority_waiting_ = false;
  used_ += n;
  if (used_ > peak_) peak_ = used_;
  lock.unlock();
  cv_.notify_all();  // ordinary takers blocked by the priority flag
  return true;
}

void MemoryBudget::give(size_t n) {
  if (n == 0) return;
  {
    std::lock_guard lock(mu_);
    used_ -= n;
  }
  cv_.notify_all();
}

MemoryBudget& default_budget() {
  static MemoryBudget budget(kMaxBudget);
  return budget;
}

}  // namespace lifetrace::classify
