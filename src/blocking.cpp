#include "blocking.h"

#include <cxxabi.h>

#include <chrono>
#include <optional>

#include "errors.h"
#include "gil.h"
#include "net/wait_scope.h"

namespace ddbpy {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSignalPeriod = std::chrono::milliseconds(100);

// Why a wait is ending early; checked on the waiting thread (and, for the Python error, read
// again with the GIL once the wait is over).
class Interruption {
public:
    explicit Interruption(const WaitOptions& o)
        : options_(o),
          deadline_(o.deadlineMs < 0 ? Clock::time_point::max() : Clock::now() + std::chrono::milliseconds(o.deadlineMs)),
          onMainThread_(onMainThread()) {}

    Clock::time_point deadline() const { return deadline_; }

    // WaitScope check: throws ddb::CancelledError to end the wait now.
    void check(ddb::WaitScope& scope) {
        auto now = Clock::now();
        if (onMainThread_ && now >= nextSignalCheck_) {
            nextSignalCheck_ = now + kSignalPeriod;
            bool raised;
            {
                py::gil_scoped_acquire gil;
                raised = PyErr_CheckSignals() != 0;
                if (raised) signal_.emplace();   // fetches the handler's exception (a newer one wins)
            }
            if (raised) begin(now, scope);
        }
        if (!stopping_ && now >= deadline_) begin(now, scope);
        if (stopping_ && now >= graceEnd_) throw ddb::CancelledError("the wait was interrupted");
    }

    // GIL held: raises what stopped the wait, if anything did.
    void raise() {
        if (signal_) {
            signal_->restore();
            signal_.reset();
            throw py::error_already_set();
        }
        if (stopping_)
            throw ddb::TimeoutError("The request timed out after " + std::to_string(options_.deadlineMs) +
                                    " ms (its job was cancelled on the server)");
    }

private:
    void begin(Clock::time_point now, ddb::WaitScope& scope) {
        const bool again = stopping_;
        stopping_ = true;
        if (again || !options_.stop || !options_.stop())
            throw ddb::CancelledError("the wait was interrupted");   // a second Ctrl-C: at once
        graceEnd_ = now + std::chrono::milliseconds(options_.graceMs);
        scope.wakeBy = graceEnd_;
    }

    const WaitOptions& options_;
    Clock::time_point deadline_;
    bool onMainThread_;
    Clock::time_point nextSignalCheck_ = Clock::now() + kSignalPeriod;
    bool stopping_ = false;
    Clock::time_point graceEnd_;
    std::optional<py::error_already_set> signal_;
};

}   // namespace

void waitWithoutGil(const WaitOptions& options, const std::function<void()>& work) {
    Interruption interruption(options);
    std::exception_ptr failure;
    {
        ReleasedGil release;
        {
            std::optional<ddb::WaitScope> scope;
            scope.emplace([&] { interruption.check(*scope); }, interruption.deadline(), 100);
            try {
                work();
            } catch (abi::__forced_unwind&) {
                throw;   // CPython ending this thread (see gil.h): never swallowed
            } catch (...) {
                failure = std::current_exception();
            }
        }
    }
    interruption.raise();
    if (failure) std::rethrow_exception(failure);
}

void registerBlocking(py::module_&) {
    noteMainThread(py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>());
}

}   // namespace ddbpy
