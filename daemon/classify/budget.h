// A memory budget shared by every worker thread of a classification run: the
// bytes held for file contents, decompressed images and decoder state, so
// that hostile files (decompression bombs) cost a bounded amount of memory
// whatever the thread count.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace lifetrace::classify {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t capacity) : capacity_(capacity) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  size_t capacity() const { return capacity_; }
  size_t in_use() const;
  size_t peak() const;  // highest in_use() so far

  // Takes n bytes if they are free now.
  bool try_take(size_t n);
  // Waits until n bytes are free and takes them; false at once if n exceeds
  // the capacity. Deadlock-free only if the caller holds nothing of this
  // budget: callers that hold bytes grow with try_take() and, when refused,
  // give everything back before waiting. A `priority` taker (one at a time,
  // see exclusive()) is served before new ordinary takers.
  bool take(size_t n, bool priority = false);
  void give(size_t n);

  // Held by the one worker that retries a file too large for the shared pool.
  std::mutex& exclusive() { return exclusive_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t used_ = 0;
  size_t peak_ = 0;
  bool priority_waiting_ = false;
  std::mutex exclusive_;
};

// What one worker holds of a budget; gives it all back when destroyed.
class Lease {
 public:
  explicit Lease(MemoryBudget& b) : budget_(b) {}
  ~Lease() { release(); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  bool take(size_t n, bool priority = false) {  // blocking; see MemoryBudget::take
    if (!budget_.take(n, priority)) return false;
    held_ += n;
    return true;
  }
  // Grows (non-blocking, may be refused) or shrinks what is held to `total`.
  bool set_total(size_t total) {
    if (total < held_) {
      budget_.give(held_ - total);
    } else if (total > held_ && !budget_.try_take(total - held_)) {
      return false;
    }
    held_ = total;
    return true;
  }
  void release() {
    budget_.give(held_);
    held_ = 0;
  }
  size_t held() const { return held_; }

 private:
  MemoryBudget& budget_;
  size_t held_ = 0;
};

// Limits of one run (documented in docs/classification.md).
inline constexpr size_t kMaxModuleFileSize = size_t{256} << 20;  // a file as stored
inline constexpr size_t kMaxBudget = size_t{512} << 20;          // all threads together

// The budget every classify_file() call without an explicit one shares.
MemoryBudget& default_budget();

}  // namespace lifetrace::classify
