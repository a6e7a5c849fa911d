#include "pool/pool.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "errors.h"
#include "net/wait_scope.h"

namespace ddb {

namespace {
const char* kClosedText = "The connection pool has been shut down.";
// The tasks shutdown() gave up on: its timeout ran out, or its caller was interrupted (Ctrl-C).
const char* kNotStartedText =
    "The connection pool was shut down before this task started: shutDown() stopped waiting for the "
    "accepted tasks (its timeout ran out or it was interrupted).";
const char* kCutText =
    "The connection pool was shut down while this task ran: shutDown() stopped waiting for the "
    "accepted tasks (its timeout ran out or it was interrupted).";

// "Failed to connect to <node>: <reason>", as the error's own type where callers tell them apart.
[[noreturn]] void rethrowConnectError(std::exception_ptr error, const std::string& node) {
    std::string text = "Failed to connect to " + node + ": ";
    try {
        std::rethrow_exception(error);
    } catch (const AuthenticationError&) {
        rethrowWithPrefix(text);
    } catch (const TimeoutError&) {
        rethrowWithPrefix(text);
    } catch (const TlsError&) {
        rethrowWithPrefix(text);
    } catch (const CancelledError&) {
        throw;   // the opening thread's wait was interrupted: its own error, unwrapped
    } catch (const std::exception& e) {
        throw NetworkError(text + e.what());
    }
}
}   // namespace

Pool::Pool(PoolOptions options) : options_(std::move(options)), pid_(static_cast<int>(::getpid())) {
    options_.connect.errorContext = false;
    if (options_.size < 1) throw Error("threadNum must be a positive integer");
}

ResilientConnection& Pool::newConnection(const ResilienceOptions& resilience) {
    auto conn = std::make_unique<ResilientConnection>(options_.connect, resilience, options_.onEvent);
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) conn->abort();   // shut down already: it fails at once, without a try
    opening_.push_back(std::move(conn));
    return *opening_.back();
}

void Pool::discard(ResilientConnection& conn) {
    std::unique_ptr<ResilientConnection> owned;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(opening_.begin(), opening_.end(), [&](const auto& c) { return c.get() == &conn; });
    owned = std::move(*it);
    opening_.erase(it);
}

std::vector<std::exception_ptr> Pool::connectInParallel(size_t first, size_t count, const std::function<void(size_t)>& connect) {
    std::vector<std::exception_ptr> errors(count);
    std::vector<std::thread> threads;
    threads.reserve(count);
    size_t finished = 0;
    for (size_t k = 0; k < count; ++k)
        threads.emplace_back([&, k] {
            try {
                connect(first + k);
            } catch (...) {
                errors[k] = std::current_exception();
            }
            {
                std::lock_guard<std::mutex> lock(mu_);
                ++finished;
            }
            idle_.notify_all();
        });
    std::exception_ptr interrupted;
    {
        std::unique_lock<std::mutex> lock(mu_);
        auto allDone = [&] { return finished == count; };
        try {
            while (!waitIdle(lock, 60000, allDone)) {}
        } catch (...) {
            // The waiting thread was interrupted (Ctrl-C): every try ends now.
            interrupted = std::current_exception();
            lock.lock();
            for (auto& conn : opening_) conn->abort();
            idle_.wait(lock, allDone);
        }
    }
    for (auto& t : threads) t.join();
    if (interrupted) std::rethrow_exception(interrupted);
    return errors;
}

std::vector<Node> Pool::placeConnections(ResilienceOptions& workerResilience) {
    const ConnectOptions& c = options_.connect;
    std::vector<Node> targets(options_.size, Node{c.host, c.port});
    if (!options_.loadBalance && !options_.resilience.highAvailability) return targets;
    // One entry connection reads the cluster's nodes and loads, then the workers are placed.
    ResilientConnection& entry = newConnection(options_.resilience);
    std::vector<NodePerf> perf;
    bool clusterFunctions = true;
    auto errors = connectInParallel(0, 1, [&](size_t) {
        entry.connectAny();
        try {
            perf = entry.clusterPerf();
        } catch (const ServerError&) {
            if (options_.loadBalance) throw;
            clusterFunctions = false;   // HA against a node without cluster functions: stay on it
        }
        entry.close();
    });
    discard(entry);
    if (errors[0]) std::rethrow_exception(errors[0]);
    if (!clusterFunctions) return targets;
    if (options_.resilience.highAvailability && workerResilience.sites.empty()) workerResilience.sites = dataNodes(perf);
    if (options_.loadBalance) return spreadRoundRobin(perf, options_.size);
    std::vector<Node> placed = spreadLeastLoaded(perf, options_.size, options_.resilience.sites);
    return placed.empty() ? targets : placed;
}

void Pool::open() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (closed_) throw PoolClosedError(kClosedText);
        if (!workers_.empty() || !opening_.empty()) throw Error("The connection pool is open already");
    }
    const ConnectOptions& c = options_.connect;
    const size_t size = static_cast<size_t>(options_.size);
    // Every connection made here stays in opening_ until it becomes a worker (or is dropped),
    // so that shutdown() from another thread aborts whatever try or backoff it is in.
    auto dropOpening = [&] {
        std::vector<std::unique_ptr<ResilientConnection>> dropped;
        std::lock_guard<std::mutex> lock(mu_);
        dropped.swap(opening_);
        closed_ = true;   // a pool that could not open is closed
        return dropped;   // closed outside the lock
    };
    auto closedMeanwhile = [&] {
        std::lock_guard<std::mutex> lock(mu_);
        return closed_.load();
    };
    try {
        ResilienceOptions workerResilience = options_.resilience;
        std::vector<Node> targets;
        try {
            targets = placeConnections(workerResilience);
        } catch (...) {
            if (closedMeanwhile()) throw PoolClosedError(kClosedText);
            rethrowConnectError(std::current_exception(), c.host + ":" + std::to_string(c.port));
        }
        std::vector<ResilientConnection*> conns;
        for (size_t i = 0; i < size; ++i) conns.push_back(&newConnection(workerResilience));
        auto connect = [&](size_t i) { conns[i]->connectTo(targets[i]); };
        // A reconnecting pool with no entry connection retries its first connection alone: a
        // server that is not up yet is one retry episode (tryReconnectNums tries, one line
        // each), as the official client's sequential construction gives, not one per connection.
        size_t alone = options_.resilience.enabled() && !options_.loadBalance && !options_.resilience.highAvailability ? 1 : 0;
        std::vector<std::exception_ptr> errors = connectInParallel(0, alone, connect);
        if (!alone || !errors[0]) {
            auto rest = connectInParallel(alone, size - alone, connect);
            errors.insert(errors.end(), rest.begin(), rest.end());
        }
        if (closedMeanwhile()) throw PoolClosedError(kClosedText);
        for (size_t i = 0; i < errors.size(); ++i)
            if (errors[i]) rethrowConnectError(errors[i], targets[i].str());
    } catch (...) {
        dropOpening();
        throw;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_) {
        auto dropped = std::move(opening_);
        lock.unlock();
        throw PoolClosedError(kClosedText);
    }
    for (auto& conn : opening_) {
        auto w = std::make_unique<Worker>();
        w->conn = std::move(conn);
        workers_.push_back(std::move(w));
    }
    opening_.clear();
    // Started under mu_: a shutdown() waiting for the lock finds every thread it must join.
    if (options_.ioThreads > 0) {
        poller_ = std::make_unique<Poller>();
        for (auto& w : workers_) free_.push_back(w.get());
        reactor_ = std::thread([this] { reactorLoop(); });
        for (int i = 0; i < options_.ioThreads; ++i) executors_.emplace_back([this] { executorLoop(); });
        return;
    }
    for (auto& w : workers_) {
        Worker* raw = w.get();
        w->thread = std::thread([this, raw] { workerLoop(raw); });
    }
}

Pool::~Pool() {
    try {
        // A pool shut down from one of its own threads may still be draining: its deadline
        // stands. One never shut down is closed at once, its tasks failed.
        if (closed_) closeAfterDrain();
        else shutdown(0);
    } catch (...) {
        // Only the destroying thread's wait scope (an interruption) throws, after the pool closed.
    }
}

void Pool::finish(const std::shared_ptr<Task>& task, Result&& r, std::exception_ptr e) {
    if (task->state.exchange(2) == 2) return;
    if (!task->done) return;
    try {
        task->done(std::move(r), e);
    } catch (...) {
        // A completion that throws has nobody to tell on a pool thread; escaping would end the process.
    }
}

void Pool::submit(const std::shared_ptr<Task>& task) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (closed_) throw PoolClosedError(kClosedText);
        queue_.push_back(task);
    }
    cv_.notify_one();
}

void Pool::workerLoop(Worker* w) {
    std::shared_ptr<Task> task;   // the task whose request this connection has sent
    for (;;) {
        if (!task) {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            task = std::move(queue_.front());
            queue_.pop_front();
            w->current = task;
            task->state = 1;
            ++running_;
            lock.unlock();
            begin(w, task);
        }
        Result result;
        std::exception_ptr error;
        receive(w, task, result, error);
        uint64_t before = w->bytesBefore;
        // Pipelining: the next queued task's request goes out before this task's result is
        // converted and delivered (which waits for the GIL), so the server is not idle meanwhile.
        std::shared_ptr<Task> next;
        if (!error && w->conn->isOpen()) {
            std::lock_guard<std::mutex> lock(mu_);
            if (!stopping_ && !queue_.empty()) {
                next = std::move(queue_.front());
                queue_.pop_front();
                next->state = 1;
                ++running_;
                w->current = next;
            }
        }
        if (next) begin(w, next);
        complete(w, task, std::move(result), error, before);
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (!next) w->current.reset();
            --running_;
        }
        idle_.notify_all();
        task = std::move(next);
    }
}

void Pool::prepare(ResilientConnection& c, const std::shared_ptr<Task>& task) {
    // A previous task broke or abandoned this connection: start a fresh session, also while
    // shutdown() drains the accepted tasks; not once it has given up waiting (then the connection
    // was aborted on purpose and must stay closed). stopping_ is set before shutdown() aborts the
    // connections, and reopen() clears an abort: hence the second look.
    if (!c.isOpen()) {
        if (stopping_) throw PoolClosedError(kCutText);
        c.reopen();
        if (stopping_) {
            c.abort();
            throw PoolClosedError(kCutText);
        }
    }
    // A task's own timeout fails the task; the connection's read timeout means a dead node.
    c.setReadTimeout(task->timeoutMs >= 0 ? task->timeoutMs : options_.connect.readTimeoutMs);
}

void Pool::begin(Worker* w, const std::shared_ptr<Task>& task) {
    ResilientConnection& c = *w->conn;
    w->bytesBefore = c.isOpen() ? c.bytesReceived() : 0;
    int timeout = task->timeoutMs >= 0 ? task->timeoutMs : options_.connect.readTimeoutMs;
    w->deadline = timeout >= 0 ? std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout)
                               : std::chrono::steady_clock::time_point::max();
    w->overdue = false;
    w->request = ResilientConnection::Request{};
    try {
        prepare(c, task);
        w->request.text = &task->script;
        w->request.args = task->kind == Task::Kind::Function ? &task->args : nullptr;
        w->request.options = task->options;
        c.start(w->request);
    } catch (...) {
        w->request.sendError = std::current_exception();
        w->request.text = nullptr;   // nothing was sent and nothing may be resent: fail the task
    }
}

void Pool::receive(Worker* w, const std::shared_ptr<Task>& task, Result& result, std::exception_ptr& error) {
    ResilientConnection& c = *w->conn;
    if (w->request.text == nullptr) {
        error = w->request.sendError;   // the connection could not even be (re)opened
        return;
    }
    // Overdue with nothing arrived (reactor): the read times out at once instead of waiting again.
    if (w->overdue && c.isOpen()) c.setReadTimeout(1);
    // A task's timeout is a deadline for its whole reply, however slowly the bytes trickle in.
    std::optional<WaitScope> deadline;
    if (task->timeoutMs >= 0)
        deadline.emplace(
            WaitScope::deadlineCheck(w->deadline, "The task timed out after " + std::to_string(task->timeoutMs) + " ms"),
            w->deadline);
    try {
        result = c.finish(w->request, task->timeoutMs < 0);
    } catch (...) {
        error = std::current_exception();
    }
}

void Pool::complete(Worker* w, const std::shared_ptr<Task>& task, Result&& result, std::exception_ptr error, uint64_t before) {
    ResilientConnection& c = *w->conn;
    bool cancelled = task->cancelRequested.load();
    {
        std::lock_guard<std::mutex> lock(mu_);
        uint64_t after = c.bytesReceived();
        stats_.bytesReceived += after >= before ? after - before : 0;
        if (cancelled) ++stats_.tasksCancelled;
        else if (error) ++stats_.tasksFailed;
        else ++stats_.tasksDone;
    }
    if (cancelled) {
        finish(task, std::nullopt, std::make_exception_ptr(CancelledError("The task was cancelled.")));
        return;
    }
    bool cutByShutdown;
    {
        std::lock_guard<std::mutex> lock(mu_);
        cutByShutdown = std::exchange(w->abortedByShutdown, false);
    }
    if (error && cutByShutdown) {
        finish(task, std::nullopt, std::make_exception_ptr(PoolClosedError(kCutText)));
        return;
    }
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const TimeoutError&) {
            // The job may still run on the server: stop it before this worker takes new work.
            c.serverJobCanceller()();
        } catch (...) {}
    }
    finish(task, std::move(result), error);
}

// -- reactor mode ------------------------------------------------------------------------------

void Pool::executorLoop() {
    for (;;) {
        Worker* w = nullptr;
        bool reply = false;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] {
                return !replies_.empty() || (!stopping_ && !queue_.empty() && !free_.empty()) || (stopping_ && running_ == 0);
            });
            if (!replies_.empty()) {
                w = replies_.front();
                replies_.pop_front();
                reply = true;
            } else if (!stopping_ && !queue_.empty() && !free_.empty()) {
                w = free_.back();
                free_.pop_back();
                w->current = std::move(queue_.front());
                queue_.pop_front();
                w->current->state = 1;
                ++running_;
            } else {
                return;   // closed, nothing in flight
            }
        }
        if (reply) completeReply(w);
        else startRequest(w);
    }
}

void Pool::startRequest(Worker* w) {
    ResilientConnection& c = *w->conn;
    const std::shared_ptr<Task>& task = w->current;
    w->watchedFd = -1;
    begin(w, task);
    std::unique_lock<std::mutex> lock(mu_);
    if (w->request.sendError || c.replyBuffered() || c.fd() < 0) {
        replies_.push_back(w);   // nothing to wait for: straight to an executor
        lock.unlock();
        cv_.notify_one();
        return;
    }
    awaiting_.push_back(w);
    w->watchedFd = c.fd();
    try {
        poller_->watch(w->watchedFd, w);
    } catch (const Error&) {
        awaiting_.pop_back();
        w->watchedFd = -1;
        replies_.push_back(w);   // the blocking read still works (and honours the timeout)
        lock.unlock();
        cv_.notify_one();
        return;
    }
    if (w->deadline != std::chrono::steady_clock::time_point::max())
        poller_->wake();   // the reactor's next wait must end by this deadline
}

void Pool::reactorLoop() {
    std::vector<void*> ready;
    for (;;) {
        int waitMs = -1;
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopReactor_) return;
            auto now = std::chrono::steady_clock::now();
            for (Worker* w : awaiting_) {
                if (w->deadline == std::chrono::steady_clock::time_point::max()) continue;
                auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(w->deadline - now).count() + 1;
                int left = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(ms, 1 << 30)));
                waitMs = waitMs < 0 ? left : std::min(waitMs, left);
            }
        }
        ready.clear();
        poller_->wait(ready, waitMs);
        bool any = false;
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopReactor_) return;
            auto now = std::chrono::steady_clock::now();
            for (void* tag : ready) {
                auto it = std::find(awaiting_.begin(), awaiting_.end(), static_cast<Worker*>(tag));
                if (it == awaiting_.end()) continue;
                awaiting_.erase(it);
                replies_.push_back(static_cast<Worker*>(tag));
                any = true;
            }
            for (auto it = awaiting_.begin(); it != awaiting_.end();) {
                if ((*it)->deadline <= now) {
                    (*it)->overdue = true;
                    replies_.push_back(*it);
                    it = awaiting_.erase(it);
                    any = true;
                } else {
                    ++it;
                }
            }
        }
        if (any) cv_.notify_all();
    }
}

void Pool::completeReply(Worker* w) {
    std::shared_ptr<Task> task = w->current;
    w->watchedFd = -1;   // it stays registered, disarmed (one-shot): the next request re-arms it
    Result result;
    std::exception_ptr error;
    receive(w, task, result, error);
    complete(w, task, std::move(result), error, w->bytesBefore);
    {
        std::lock_guard<std::mutex> lock(mu_);
        w->current.reset();
        --running_;
        free_.push_back(w);
    }
    cv_.notify_all();
    idle_.notify_all();
}

void Pool::cancel(const std::shared_ptr<Task>& task) { cancel(std::vector<std::shared_ptr<Task>>{task}); }

void Pool::cancel(const std::vector<std::shared_ptr<Task>>& tasks) {
    std::vector<std::shared_ptr<Task>> queued;
    std::vector<std::shared_ptr<Task>> running;
    std::vector<std::function<void()>> cancellers;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& task : tasks) {
            auto it = std::find(queue_.begin(), queue_.end(), task);
            if (it != queue_.end()) {
                queue_.erase(it);
                ++stats_.tasksCancelled;
                task->cancelRequested = true;
                queued.push_back(task);
                continue;
            }
            if (task->cancelRequested || task->state != 1) continue;
            for (auto& w : workers_)
                if (w->current == task) {
                    task->cancelRequested = true;
                    running.push_back(task);
                    cancellers.push_back(w->conn->serverJobCanceller());
                }
        }
    }
    for (const auto& task : queued)
        finish(task, std::nullopt, std::make_exception_ptr(CancelledError("The task was cancelled.")));
    if (running.empty()) return;
    // Each canceller opens its own connection (bounded by the connect and read timeouts) and owns
    // copies of what it needs: they run side by side and the caller does not wait for a slow or
    // stuck server's handshake. Normally the server ends the jobs and the workers finish the
    // tasks by themselves; those still running after a grace period have their connection cut
    // (only if it is still that task's).
    for (auto& canceller : cancellers) std::thread(std::move(canceller)).detach();
    std::unique_lock<std::mutex> lock(mu_);
    const auto allDone = [&] {
        return std::all_of(running.begin(), running.end(), [](const auto& t) { return t->state.load() == 2; });
    };
    if (waitIdle(lock, 1000, allDone)) return;
    for (auto& w : workers_)
        for (const auto& task : running)
            if (w->current == task) w->conn->abort();
}

bool Pool::waitIdle(std::unique_lock<std::mutex>& lock, int timeoutMs, const std::function<bool()>& done) {
    return WaitScope::waitOn(idle_, lock, timeoutMs, done);
}

bool Pool::onPoolThread() const {
    const auto self = std::this_thread::get_id();
    if (reactor_.get_id() == self) return true;
    for (const auto& t : executors_)
        if (t.get_id() == self) return true;
    for (const auto& w : workers_)
        if (w->thread.get_id() == self) return true;
    return false;
}

bool Pool::inheritedByFork() const { return static_cast<int>(::getpid()) != pid_; }

void Pool::shutdown(int timeoutMs) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(timeoutMs, 0));
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (joined_) return;
        // A later call may shorten the wait a first one is in, never lengthen it.
        if (!closed_ || until < drainUntil_) drainUntil_ = until;
        closed_ = true;   // submit() refuses from now on; the workers keep taking queued tasks
        // An open() in progress on another thread: its tries and backoffs end now, and it
        // throws PoolClosedError instead of starting workers.
        for (auto& conn : opening_) conn->abort();
    }
    idle_.notify_all();   // a shutdown() waiting on another thread sees the new deadline
    // A completion callback on a pool thread holds its own task (and, with a thread per
    // connection, the next one it already sent): waiting there could only wait out the deadline,
    // and a thread cannot join itself. The other threads drain the queue; the destructor (never
    // on a pool thread) or a later shutdown() waits for them, up to the same deadline.
    if (onPoolThread()) return;
    closeAfterDrain();
}

void Pool::closeAfterDrain() {
    std::lock_guard<std::mutex> oneCloser(closing_);   // a concurrent shutdown() waits for this one
    std::exception_ptr interrupted;
    std::deque<std::shared_ptr<Task>> dropped;
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (joined_) return;
        auto drained = [&] { return queue_.empty() && running_ == 0; };
        auto over = [&] { return drained() || std::chrono::steady_clock::now() >= drainUntil_; };
        bool idle = false;
        try {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drainUntil_ - std::chrono::steady_clock::now());
            waitIdle(lock, static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, INT32_MAX)), over);
            idle = drained();
        } catch (...) {
            interrupted = std::current_exception();   // stop waiting: cut them now, raise once closed
            lock.lock();
        }
        stopping_ = true;
        dropped.swap(queue_);
        if (!idle)
            for (auto& w : workers_)
                if (w->current && w->current->state == 1) {
                    w->abortedByShutdown = true;
                    w->conn->abort();   // the reactor sees the hang-up; executors finish them
                }
    }
    cv_.notify_all();
    for (auto& t : dropped) finish(t, std::nullopt, std::make_exception_ptr(PoolClosedError(kNotStartedText)));
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
    for (auto& t : executors_)
        if (t.joinable()) t.join();
    if (reactor_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stopReactor_ = true;
        }
        poller_->wake();
        reactor_.join();
    }
    poller_.reset();   // its epoll and eventfd descriptors
    for (auto& w : workers_) w->conn->close();
    {
        std::lock_guard<std::mutex> lock(mu_);
        joined_ = true;
    }
    if (interrupted) std::rethrow_exception(interrupted);
}

std::vector<std::string> Pool::sessionIds() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> ids;
    for (auto& w : workers_) ids.push_back(w->conn->sessionId());
    return ids;
}

PoolStats Pool::stats() {
    std::lock_guard<std::mutex> lock(mu_);
    PoolStats s = stats_;
    s.queued = queue_.size();
    s.running = running_;
    s.connections = workers_.size();
    s.threads = options_.ioThreads > 0 ? executors_.size() + 1 : workers_.size();
    for (auto& w : workers_) {
        s.resends += w->conn->resends();
        s.reconnects += w->conn->reconnects();
        s.failovers += w->conn->failovers();
        std::string where = w->conn->node().str();
        auto it = std::find_if(s.connectionsPerNode.begin(), s.connectionsPerNode.end(),
                               [&](const auto& e) { return e.first == where; });
        if (it == s.connectionsPerNode.end()) s.connectionsPerNode.emplace_back(where, 1);
        else ++it->second;
    }
    return s;
}

}   // namespace ddb
