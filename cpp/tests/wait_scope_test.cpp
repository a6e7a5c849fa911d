// WaitScope: what ends a thread's blocking waits besides the socket's own timeouts.
#include <gtest/gtest.h>

#include <thread>

#include "errors.h"
#include "net/wait_scope.h"

namespace ddb {
namespace {

using Clock = WaitScope::Clock;

TEST(WaitScope, NoScopeChecksNothingAndBoundsNothing) {
    EXPECT_NO_THROW(WaitScope::check());
    EXPECT_EQ(WaitScope::boundMs(-1), -1);
    EXPECT_EQ(WaitScope::boundMs(5000), 5000);
}

TEST(WaitScope, ADeadlineThrowsOnceItHasPassedAndBoundsTheWait) {
    auto deadline = Clock::now() + std::chrono::milliseconds(50);
    WaitScope scope(WaitScope::deadlineCheck(deadline, "late"), deadline, 1000);
    EXPECT_NO_THROW(WaitScope::check());
    EXPECT_LE(WaitScope::boundMs(-1), 51);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    EXPECT_THROW(WaitScope::check(), TimeoutError);
    EXPECT_EQ(WaitScope::boundMs(-1), 0);
}

TEST(WaitScope, NestedScopesAllApplyAndUnwindInOrder) {
    int outerChecks = 0, innerChecks = 0;
    {
        WaitScope outer([&] { ++outerChecks; }, Clock::time_point::max(), 100);
        {
            WaitScope inner([&] { ++innerChecks; }, Clock::time_point::max(), 300);
            WaitScope::check();
            EXPECT_EQ(WaitScope::boundMs(-1), 100);   // the tighter slice wins
        }
        WaitScope::check();
        EXPECT_EQ(WaitScope::boundMs(50), 50);
    }
    WaitScope::check();
    EXPECT_EQ(outerChecks, 2);
    EXPECT_EQ(innerChecks, 1);
}

TEST(WaitScope, ScopesBelongToTheirThread) {
    WaitScope scope([] { throw CancelledError("stop"); });
    EXPECT_THROW(WaitScope::check(), CancelledError);
    std::thread other([] { EXPECT_NO_THROW(WaitScope::check()); });
    other.join();
}

}   // namespace
}   // namespace ddb
