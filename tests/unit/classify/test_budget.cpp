// MemoryBudget and Lease: the shared cap on what classification holds.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "classify/budget.h"

using namespace lifetrace::classify;

TEST_CASE("budget: take, try_take, give and the peak", "[budget]") {
  MemoryBudget b(100);
  CHECK(b.try_take(60));
  CHECK_FALSE(b.try_take(41));
  CHECK(b.try_take(40));
  CHECK(b.in_use() == 100);
  b.give(70);
  CHECK(b.in_use() == 30);
  CHECK(b.peak() == 100);
  CHECK_FALSE(b.take(101));  // never satisfiable: refused, not waited for
  CHECK(b.take(70));
  b.give(100);
  CHECK(b.in_use() == 0);
}

TEST_CASE("budget: a lease gives everything back", "[budget]") {
  MemoryBudget b(100);
  {
    Lease l(b);
    CHECK(l.take(10));
    CHECK(l.set_total(50));
    CHECK_FALSE(l.set_total(101));
    CHECK(l.held() == 50);
    CHECK(l.set_total(20));  // shrinking gives back
    CHECK(b.in_use() == 20);
  }
  CHECK(b.in_use() == 0);
}

TEST_CASE("budget: a waiting taker is woken by a give", "[budget]") {
  MemoryBudget b(100);
  REQUIRE(b.try_take(90));
  std::atomic<bool> got{false};
  std::thread t([&] {
    CHECK(b.take(50));
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(got);
  b.give(90);
  t.join();
  CHECK(got);
  CHECK(b.in_use() == 50);
}

TEST_CASE("budget: threads never hold more than the capacity together", "[budget]") {
  MemoryBudget b(1000);
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&b, i] {
      for (int k = 0; k < 2000; ++k) {
        Lease l(b);
        if (!l.take(static_cast<size_t>(100 + i * 10))) continue;
        for (size_t want = 200; want <= 600; want += 200)
          if (!l.set_total(want)) break;
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(b.peak() <= 1000);
  CHECK(b.in_use() == 0);
}
