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

#include "cluster/resilient_connection.h"

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
};

struct PoolOptions {
    ConnectOptions connect;
    int size = 1;
    // Spread the connections over every live data and compute node (worker i on node i mod n).
    bool loadBalance = false;
    ResilienceOptions resilience;
    ConnectionEventSink onEvent;
};

struct PoolStats {
    uint64_t tasksDone = 0;
    uint64_t tasksFailed = 0;
    uint64_t tasksCancelled = 0;
    uint64_t bytesReceived = 0;
    uint64_t resends = 0;       // requests resent after a failure (-seqNo)
    uint64_t reconnects = 0;    // new sessions on the same node
    uint64_t failovers = 0;     // new sessions on another node
    size_t queued = 0;
    size_t running = 0;
    size_t connections = 0;
    std::vector<std::pair<std::string, int>> connectionsPerNode;   // "host:port" -> workers there now
};

class Pool {
public:
    // Opens `size` connections in parallel (placed by PoolOptions::loadBalance / resilience); if
    // any fails, closes all and throws one error naming its node and the first reason.
    explicit Pool(PoolOptions options);
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
    const ConnectOptions& options() const { return options_.connect; }

private:
    struct Worker {
        std::unique_ptr<ResilientConnection> conn;
        std::thread thread;
        std::shared_ptr<Task> current;
    };
    void workerLoop(Worker* w);
    void execute(Worker* w, const std::shared_ptr<Task>& task);
    std::vector<Node> placeConnections(ResilienceOptions& workerResilience);
    void cancelOnServer(const Node& node, const std::string& sessionId);
    static void finish(const std::shared_ptr<Task>& task, Result&& r, std::exception_ptr e);

    PoolOptions options_;
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
