#include "net/wait_scope.h"

#include <algorithm>

#include "errors.h"

namespace ddb {

namespace {
thread_local WaitScope* innermost = nullptr;
}   // namespace

WaitScope::WaitScope(std::function<void()> check, Clock::time_point wakeBy, int sliceMs)
    : wakeBy(wakeBy), check_(std::move(check)), sliceMs_(sliceMs), outer_(innermost) {
    innermost = this;
}

WaitScope::~WaitScope() { innermost = outer_; }

std::function<void()> WaitScope::deadlineCheck(Clock::time_point deadline, std::string text) {
    return [deadline, text = std::move(text)] {
        if (Clock::now() >= deadline) throw TimeoutError(text);
    };
}

void WaitScope::check() {
    for (WaitScope* s = innermost; s; s = s->outer_)
        if (s->check_) s->check_();
}

int WaitScope::boundMs(int timeoutMs) {
    if (!innermost) return timeoutMs;
    auto now = Clock::now();
    int64_t bound = timeoutMs < 0 ? INT32_MAX : timeoutMs;
    for (WaitScope* s = innermost; s; s = s->outer_) {
        bound = std::min<int64_t>(bound, s->sliceMs_);
        if (s->wakeBy != Clock::time_point::max()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(s->wakeBy - now).count() + 1;
            bound = std::min<int64_t>(bound, std::max<int64_t>(left, 0));
        }
    }
    return static_cast<int>(bound);
}

}   // namespace ddb
