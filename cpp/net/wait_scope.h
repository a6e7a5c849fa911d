// What ends a blocking wait besides a socket's own timeouts: a deadline for a whole request (a
// reply that trickles, or streams MSG frames without end, still ends on time) and checks the
// waiting thread installs (the binding's Ctrl-C). Socket reads and waits consult the scopes of
// their thread: check() before every read and whenever a wait wakes, and every wait wakes by
// the scopes' wakeBy and at least every sliceMs. Scopes nest (all of them apply) and belong to
// the thread that made them, so they bound exactly the requests that thread makes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace ddb {

class WaitScope {
public:
    using Clock = std::chrono::steady_clock;

    // `check` throws to end the wait; it may move wakeBy (through the scope it was given).
    explicit WaitScope(std::function<void()> check, Clock::time_point wakeBy = Clock::time_point::max(), int sliceMs = 200);
    ~WaitScope();
    WaitScope(const WaitScope&) = delete;
    WaitScope& operator=(const WaitScope&) = delete;

    // A scope that throws TimeoutError(text) once `deadline` has passed.
    static std::function<void()> deadlineCheck(Clock::time_point deadline, std::string text);

    // Runs the checks of every scope of this thread (none: nothing).
    static void check();
    // How long a wait that would block for `timeoutMs` (< 0: no limit) may sleep before checking.
    static int boundMs(int timeoutMs);
    // Waits on `cv` (its mutex held by `lock`) until done() or timeoutMs (< 0: no limit) has
    // passed; returns done(). Wakes for this thread's scopes and runs their checks with the mutex
    // released (a check may take the GIL); a check that throws leaves it released.
    template <class Done>
    static bool waitOn(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int timeoutMs, Done done);

    Clock::time_point wakeBy;

private:
    std::function<void()> check_;
    int sliceMs_;
    WaitScope* outer_;
};

template <class Done>
bool WaitScope::waitOn(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int timeoutMs, Done done) {
    const auto until = Clock::now() + std::chrono::milliseconds(std::max(timeoutMs, 0));
    for (;;) {
        if (done()) return true;
        int left = -1;
        if (timeoutMs >= 0) {
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
            if (ms <= 0) return false;
            left = static_cast<int>(ms);
        }
        const int slice = boundMs(left);
        if (slice < 0) {   // no limit and no scope to consult
            cv.wait(lock, done);
            return true;
        }
        if (cv.wait_for(lock, std::chrono::milliseconds(slice), done)) return true;
        lock.unlock();
        check();
        lock.lock();
    }
}

}   // namespace ddb
