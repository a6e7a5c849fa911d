// The connection pool core: N connections opened in parallel, one FIFO queue, one worker
// thread per connection, completion through a callback (no polling anywhere).
//
// Why a thread per connection rather than one epoll reactor: each worker blocks in recv() with
// the GIL released and decodes straight into the final buffers; with the pool sizes this API is
// used with (<= a few dozen connections) threads cost nothing measurable, and they let the
// decode of several large results run in parallel. A reactor is the planned change for pools of
// hundreds of connections.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/connection.h"

namespace ddb {

struct Task {
    enum class Kind { Script, Function } kind = Kind::Script;
    std::string script;                 // script text, or the function name
    std::vector<Value> args;
    RequestOptions options;
    int timeoutMs = -1;                 // < 0: none
    // Called exactly once, on a pool thread (or the submitting thread when the pool is closed),
    // with either a result or an exception.
    std::function<void(Result&&, std::exception_ptr)> done;

    // Internal state.
    std::atomic<int> state{0};          // 0 queued, 1 running, 2 finished
    std::atomic<bool> cancelRequested{false};
    Connection* runningOn = nullptr;
};

struct PoolStats {
    uint64_t tasksDone = 0;
    uint64_t tasksFailed = 0;
    uint64_t tasksCancelled = 0;
    uint64_t bytesReceived = 0;
    size_t queued = 0;
    size_t running = 0;
    size_t connections = 0;
};

class Pool {
public:
    // Opens `size` connections in parallel; if any fails, closes all and throws one error naming
    // host, port and the first reason.
    Pool(const ConnectOptions& options, int size);
    ~Pool();

    // Throws PoolClosedError after shutdown.
    void submit(const std::shared_ptr<Task>& task);
    // Queued: removed and failed with CancelledError. Running: its connection is aborted, the
    // server-side job is cancelled from a fresh connection, and the worker reconnects.
    void cancel(const std::shared_ptr<Task>& task);
    // Idempotent. Fails queued tasks with PoolClosedError, gives running tasks up to timeoutMs,
    // then aborts their connections; joins every thread before returning.
    void shutdown(int timeoutMs);
    bool isShutdown() const { return closed_; }
    std::vector<std::string> sessionIds();
    PoolStats stats();
    const ConnectOptions& options() const { return options_; }

private:
    struct Worker {
        std::unique_ptr<Connection> conn;
        std::thread thread;
        std::shared_ptr<Task> current;
    };
    void workerLoop(Worker* w);
    void execute(Worker* w, const std::shared_ptr<Task>& task);
    void cancelOnServer(const std::string& sessionId);
    static void finish(const std::shared_ptr<Task>& task, Result&& r, std::exception_ptr e);

    ConnectOptions options_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::deque<std::shared_ptr<Task>> queue_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable idle_;
    std::atomic<bool> closed_{false};
    bool joined_ = false;
    size_t running_ = 0;
    PoolStats stats_;
};

}  // namespace ddb
