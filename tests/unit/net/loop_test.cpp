// net/loop: the timer that follows a sans-IO core's next_timeout(), and post() across threads.
#include "net/loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <limits>

namespace peerkit::net {
namespace {

// A core that wants to be woken at times it chooses, and counts how often it was.
struct FakeCore {
  std::vector<Timestamp> deadlines;  // consumed front to back
  std::vector<Timestamp> woken_at;
  Timestamp next_timeout() const { return deadlines.empty() ? Timestamp::never() : deadlines[0]; }
  void handle_timeout(Timestamp now) {
    woken_at.push_back(now);
    if (!deadlines.empty() && now >= deadlines[0]) deadlines.erase(deadlines.begin());
  }
};

TEST(CoreTimer, FiresAtEachDeadlineTheCoreAsksForAndStopsAtNever) {
  Loop loop("test");
  FakeCore core;
  const Timestamp t0 = loop.now();
  core.deadlines = {t0 + Duration::millis(5), t0 + Duration::millis(10), t0 + Duration::millis(20)};
  CoreTimer timer(loop, [&](Timestamp now) {
    core.handle_timeout(now);
    timer.rearm(core.next_timeout());
    if (core.next_timeout() == Timestamp::never()) loop.context().stop();
  });
  timer.rearm(core.next_timeout());
  loop.run_for(Duration::seconds(5));
  ASSERT_EQ(core.woken_at.size(), 3u);
  EXPECT_GE(core.woken_at[0], t0 + Duration::millis(5));
  EXPECT_GE(core.woken_at[1], t0 + Duration::millis(10));
  EXPECT_GE(core.woken_at[2], t0 + Duration::millis(20));
  EXPECT_EQ(timer.expiries(), 3u);
  EXPECT_EQ(timer.deadline(), Timestamp::never());
}

TEST(CoreTimer, AnEarlierDeadlineAfterAnInputReplacesTheLaterOne) {
  Loop loop("test");
  const Timestamp t0 = loop.now();
  std::vector<Timestamp> fired;
  CoreTimer timer(loop, [&](Timestamp now) {
    fired.push_back(now);
    loop.context().stop();
  });
  timer.rearm(t0 + Duration::seconds(60));
  // An input arrives and the core now wants to run sooner.
  timer.rearm(t0 + Duration::millis(2));
  loop.run_for(Duration::seconds(5));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_LT(fired[0], t0 + Duration::seconds(5));
}

TEST(CoreTimer, RearmingTheSameDeadlineDoesNotRestartTheWait) {
  Loop loop("test");
  const Timestamp t0 = loop.now();
  int fired = 0;
  CoreTimer timer(loop, [&](Timestamp) {
    ++fired;
    loop.context().stop();
  });
  const Timestamp deadline = t0 + Duration::millis(3);
  for (int i = 0; i < 1000; ++i) timer.rearm(deadline);  // one call per input, as drivers do
  loop.run_for(Duration::seconds(5));
  EXPECT_EQ(fired, 1);
}

TEST(CoreTimer, NeverDisarmsAndADeadlineInThePastFiresAtOnce) {
  Loop loop("test");
  int fired = 0;
  CoreTimer timer(loop, [&](Timestamp) { ++fired; });
  timer.rearm(loop.now() + Duration::millis(1));
  timer.cancel();
  loop.run_for(Duration::millis(30));
  EXPECT_EQ(fired, 0);
  timer.rearm(loop.now() - Duration::seconds(1));
  loop.run_for(Duration::millis(30));
  EXPECT_EQ(fired, 1);
}

// Both deadlines have passed, so one poll of the reactor queues both handlers; `first` runs
// before `second` and disarms it, but `second`'s handler is already on its way (the race behind
// a UBSan overflow in CI: the late handler waited again for never() - now).
TEST(CoreTimer, DisarmedAfterItsHandlerWasQueuedDoesNotCallBackOrWaitForever) {
  Loop loop("test");
  int second_fired = 0;
  CoreTimer second(loop, [&](Timestamp) { ++second_fired; });
  CoreTimer first(loop, [&](Timestamp) { second.cancel(); });
  first.rearm(loop.now() - Duration::seconds(2));
  second.rearm(loop.now() - Duration::seconds(1));
  loop.run_for(Duration::millis(30));
  EXPECT_EQ(first.expiries(), 1u);
  EXPECT_EQ(second_fired, 0);
  EXPECT_EQ(second.deadline(), Timestamp::never());
  second.rearm(loop.now());  // and it still works afterwards
  loop.run_for(Duration::millis(30));
  EXPECT_EQ(second_fired, 1);
}

// A finite deadline further away than steady_timer can count (int64 nanoseconds) is waited for
// in steps instead of overflowing.
TEST(CoreTimer, AFarDeadlineDoesNotOverflowTheTimer) {
  Loop loop("test");
  int fired = 0;
  CoreTimer timer(loop, [&](Timestamp) { ++fired; });
  timer.rearm(Timestamp::from_micros(std::numeric_limits<std::int64_t>::max() - 1));
  loop.run_for(Duration::millis(20));
  EXPECT_EQ(fired, 0);
  timer.rearm(loop.now());
  loop.run_for(Duration::millis(20));
  EXPECT_EQ(fired, 1);
}

TEST(CoreTimer, DestroyedWhileArmedNeverCallsBack) {
  Loop loop("test");
  bool fired = false;
  {
    CoreTimer timer(loop, [&](Timestamp) { fired = true; });
    timer.rearm(loop.now());
  }
  loop.run_for(Duration::millis(20));
  EXPECT_FALSE(fired);
}

TEST(Loop, PostFromOtherThreadsRunsOnTheLoopThreadInOrderPerThread) {
  Loop loop("test");
  loop.start();
  constexpr int kThreads = 4, kEach = 1000;
  std::vector<std::vector<int>> seen(kThreads);  // touched only on the loop thread
  std::atomic<int> wrong_thread{0};
  std::promise<void> done;
  std::atomic<int> remaining{kThreads * kEach};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        loop.post([&, t, i] {
          if (!loop.in_loop_thread()) ++wrong_thread;
          seen[t].push_back(i);
          if (--remaining == 0) done.set_value();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  loop.stop();
  EXPECT_EQ(wrong_thread.load(), 0);
  EXPECT_FALSE(loop.in_loop_thread());
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<std::size_t>(kEach));
    for (int i = 0; i < kEach; ++i) EXPECT_EQ(seen[t][i], i);
  }
}

TEST(Loop, AnIdleStartedLoopKeepsRunningUntilStopped) {
  Loop loop("test");
  loop.start();
  EXPECT_TRUE(loop.running());
  // Nothing queued: a plain io_context::run() would return here. Posting later still works.
  std::promise<bool> ran;
  std::this_thread::yield();
  loop.post([&] { ran.set_value(loop.in_loop_thread()); });
  auto f = ran.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(f.get());
  loop.stop();
  loop.stop();  // idempotent
  EXPECT_FALSE(loop.running());
}

}  // namespace
}  // namespace peerkit::net
