// The connection pool core: N connections opened in parallel, one FIFO queue, completion
// through a callback (no polling anywhere). Two ways to drive the connections:
//
//  * threads (ioThreads == 0): one thread per connection blocks in recv() with the GIL
//    released and decodes straight into the final buffers. Cheapest per request (no hand-off
//    between threads): the lowest latency for the pool sizes this API is mostly used with.
//  * reactor (ioThreads > 0): one epoll thread watches every connection that waits for a reply,
//    and `ioThreads` executor threads write requests and read/decode replies once their first
//    byte has arrived. Threads stay at ioThreads + 1 whatever the pool size, so a harness with
//    hundreds of connections costs no more threads than a pool of ten.
//
// Both share the queue, placement, failover (ResilientConnection), cancellation and the
// graceful shutdown (accepted tasks run to completion, within a deadline).
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
#include "net/poller.h"

namespace ddb {

struct Task {
    enum class Kind { Script, Function } kind = Kind::Script;
    std::string script;   // script text, or the function name
    std::vector<Value> args;
    RequestOptions options;
    int timeoutMs = -1;   // < 0: none
    // Called exactly once, on a pool thread (or the thread of shutdown() or cancel()),
    // with either a result or an exception.
    std::function<void(Result&&, std::exception_ptr)> done;

    // Internal state.
    std::atomic<int> state{0};   // 0 queued, 1 running, 2 finished
    std::atomic<bool> cancelRequested{false};
};

struct PoolOptions {
    ConnectOptions connect;
    int size = 1;
    // Spread the connections over every live data and compute node (worker i on node i mod n).
    bool loadBalance = false;
    int ioThreads = 0;   // 0: a thread per connection; > 0: epoll reactor + this many executors
    ResilienceOptions resilience;
    ConnectionEventSink onEvent;

    static constexpr auto fields() {
        using O = PoolOptions;
        return std::make_tuple(field("connect", &O::connect), field("size", &O::size), field("loadBalance", &O::loadBalance),
                               field("ioThreads", &O::ioThreads), field("resilience", &O::resilience));
    }
};

struct PoolStats {
    uint64_t tasksDone = 0;
    uint64_t tasksFailed = 0;
    uint64_t tasksCancelled = 0;
    uint64_t bytesReceived = 0;
    uint64_t resends = 0;   // requests resent after a failure (-seqNo)
    uint64_t reconnects = 0;   // new sessions on the same node
    uint64_t failovers = 0;   // new sessions on another node
    size_t queued = 0;
    size_t running = 0;
    size_t connections = 0;
    size_t threads = 0;   // native threads the pool runs
    std::vector<std::pair<std::string, int>> connectionsPerNode;   // "host:port" -> workers there now
};

class Pool {
public:
    // Validates the options; connects nothing (open() does).
    explicit Pool(PoolOptions options);
    ~Pool();

    // Opens `size` connections in parallel (placed by PoolOptions::loadBalance / resilience); if
    // any fails, closes all and throws one error naming its node and the first reason. With
    // reconnect or HA, a node that does not answer is retried by the connections themselves
    // (ResilientConnection: tryReconnectNums tries, reconnectTimeout, backoff); a plain reconnect
    // pool opens its first connection alone, so a server that is not up yet costs one retry
    // episode. Cancellable: shutdown() from another thread ends it with PoolClosedError, and a
    // wait scope of the calling thread (Ctrl-C) with that scope's exception. Once only.
    void open();

    // Throws PoolClosedError after shutdown. Never blocks for long: the pool's lock is held only
    // for queue updates, never while a task completes or is destroyed, so a caller may hold a
    // lock its completion callbacks take (the binding calls it with the GIL held).
    void submit(const std::shared_ptr<Task>& task);
    // Queued: removed and failed with CancelledError. Running: its connection is aborted, the
    // server-side job is cancelled from a fresh connection, and the worker reconnects.
    void cancel(const std::shared_ptr<Task>& task);
    void cancel(const std::vector<std::shared_ptr<Task>>& tasks);   // all at once: one grace period
    // Graceful and idempotent. From the first call on, submit() refuses new tasks with
    // PoolClosedError, while the workers keep running the accepted ones (queued and running) to
    // completion, each delivered through its callback. Waits up to timeoutMs for them (a later
    // call may shorten that deadline, never lengthen it); then fails the tasks still queued and
    // aborts the connections of those still running (both fail with PoolClosedError), joins
    // every thread and closes every descriptor before returning. A wait scope of the calling
    // thread that ends the wait (Ctrl-C) does the same at once; its exception is rethrown once
    // the pool is closed. Called from a pool thread (a completion callback), it only stops
    // accepting tasks and returns: the destructor, which must not run on a pool thread, waits
    // for the drain up to the same deadline and joins the threads.
    void shutdown(int timeoutMs);
    bool isShutdown() const { return closed_; }
    bool onPoolThread() const;
    // This process is a fork() child of the one that made the pool: its threads do not exist
    // here and its sockets are shared with the parent, so the pool must not be used or torn down.
    bool inheritedByFork() const;
    std::vector<std::string> sessionIds();
    PoolStats stats();
    const ConnectOptions& options() const { return options_.connect; }

private:
    struct Worker {
        std::unique_ptr<ResilientConnection> conn;
        std::thread thread;   // threads mode only
        std::shared_ptr<Task> current;
        // The request in flight, and when its reply is overdue (the task's timeout, else the read timeout).
        ResilientConnection::Request request;
        std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
        int watchedFd = -1;
        bool overdue = false;
        bool abortedByShutdown = false;   // under mu_
        uint64_t bytesBefore = 0;
    };
    // threads mode
    void workerLoop(Worker* w);
    // reactor mode
    void executorLoop();
    void reactorLoop();
    void startRequest(Worker* w);
    void completeReply(Worker* w);
    // both: begin() reopens the connection if needed and writes the task's request (a failure
    // is kept in w->request); receive() reads its reply, with the connection's retries.
    void begin(Worker* w, const std::shared_ptr<Task>& task);
    void receive(Worker* w, const std::shared_ptr<Task>& task, Result& result, std::exception_ptr& error);
    void prepare(ResilientConnection& c, const std::shared_ptr<Task>& task);
    void complete(Worker* w, const std::shared_ptr<Task>& task, Result&& result, std::exception_ptr error, uint64_t bytesBefore);
    std::vector<Node> placeConnections(ResilienceOptions& workerResilience);
    // open()'s connections, kept in opening_ (where shutdown() finds them) until they become workers.
    ResilientConnection& newConnection(const ResilienceOptions& resilience);
    void discard(ResilientConnection& conn);
    // Runs connect(i) for i in [first, first + count), each on its own thread; the calling thread
    // waits with its wait scopes, and an interruption aborts every opening connection and is
    // rethrown once all have ended. Returns each call's failure (null: connected).
    std::vector<std::exception_ptr> connectInParallel(size_t first, size_t count, const std::function<void(size_t)>& connect);
    static void finish(const std::shared_ptr<Task>& task, Result&& r, std::exception_ptr e);
    // Waits on idle_ (mu_ held by `lock`) up to timeoutMs for done(); between slices, with mu_
    // released, the calling thread's wait scopes may end the wait (Ctrl-C in shutDown()).
    bool waitIdle(std::unique_lock<std::mutex>& lock, int timeoutMs, const std::function<bool()>& done);
    // shutdown()'s second half, on a thread that is not the pool's: waits until the queue is
    // empty and nothing runs or drainUntil_ passes, cuts what is left, joins and closes.
    void closeAfterDrain();

    PoolOptions options_;
    const int pid_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::unique_ptr<ResilientConnection>> opening_;   // under mu_: open() in progress
    std::deque<std::shared_ptr<Task>> queue_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable idle_;
    std::atomic<bool> closed_{false};   // submit() refuses (shutdown() began)
    // shutdown() stopped waiting: workers take no more tasks and exit, connections stay closed.
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point drainUntil_;   // under mu_: shutdown()'s deadline
    std::mutex closing_;   // held by the thread in closeAfterDrain()
    bool joined_ = false;
    size_t running_ = 0;
    PoolStats stats_;
    // Reactor mode (under mu_ unless noted).
    std::unique_ptr<Poller> poller_;   // thread-safe itself
    std::thread reactor_;
    std::vector<std::thread> executors_;
    std::vector<Worker*> free_;   // connections with no request
    std::vector<Worker*> awaiting_;   // request written, reply not started
    std::deque<Worker*> replies_;   // reply started (or overdue, or the write failed)
    bool stopReactor_ = false;
};

}   // namespace ddb
